"""The engine trial (a probe, run in a child process): the learner's pipeline on a real engine.

Four scenarios, each written to ``<out>/<scenario>.json`` as soon as it ends, so that a hang in a
later one leaves the verdicts of the earlier ones:

* ``success``: three small days, two of them meeting one transient upstream fault (a 503, a
  truncated body) and one with the weekly schema drift; each must load exactly. The calls the
  engine makes to the four steps here give the retry policy the simulation replays.
* ``full_day``: one full-size day (``full_orders`` orders) end to end, timed, reconciled.
* ``recovery``: a load whose worker dies after it committed (the engine's retry must not double
  the day); the same day re-run (a backfill); a day whose upstream is down (the run must fail and
  alert Slack naming the day), re-run once fixed; a day republished with late orders, re-run.
* ``quality``: two days corrupted on purpose in two ways (negative quantities, orders without a
  customer): each run must fail, alert, and leave no row of that day in any warehouse table
  (landing tables ``raw_``/``stg_`` excepted); then a good day must load exactly.

Every "exactly" is counted in the warehouse against the truth of the days as served.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from collections.abc import Callable
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

from gradekit.result import ErrorSource, Measurement
from gradekit.scorecard import write_atomic
from gradekit.stages import GradeContext
from stage4_grading.days import Corruption, is_drift_day
from stage4_grading.engines import Engine, Run, airflow_engine, prefect_engine
from stage4_grading.interface import Interface, InterfaceError, WorkerLostAfterCommit, require
from stage4_grading.policy import policy_from_calls
from stage4_grading.upstream import GraderUpstream
from stage4_grading.warehouse_reader import (
    WarehouseContractError,
    check_day,
    read_facts,
    rows_of_day,
)
from stage4_pipelines.slack_receiver import SlackReceiver
from stage4_pipelines.source.faults import Fault

__all__ = ["SCENARIOS", "TRIAL_DAYS", "probe_trial", "read_scenario"]

SCENARIOS = ("success", "full_day", "recovery", "quality")
SMALL_ORDERS = 80
TRIAL_DAYS: dict[str, date] = {
    "success_503": date(2024, 1, 1),
    "success_truncated": date(2024, 1, 2),
    "success_drift": date(2024, 1, 7),
    "full_day": date(2024, 1, 3),
    "worker_lost": date(2024, 1, 4),
    "broken": date(2024, 1, 5),
    "republished": date(2024, 1, 6),
    "negative_quantity": date(2024, 1, 8),
    "null_customer": date(2024, 1, 9),
    "good": date(2024, 1, 10),
}


def read_scenario(out_dir: Path, scenario: str) -> dict[str, Any] | None:
    """A scenario's result as written by the trial, or None when it did not finish."""
    path = out_dir / f"{scenario}.json"
    if not path.exists():
        return None
    result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return result


def probe_trial(
    ctx: GradeContext, engine: str, out_dir: str, scenarios: list[str], full_orders: int
) -> Measurement:
    """Run the scenarios on ``engine``; each writes its own JSON (read by the criteria)."""
    module = ctx.load()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    try:
        return _run_trial(ctx, module, engine, out, scenarios, full_orders)
    except InterfaceError as exc:
        return Measurement.failed(f"{engine}: {exc}", source=ErrorSource.IMPLEMENTATION)


