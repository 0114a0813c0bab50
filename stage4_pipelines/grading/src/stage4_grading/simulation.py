"""The reliability simulation (a probe, run in a child process): thousands of days through the
learner's own steps, with the retry structure their engine applied in the trial.

No engine could run 3000 days in minutes, so the days run without one: the grader calls the
learner's ``extract_data`` → ``transform_data`` → ``quality_gate`` → ``load_data`` itself, grouped
and retried exactly as the engine's tasks called them (``policy.py``), over HTTP from the
grader's upstream (random 5xx and truncated bodies per request) into a fresh warehouse, with the
load failing at random the two ways production makes it fail: the connection drops before it
starts, or the worker dies after it committed (so the retry loads the day a second time). Retries
happen at once: only whether they happen, and what they leave, is judged.

A day counts as delivered when its run succeeded *and*, at the end, the warehouse holds it
exactly once (orders, lines, revenue and order-id checksum against what was served).
"""

from __future__ import annotations

import json
import logging
import os
import random
import statistics
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from gradekit.result import ErrorSource, Measurement
from gradekit.scorecard import write_atomic
from gradekit.stages import GradeContext
from stage4_grading.days import DayTruth
from stage4_grading.interface import (
    Interface,
    InterfaceError,
    StepFault,
    WarehouseConnectionLost,
    WorkerLostAfterCommit,
    call_step,
    hook_in_place,
)
from stage4_grading.policy import Group, Policy
from stage4_grading.upstream import GraderUpstream
from stage4_grading.warehouse_reader import Facts, check_day, read_facts
from stage4_pipelines.source import FaultConfig

__all__ = ["SIM_FAULTS", "SimulationResult", "probe_simulation", "read_result"]

SIM_START = date(2016, 1, 1)
SIM_ORDERS = 30
SIM_FAULTS = FaultConfig(http_5xx_rate=0.004, truncate_rate=0.002, seed=2024)
"""Per request: about 3 % of extract attempts meet a fault (five requests each)."""
LOAD_DROPPED_RATE = 0.01
LOAD_WORKER_LOST_RATE = 0.01

_INPUTS = {
    "extract_data": (),
    "transform_data": ("raw",),
    "quality_gate": ("facts",),
    "load_data": ("facts",),
}
_OUTPUTS = {"extract_data": "raw", "transform_data": "facts"}


class SimulationResult(BaseModel):
    """What the simulation saw."""

    engine: str
    policy: str
    days_planned: int
    days: int
    runs_succeeded: int
    delivered: int
    stopped_early: str = ""
    failed_runs: list[str] = Field(default_factory=list)
    """The first failed runs: day and the error that ended them."""
    not_exact: list[str] = Field(default_factory=list)
    """The first days whose run succeeded but whose warehouse rows do not match what was served."""
    attempts: dict[str, int] = Field(default_factory=dict)
    faults: dict[str, int] = Field(default_factory=dict)
    seconds_per_day_mean: float = 0.0
    seconds_per_day_p95: float = 0.0
    wall_seconds: float = 0.0


def probe_simulation(
    ctx: GradeContext, policy_path: str, out_path: str, days: int, budget_s: float
) -> Measurement:
    """Simulate ``days`` days (or as many as ``budget_s`` allows); writes the result to JSON."""
    module = ctx.load()
    policy = Policy.model_validate_json(Path(policy_path).read_text(encoding="utf-8"))
    _let_prefect_loggers_work_without_a_run()
    rng = random.Random(7)
    try:
        iface = Interface.install(module)
    except InterfaceError as exc:
        return Measurement.failed(str(exc), source=ErrorSource.IMPLEMENTATION)
    faults: Counter[str] = Counter()

    def chance(step: str, when: str) -> StepFault | None:
        if step != "load_data":
            return None
        draw = rng.random()
        if when == "before" and draw < LOAD_DROPPED_RATE:
            faults["load_connection_dropped"] += 1
            return WarehouseConnectionLost("simulated: the warehouse connection dropped")
        if when == "after" and draw < LOAD_WORKER_LOST_RATE:
            faults["worker_lost_after_commit"] += 1
            return WorkerLostAfterCommit("simulated: the worker died after the load committed")
        return None

    iface.chance = chance
    port = int(os.environ["STAGE4_SOURCE_URL"].rsplit(":", 1)[1].split("/")[0])
    values = {
        "source": os.environ["STAGE4_SOURCE_URL"],
        "warehouse_url": os.environ["STAGE4_WAREHOUSE_URL"],
    }
    runs: dict[date, _DayRun] = {}
    truths: dict[date, DayTruth] = {}
    stopped = ""
    started = time.perf_counter()
    with GraderUpstream(port=port, orders_per_day=SIM_ORDERS, faults=SIM_FAULTS) as up:
        for i in range(days):
            if time.perf_counter() - started > budget_s:
                stopped = f"the time budget of {budget_s:g} s ran out after {i} days"
                break
            day = SIM_START + timedelta(days=i)
            runs[day] = _run_day(iface, policy, day, values)
            truths[day] = up.truth(day)
        faults.update({k: v for k, v in up.injector.counts.items() if k != "none"})
    facts = read_facts(values["warehouse_url"])
    result = _summarise(policy, days, runs, truths, facts, faults, stopped)
    result.wall_seconds = round(time.perf_counter() - started, 1)
    write_atomic(Path(out_path), result.model_dump_json(indent=2))
    return Measurement(
        value=result.delivered, evidence=f"{result.delivered}/{result.days} days delivered"
    )


