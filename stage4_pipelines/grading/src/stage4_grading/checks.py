"""The grader's side of stage 4: which child runs when, and one check per criterion.

Learner code runs only in child processes (``gradekit.isolation``): the schedule probe, one
trial per engine (its scenarios run in order, each leaving its result in a file) and the
simulation per engine. Each runs once, when the first criterion that needs it is measured;
criteria left out with ``--only`` cost nothing. The simulation replays the retry structure the
engine showed in its trial, so it runs after it; two engines that showed the same structure
share one simulation.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from gradekit.errors import ImplementationNotFound
from gradekit.isolation import run_isolated
from gradekit.result import ErrorSource, Measurement
from gradekit.runner import Check
from gradekit.stages import GradeContext
from stage4_grading import verdicts
from stage4_grading.criteria import criteria_of
from stage4_grading.environment import engine_homes, exported, fresh_warehouse, pipeline_env
from stage4_grading.options import GraderOptions, OptionsError
from stage4_grading.policy import Policy
from stage4_grading.simulation import SimulationResult, read_result
from stage4_grading.trial import read_scenario

__all__ = ["Session", "build_checks"]

SCHEDULE_TIMEOUT_S = 300.0
IMPORT_TIMEOUT_S = 300.0


@dataclass
class _Trial:
    out: Path
    measurement: Measurement
    seconds: float

    def scenario(self, name: str) -> dict[str, Any] | None:
        return read_scenario(self.out, name)

    def stopped_in(self) -> str:
        path = self.out / "progress.json"
        if not path.exists():
            return "setup"
        return str(json.loads(path.read_text(encoding="utf-8"))["stage"])


class Session:
    """Runs the children of one grading run, each at most once."""

    def __init__(self, ctx: GradeContext, options: GraderOptions) -> None:
        self.ctx, self.options = ctx, options
        self.work = ctx.work_dir
        self._homes = engine_homes(self.work / "engines")
        # importing a module that reads STAGE4_* at import time must work outside the trials too
        placeholder = self.work / "import"
        self._import_env = {
            **self._homes,
            **pipeline_env(
                placeholder, f"duckdb:///{(placeholder / 'warehouse.duckdb').resolve()}"
            ),
        }
        self._trials: dict[str, _Trial] = {}
        self._sims: dict[str, tuple[SimulationResult | None, Measurement | None]] = {}

    def check_import(self) -> None:
        """Import the implementation in a child (engines' homes set): exit code 2 if it fails."""
        with exported(self._import_env):
            result = run_isolated(
                self.ctx, "gradekit._child:probe_import", timeout_s=IMPORT_TIMEOUT_S, name="import"
            )
        if not result.passed:
            raise ImplementationNotFound(self.ctx.implementation_name, result.evidence)

    # --- children ------------------------------------------------------------------------------

    def schedule(self) -> Measurement:
        with exported(self._import_env):
            return run_isolated(
                self.ctx, "stage4_grading.schedule:probe_schedule",
                timeout_s=SCHEDULE_TIMEOUT_S, name="schedule",
            )  # fmt: skip

    def trial(self, engine: str) -> _Trial:
        if engine not in self._trials:
            out = self.work / f"trial-{engine}"
            shutil.rmtree(out, ignore_errors=True)  # no result of an earlier run may be read
            warehouse = fresh_warehouse(self.options.warehouse_url, out, f"trial_{engine}")
            env = {**self._homes, **pipeline_env(out, warehouse)}
            print(f"stage4: the {engine} trial (log: {self.work / 'isolated'}) ...", flush=True)
            started = time.perf_counter()
            with exported(env):
                measurement = run_isolated(
                    self.ctx, "stage4_grading.trial:probe_trial",
                    timeout_s=self.options.trial_timeout_s, name=f"trial-{engine}",
                    engine=engine, out_dir=str(out), scenarios=self.options.trial_scenarios,
                    full_orders=self.options.full_orders,
                )  # fmt: skip
            self._trials[engine] = _Trial(out, measurement, time.perf_counter() - started)
        return self._trials[engine]

    def simulation(
        self, engine: str, policy: Policy
    ) -> tuple[SimulationResult | None, Measurement | None]:
        for other, (result, failure) in self._sims.items():
            other_policy = self._policy_of(other)
            if other_policy is not None and other_policy.shape() == policy.shape():
                return result, failure  # the same retry structure: the same simulation
        out = self.work / f"simulation-{engine}"
        shutil.rmtree(out, ignore_errors=True)
        policy_path = out / "policy.json"
        policy_path.parent.mkdir(parents=True, exist_ok=True)
        policy_path.write_text(policy.model_dump_json(indent=2), encoding="utf-8")
        warehouse = fresh_warehouse(self.options.warehouse_url, out, f"sim_{engine}")
        env = {**self._homes, **pipeline_env(out, warehouse)}
        days, budget = self.options.sim_days, self.options.simulation_budget_s
        print(f"stage4: simulating {days} days for {engine} ...", flush=True)
        result_path = out / "simulation.json"
        result_path.unlink(missing_ok=True)
        with exported(env):
            measurement = run_isolated(
                self.ctx, "stage4_grading.simulation:probe_simulation",
                timeout_s=budget + 600, name=f"simulation-{engine}",
                policy_path=str(policy_path), out_path=str(result_path), days=days, budget_s=budget,
            )  # fmt: skip
        result = read_result(result_path)
        self._sims[engine] = (result, None if result else measurement)
        return self._sims[engine]

    def _policy_of(self, engine: str) -> Policy | None:
        path = self.work / f"simulation-{engine}" / "policy.json"
        return (
            Policy.model_validate_json(path.read_text(encoding="utf-8")) if path.exists() else None
        )

    # --- one scenario, or why there is none ----------------------------------------------------

    def scenario(self, engine: str, name: str) -> dict[str, Any] | Measurement:
        """The scenario's result, or the Measurement to report instead (failed/inconclusive)."""
        if name not in self.options.trial_scenarios:
            return Measurement(
                value=None, evidence="",
                inconclusive=f"the {name} scenario was not run (trial_scenarios="
                f"{','.join(self.options.trial_scenarios)})",
            )  # fmt: skip
        trial = self.trial(engine)
        found = trial.scenario(name)
        if found is not None:
            return verdicts.scenario_error(engine, found) or found
        m = trial.measurement
        where = trial.stopped_in()
        if m.error_source is ErrorSource.TIMEOUT and name == "full_day" and where == "full_day":
            return Measurement(
                value=None, evidence=m.evidence,
                inconclusive=f"the full-size day was still running when the trial's limit "
                f"(trial_timeout_s={self.options.trial_timeout_s:g}) stopped it, before the "
                "1-hour target; a larger trial_timeout_s judges it",
            )  # fmt: skip
        why = m.error or m.evidence
        return Measurement.failed(
            f"{engine}: the trial stopped during '{where}' before this scenario gave a result: {why}",
            source=m.error_source or ErrorSource.GRADER,
        )


def build_checks(ctx: GradeContext) -> list[Check]:
    """The schedule check, then four checks per engine, in the order they are measured."""
    try:
        options = GraderOptions.from_context(ctx)
    except OptionsError as exc:
        print(f"error: stage 4 grader: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    session = Session(ctx, options)
    session.check_import()
    checks: list[Check] = []
    for engine in options.engines:
        found = criteria_of(engine)
        if "schedule" in found:
            checks.append(Check(found["schedule"], session.schedule))
        checks += [
            Check(found["success_rate"], partial(_success, session, engine)),
            Check(
                found["processing_time"],
                partial(_judged, session, engine, "full_day", verdicts.processing_time),
            ),
            Check(
                found["automatic_recovery"],
                partial(_judged, session, engine, "recovery", verdicts.recovery),
            ),
            Check(
                found["quality_sla"],
                partial(_judged, session, engine, "quality", verdicts.quality_sla),
            ),
        ]
    return checks


def _judged(
    session: Session,
    engine: str,
    name: str,
    verdict: Callable[[str, dict[str, Any]], Measurement],
) -> Measurement:
    found = session.scenario(engine, name)
    if isinstance(found, Measurement):
        return found
    return verdict(engine, found)


def _success(session: Session, engine: str) -> Measurement:
    found = session.scenario(engine, "success")
    if isinstance(found, Measurement):
        return found
    policy = Policy.model_validate(found["policy"])
    if found["succeeded"] < len(found["days"]) or policy.missing:
        return verdicts.success_rate(engine, found, None, None)
    sim, failure = session.simulation(engine, policy)
    return verdicts.success_rate(engine, found, sim, failure)