def _run_trial(
    ctx: GradeContext,
    module: ModuleType,
    engine: str,
    out: Path,
    scenarios: list[str],
    full_orders: int,
) -> Measurement:
    with ExitStack() as stack:
        up = stack.enter_context(
            GraderUpstream(port=_port("STAGE4_SOURCE_URL"), orders_per_day=SMALL_ORDERS)
        )
        slack = stack.enter_context(SlackReceiver(port=_port("STAGE4_SLACK_WEBHOOK_URL")))
        _progress(out, "setup")
        engines: list[Engine] = []  # hooked before the DAG exists: every route is seen
        iface = Interface.install(module, lambda: engines[0].context() if engines else None)
        if engine == "airflow":
            require(module, "create_etl_dag", "create_etl_dag() -> airflow.sdk.DAG")
            folder = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
            runner = stack.enter_context(airflow_engine(module, ctx.location.module_name, folder))
        else:
            require(module, "etl_pipeline", "a Prefect @flow etl_pipeline(day: str | None = None)")
            runner = stack.enter_context(prefect_engine(module))
        engines.append(runner)
        trial = _Trial(runner, iface, up, slack, os.environ["STAGE4_WAREHOUSE_URL"], out)
        write_atomic(out / "engine_policy.json", json.dumps(runner.policy, indent=2, default=str))
        bodies: dict[str, Callable[[], dict[str, Any]]] = {
            "success": trial.success,
            "full_day": lambda: trial.full_day(full_orders),
            "recovery": trial.recovery,
            "quality": trial.quality,
        }
        for name in scenarios:
            _progress(out, name)
            trial.scenario(name, bodies[name])
        _progress(out, "done")
    return Measurement(value=True, evidence=f"{engine} trial ran {', '.join(scenarios)}")