class _DayRun(BaseModel):
    succeeded: bool
    attempts: int
    seconds: float
    error: str = ""


def _run_day(iface: Interface, policy: Policy, day: date, values: dict[str, str]) -> _DayRun:
    """One day as the engine would run it: groups in order, each retried, the flow re-run."""
    started = time.perf_counter()
    attempts, error = 0, ""
    for _flow_attempt in range(policy.flow_retries + 1):
        produced: dict[str, Any] = {}
        failed = False
        for group in policy.groups:
            ok, tries, error = _run_group(iface, group, day, values, produced)
            attempts += tries
            if not ok:
                failed = True
                break
        if not failed:
            return _DayRun(succeeded=True, attempts=attempts, seconds=time.perf_counter() - started)
    return _DayRun(
        succeeded=False, attempts=attempts, seconds=time.perf_counter() - started, error=error
    )


def _run_group(
    iface: Interface, group: Group, day: date, values: dict[str, str], produced: dict[str, Any]
) -> tuple[bool, int, str]:
    error = ""
    for attempt in range(group.retries + 1):
        try:
            for step in group.steps:
                result = _call(iface, step, day, values, produced)
                if step in _OUTPUTS:
                    produced[_OUTPUTS[step]] = result
            return True, attempt + 1, ""
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # a failed task attempt, SystemExit included
            error = f"{group.task}: {type(exc).__name__}: {str(exc)[:300]}"
    return False, group.retries + 1, error


def _call(
    iface: Interface, step: str, day: date, values: dict[str, str], produced: dict[str, Any]
) -> Any:
    inputs = [produced[name] for name in _INPUTS[step] if name in produced]
    if len(inputs) != len(_INPUTS[step]):
        raise RuntimeError(f"{step} ran before the step producing its input")
    args: list[Any] = []
    if step == "extract_data":
        args = [values["source"], day.isoformat()]
    elif step == "load_data":
        args = [*inputs, day.isoformat(), values["warehouse_url"]]
    else:
        args = [*inputs, day.isoformat()]
    return call_step(iface.steps[step], *args)


def _summarise(
    policy: Policy,
    planned: int,
    runs: dict[date, _DayRun],
    truths: dict[date, DayTruth],
    facts: Facts,
    faults: Counter[str],
    stopped: str,
) -> SimulationResult:
    delivered, failed, not_exact = 0, [], []
    days = facts.by_day()
    nothing = Facts(facts.orders.iloc[0:0], facts.items.iloc[0:0])
    for day, run in runs.items():
        if not run.succeeded:
            failed.append(f"{day}: {run.error}")
            continue
        check = check_day(days.get(day.isoformat(), nothing), truths[day], of_day=True)
        if check.matches:
            delivered += 1
        else:
            not_exact.append(check.describe())
    seconds = [r.seconds for r in runs.values()] or [0.0]
    p95 = statistics.quantiles(seconds, n=20)[-1] if len(seconds) >= 2 else seconds[0]
    return SimulationResult(
        engine=policy.engine,
        policy=policy.describe(),
        days_planned=planned,
        days=len(runs),
        runs_succeeded=sum(r.succeeded for r in runs.values()),
        delivered=delivered,
        stopped_early=stopped,
        failed_runs=failed[:10],
        not_exact=not_exact[:10],
        attempts=dict(Counter(str(r.attempts) if r.succeeded else "failed" for r in runs.values())),
        faults=dict(faults),
        seconds_per_day_mean=round(statistics.fmean(seconds), 4),
        seconds_per_day_p95=round(p95, 4),
    )


def _let_prefect_loggers_work_without_a_run() -> None:
    """``get_run_logger()`` inside a step needs a Prefect run; the simulation has none, so it
    gets a plain logger there instead (the step's own code is unchanged)."""
    try:
        from prefect.exceptions import MissingContextError
        from prefect.logging import loggers
    except ImportError:
        return

    def fallback(original: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            return original(*args, **kwargs)
        except MissingContextError:
            return logging.getLogger("stage4.pipeline")

    hook_in_place(loggers.get_run_logger, fallback)


def read_result(path: Path) -> SimulationResult | None:
    """The simulation's result as written, or None when it did not finish."""
    if not path.exists():
        return None
    return SimulationResult.model_validate(json.loads(path.read_text(encoding="utf-8")))
