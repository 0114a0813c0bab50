"""The retry structure an engine really applied to the four steps, as seen in its runs.

The simulation does not guess the learner's retry policy from their code: it replays what the
engine did in the trial. Each engine task that called steps becomes a *group* (its steps in call
order, its retries as the engine reported them), groups in the order they first ran; a Prefect
flow adds its flow-level retries. Airflow retries a failed task alone, Prefect retries a task
alone or re-runs the whole flow; a group with several steps (one task doing extract and
transform, say) retries them together.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from stage4_grading.interface import REQUIRED_STEPS, Call

__all__ = ["Group", "Policy", "policy_from_calls"]


class Group(BaseModel):
    """Steps run (and retried) together by one engine task."""

    task: str
    steps: list[str]
    retries: int


class Policy(BaseModel):
    """The replayable retry structure of one engine."""

    engine: str
    groups: list[Group] = Field(default_factory=list)
    flow_retries: int = 0
    missing: list[str] = Field(default_factory=list)
    """Required steps the engine never called for the day it ran."""

    def shape(self) -> tuple[object, ...]:
        """What the simulation replays (task names aside): equal shapes, equal simulations."""
        return (tuple((tuple(g.steps), g.retries) for g in self.groups), self.flow_retries)

    def describe(self) -> str:
        """``extract[extract_data] x4 -> transform[transform_data] x4 -> ...``."""
        parts = [f"{g.task}[{'+'.join(g.steps)}] retries={g.retries}" for g in self.groups]
        flow = f"; flow retries={self.flow_retries}" if self.flow_retries else ""
        return " -> ".join(parts) + flow


def policy_from_calls(calls: Sequence[Call], engine: str, days: Sequence[str]) -> Policy:
    """The policy seen in the calls made for ``days`` (calls for other days, say a self-healing
    task reloading an older day, are left out)."""
    groups: dict[str, Group] = {}
    flow_retries = 0
    for call in calls:
        if call.engine is None or (call.day is not None and call.day not in days):
            continue
        group = groups.setdefault(
            call.engine.group, Group(task=call.engine.group, steps=[], retries=call.engine.retries)
        )
        group.retries = max(group.retries, call.engine.retries)
        if call.step not in group.steps:
            group.steps.append(call.step)
        flow_retries = max(flow_retries, call.engine.flow_retries)
    called = {step for g in groups.values() for step in g.steps}
    return Policy(
        engine=engine,
        groups=list(groups.values()),
        flow_retries=flow_retries,
        missing=[s for s in REQUIRED_STEPS if s not in called],
    )