class _Trial:
    def __init__(
        self,
        engine: Engine,
        iface: Interface,
        up: GraderUpstream,
        slack: SlackReceiver,
        warehouse_url: str,
        out: Path,
    ) -> None:
        self.engine, self.iface, self.up, self.slack = engine, iface, up, slack
        self.warehouse_url, self.out = warehouse_url, out
        self.runs: list[Run] = []

    def scenario(self, name: str, body: Callable[[], dict[str, Any]]) -> None:
        started = time.perf_counter()
        try:
            result = body()
        except (
            WarehouseContractError,
            InterfaceError,
        ) as exc:  # the learner's side of the contract
            result = {"scenario_error": str(exc), "error_source": ErrorSource.IMPLEMENTATION.value}
        except Exception as exc:  # the grader's own bug: say so, with where
            where = traceback.format_exc()[-1200:]
            result = {
                "scenario_error": f"grader error {type(exc).__name__}: {exc}\n{where}",
                "error_source": ErrorSource.GRADER.value,
            }
        result["scenario_seconds"] = round(time.perf_counter() - started, 2)
        result["runs"] = [r.model_dump() for r in self.runs]
        self.runs = []
        write_atomic(self.out / f"{name}.json", json.dumps(result, indent=2, default=str))

    def run(self, day: date) -> Run:
        run = self.engine.run_day(day)
        self.runs.append(run)
        return run

    def exact(self, day: date) -> tuple[bool, str]:
        """Is ``day`` in the warehouse exactly once, as served now?"""
        check = check_day(read_facts(self.warehouse_url), self.up.truth(day))
        return check.matches, check.describe()

    def alerts_since(self, count: int, day: date) -> list[str]:
        return [text for text in self.slack.texts()[count:] if day.isoformat() in text]

    # --- scenarios ---------------------------------------------------------------------------

    def success(self) -> dict[str, Any]:
        self.up.injector.script(TRIAL_DAYS["success_503"], Fault.HTTP_5XX)
        self.up.injector.script(TRIAL_DAYS["success_truncated"], Fault.TRUNCATED)
        days = [TRIAL_DAYS[k] for k in ("success_503", "success_truncated", "success_drift")]
        outcomes = []
        for day in days:
            run = self.run(day)
            exact, found = self.exact(day) if run.succeeded else (False, "run failed")
            outcomes.append(
                {"day": day.isoformat(), "run_succeeded": run.succeeded, "exact": exact,
                 "found": found, "error": run.error[:800]}
            )  # fmt: skip
        policy = policy_from_calls(
            self.iface.calls, self.engine.name, [d.isoformat() for d in days]
        )
        write_atomic(self.out / "policy.json", policy.model_dump_json(indent=2))
        return {
            "days": outcomes,
            "succeeded": sum(o["run_succeeded"] and o["exact"] for o in outcomes),
            "faults_scripted": {"http_5xx": 1, "truncated": 1, "schema_drift_day": 1},
            "drift_day": is_drift_day(TRIAL_DAYS["success_drift"]),
            "policy": policy.model_dump(),
        }

    def full_day(self, orders: int) -> dict[str, Any]:
        day = TRIAL_DAYS["full_day"]
        self.up.orders_overrides[day] = orders
        self.up.served_tables(day)  # the upstream prepares the day before the clock starts
        run = self.run(day)
        exact, found = self.exact(day) if run.succeeded else (False, "run failed")
        small = [r.seconds for r in self._all_small_runs()]
        return {
            "day": day.isoformat(),
            "orders": orders,
            "seconds": run.seconds,
            "run_succeeded": run.succeeded,
            "exact": exact,
            "found": found,
            "error": run.error[:800],
            "small_day_seconds": small,
        }

    def recovery(self) -> dict[str, Any]:
        steps: dict[str, Any] = {}
        lost = TRIAL_DAYS["worker_lost"]
        self.iface.arm(
            "load_data", "after", WorkerLostAfterCommit("the worker died after the load committed")
        )
        run = self.run(lost)
        fired = "load_data (after)" not in self.iface.pending()
        steps["worker_lost_after_commit"] = self._step(lost, run, fired=fired)
        steps["rerun_of_a_loaded_day"] = self._step(lost, self.run(lost))

        broken = TRIAL_DAYS["broken"]
        self.up.injector.reconfigure(
            self.up.injector.config.model_copy(update={"broken_days": {broken}})
        )
        before = len(self.slack.messages)
        run = self.run(broken)
        alerts = self.alerts_since(before, broken)
        steps["upstream_down_fails_the_run"] = {
            "ok": not run.succeeded,
            "detail": run.error[:300] or "the run succeeded",
        }
        steps["upstream_down_alerts_slack"] = {
            "ok": bool(alerts),
            "detail": alerts[-1][:400] if alerts else f"no Slack message named {broken}",
        }
        self.up.injector.reconfigure(
            self.up.injector.config.model_copy(update={"broken_days": set()})
        )
        steps["reprocessed_once_fixed"] = self._step(broken, self.run(broken))

        late = TRIAL_DAYS["republished"]
        first = self._step(late, self.run(late))
        self.up.republished[late] = 5
        steps["republished_day_reprocessed"] = (
            self._step(late, self.run(late))
            if first["ok"]
            else {"ok": False, "detail": f"first load: {first['detail']}"}
        )
        return {"steps": steps, "ok": all(s["ok"] for s in steps.values())}

    def quality(self) -> dict[str, Any]:
        days: dict[str, Any] = {}
        for kind in Corruption:
            day = TRIAL_DAYS[kind.value]
            self.up.corruptions[day] = kind
            before = len(self.slack.messages)
            run = self.run(day)
            leaked = rows_of_day(self.warehouse_url, day)
            alerts = self.alerts_since(before, day)
            days[kind.value] = {
                "day": day.isoformat(),
                "run_failed": not run.succeeded,
                "rows_left": leaked,
                "alerted": bool(alerts),
                "alert": alerts[-1][:400] if alerts else "",
                "ok": not run.succeeded and not leaked and bool(alerts),
            }
        good = TRIAL_DAYS["good"]
        days["good_day"] = self._step(good, self.run(good))
        return {"days": days, "ok": all(d["ok"] for d in days.values())}

    # --- helpers -------------------------------------------------------------------------------

    def _step(self, day: date, run: Run, *, fired: bool = True) -> dict[str, Any]:
        if not run.succeeded:
            return {"ok": False, "detail": f"the run of {day} failed: {run.error[:400]}"}
        exact, found = self.exact(day)
        detail = (
            found
            if fired
            else f"{found} (the grader's fault never fired: load_data was not called)"
        )
        return {"ok": exact and fired, "detail": detail}

    def _all_small_runs(self) -> list[Run]:
        path = self.out / "success.json"
        if not path.exists():
            return []
        return [Run(**r) for r in json.loads(path.read_text(encoding="utf-8")).get("runs", [])]


def _port(variable: str) -> int:
    url = os.environ[variable]
    return int(url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])


def _progress(out: Path, stage: str) -> None:
    write_atomic(out / "progress.json", json.dumps({"stage": stage, "at": time.time()}))
