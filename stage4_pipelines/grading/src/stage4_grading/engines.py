"""The real engines, as the trial drives them: one day per run, retry waits shortened.

Airflow runs the learner's DAG with ``dag.test()`` (the scheduler's own task loop, in-process,
with a temporary metadata database); Prefect calls the learner's flow against a temporary
server (``prefect_test_harness``). The run of day D is the one that fires at D+1 02:00
Asia/Seoul: the Airflow run gets that logical date, the Prefect flow gets ``day="D"``.

Retries keep their number, but their waits (the roadmap's 5 minutes) are cut to a tenth of a
second: the grader cannot wait hours, and what is judged is whether a retry happens and what it
leaves in the warehouse. The original policy is reported as evidence.
"""

from __future__ import annotations

import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import BaseModel

from stage4_grading.interface import EngineCall

__all__ = [
    "DAG_FILE",
    "Engine",
    "Run",
    "airflow_engine",
    "firing_time",
    "prefect_engine",
]

TIMEZONE = "Asia/Seoul"
SHORT_WAIT_S = 0.1

DAG_FILE = '''"""Written by the stage 4 grader: the graded Airflow DAG, in the folder dag.test() syncs from."""
import importlib

dag = importlib.import_module({module!r}).create_etl_dag()
'''


class Run(BaseModel):
    """One day run through an engine."""

    day: str
    succeeded: bool
    seconds: float
    error: str = ""


class Engine:
    """Runs one day at a time; ``policy`` records the retry settings as the learner wrote them."""

    name: str = ""

    def __init__(self) -> None:
        self.policy: dict[str, Any] = {}

    def run_day(self, day: date) -> Run:
        """Run the learner's pipeline for ``day``; never raises."""
        started = time.perf_counter()
        try:
            ok, error = self._run(day)
        except Exception as exc:  # the engine refused the DAG/flow, or the learner's code raised
            ok, error = False, f"{type(exc).__name__}: {exc}\n{traceback.format_exc()[-1500:]}"
        return Run(
            day=day.isoformat(),
            succeeded=ok,
            seconds=round(time.perf_counter() - started, 3),
            error=error,
        )

    def context(self) -> EngineCall | None:
        """The engine task running right now (for the interface's hooks), or None."""
        raise NotImplementedError

    def _run(self, day: date) -> tuple[bool, str]:
        raise NotImplementedError


def firing_time(day: date) -> datetime:
    """When the run that processes ``day`` fires: D+1 02:00 Asia/Seoul."""
    import pendulum

    following = day + timedelta(days=1)
    return pendulum.datetime(following.year, following.month, following.day, 2, 0, tz=TIMEZONE)


class _Airflow(Engine):
    name = "airflow"

    def __init__(self, dag: Any) -> None:
        super().__init__()
        self.dag = dag
        self.policy = {t.task_id: _airflow_policy(t) for t in dag.tasks}
        for t in dag.tasks:  # keep the number of retries, not the wait
            t.retry_delay = timedelta(seconds=SHORT_WAIT_S)
            if t.max_retry_delay is not None:
                t.max_retry_delay = timedelta(seconds=SHORT_WAIT_S)

    def _run(self, day: date) -> tuple[bool, str]:
        run = self.dag.test(logical_date=firing_time(day))
        state = str(getattr(run, "state", ""))
        if state == "success":
            return True, ""
        failed = [
            f"{ti.task_id}={ti.state}"
            for ti in run.get_task_instances()
            if str(ti.state) not in ("success", "skipped")
        ]
        return False, f"DAG run {state}: {', '.join(failed) or 'no task failed'}"

    def context(self) -> EngineCall | None:
        try:
            from airflow.sdk import get_current_context

            current = get_current_context()
        except Exception:
            return None
        task, ti = current["task"], current["ti"]
        return EngineCall(
            group=str(task.task_id), retries=int(task.retries or 0), attempt=int(ti.try_number or 1)
        )


def _airflow_policy(t: Any) -> dict[str, Any]:
    return {
        "retries": t.retries,
        "retry_delay": str(t.retry_delay),
        "retry_exponential_backoff": t.retry_exponential_backoff,
        "execution_timeout": str(t.execution_timeout) if t.execution_timeout else None,
        "on_failure_callback": bool(t.on_failure_callback),
    }


@contextmanager
def airflow_engine(module: ModuleType, module_name: str, dags_folder: Path) -> Iterator[Engine]:
    """Airflow ready for ``dag.test()``: metadata DB migrated, the DAG in a bundle folder."""
    dags_folder.mkdir(parents=True, exist_ok=True)
    (dags_folder / "graded_dag.py").write_text(
        DAG_FILE.format(module=module_name), encoding="utf-8"
    )
    migrate = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True
    )
    if migrate.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed: {migrate.stderr[-800:]}")
    yield _Airflow(module.create_etl_dag())


class _Prefect(Engine):
    name = "prefect"

    def __init__(self, flow: Any) -> None:
        super().__init__()
        self.flow = flow

    def _run(self, day: date) -> tuple[bool, str]:
        state = self.flow(day=day.isoformat(), return_state=True)
        if state.is_completed():
            return True, ""
        return False, f"flow run {state.type.value}: {str(state.message)[:600]}"

    def context(self) -> EngineCall | None:
        from prefect.context import FlowRunContext, TaskRunContext

        flow_ctx = FlowRunContext.get()
        if flow_ctx is None or flow_ctx.flow is None:
            return None
        flow_retries = int(flow_ctx.flow.retries or 0)
        flow_attempt = int(getattr(flow_ctx.flow_run, "run_count", 1) or 1)
        task_ctx = TaskRunContext.get()
        if task_ctx is None:
            return EngineCall(
                group="(flow body)", retries=0, attempt=flow_attempt, flow_retries=flow_retries
            )
        return EngineCall(
            group=str(task_ctx.task.name),
            retries=int(task_ctx.task.retries or 0),
            attempt=int(task_ctx.task_run.run_count or 1),
            flow_retries=flow_retries,
        )


@contextmanager
def prefect_engine(module: ModuleType, server_startup_s: float = 300) -> Iterator[Engine]:
    """The learner's flow against a temporary Prefect server, retry waits shortened."""
    from prefect import Flow, Task
    from prefect.testing.utilities import prefect_test_harness

    flow = getattr(module, "etl_pipeline", None)
    if not isinstance(flow, Flow):
        raise TypeError(
            f"{module.__name__}.etl_pipeline is {type(flow).__name__}, not a Prefect flow "
            "(decorate it with @flow)"
        )
    policy = _shorten_prefect_waits(module, Task, Flow)
    with prefect_test_harness(server_startup_timeout=int(server_startup_s)):
        engine = _Prefect(flow)
        engine.policy = policy
        yield engine


def _shorten_prefect_waits(module: ModuleType, task_cls: Any, flow_cls: Any) -> dict[str, Any]:
    """Cut retry waits of every task and flow, those made later by ``with_options`` included."""
    policy: dict[str, Any] = {}
    for name, obj in vars(module).items():
        if isinstance(obj, task_cls | flow_cls):
            policy[name] = {"retries": obj.retries, "retry_delay_seconds": obj.retry_delay_seconds}
            _shorten(obj)
    for cls in (task_cls, flow_cls):
        original_init = cls.__init__

        def init(self: Any, *args: Any, __init: Any = original_init, **kwargs: Any) -> None:
            __init(self, *args, **kwargs)
            _shorten(self)

        cls.__init__ = init
    return policy


def _shorten(obj: Any) -> None:
    delay = obj.retry_delay_seconds
    if isinstance(delay, list | tuple):
        obj.retry_delay_seconds = [SHORT_WAIT_S] * len(delay)
    elif delay:
        obj.retry_delay_seconds = SHORT_WAIT_S
    if getattr(obj, "retry_jitter_factor", None):
        obj.retry_jitter_factor = None
