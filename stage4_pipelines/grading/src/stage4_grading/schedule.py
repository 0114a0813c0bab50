"""Requirement 1 (매일 오전 2시 데이터 수집), a probe run in a child process: when does the DAG run?

The grader asks the DAG's own timetable (Airflow's scheduler logic) for its next fire times and
for what unpausing it would start, rather than reading the ``schedule=`` text: ``"0 2 * * *"``
with a naive ``start_date`` fires at 02:00 UTC (11:00 in Seoul), a ``start_date`` in the future
never fires before then, and ``catchup=True`` from 2024 starts hundreds of runs at once.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from typing import Any

from gradekit.result import ErrorSource, Measurement
from gradekit.stages import GradeContext
from stage4_grading.interface import InterfaceError, require

__all__ = ["MAX_RUNS_AT_UNPAUSE", "probe_schedule", "schedule_problems"]

TIMEZONE = "Asia/Seoul"
MAX_RUNS_AT_UNPAUSE = 31
"""More runs than this at the first unpause is a backlog nobody meant (a month is a backfill)."""


def probe_schedule(ctx: GradeContext) -> Measurement:
    """Build the learner's DAG and judge its schedule by the timetable's own answers."""
    import pendulum

    module = ctx.load()
    try:
        factory = require(module, "create_etl_dag", "create_etl_dag() -> airflow.sdk.DAG")
    except InterfaceError as exc:
        return Measurement.failed(str(exc), source=ErrorSource.IMPLEMENTATION)
    dag = factory()
    now = pendulum.now("UTC")
    facts = schedule_facts(dag, now)
    problems = schedule_problems(facts)
    where = f"create_etl_dag() -> DAG {dag.dag_id!r}"
    evidence = (
        f"{where}: next runs {', '.join(facts['next_runs']) or 'none'} ({TIMEZONE}); first run "
        f"{facts['first_run'] or 'never'}; catchup={facts['catchup']}, runs started at the first "
        f"unpause: {facts['runs_at_unpause']}"
    )
    if problems:
        evidence = f"{'; '.join(problems)}. {evidence}"
    return Measurement(value=not problems, evidence=evidence, details=facts)


def schedule_facts(dag: Any, now: Any) -> dict[str, Any]:
    """Next fire times (local), the first fire time, catchup and the runs an unpause starts."""
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import TimeRestriction

    timetable = coerce_to_core_timetable(dag.timetable)
    start = dag.start_date

    def fires(earliest: Any, limit: int, until: Any = None) -> list[Any]:
        out: list[Any] = []
        last = None
        restriction = TimeRestriction(earliest=earliest, latest=None, catchup=True)
        while len(out) < limit:
            info = timetable.next_dagrun_info(
                last_automated_data_interval=last, restriction=restriction
            )
            if info is None or (until is not None and info.run_after > until):
                break
            out.append(info.run_after)
            last = info.data_interval
        return out

    upcoming = fires(max(now, start) if start else now, 3)
    first = fires(start, 1) if start else []
    if dag.catchup and start is not None:
        backlog = len(fires(start, MAX_RUNS_AT_UNPAUSE + 1, until=now))
    else:
        backlog = 1 if first and first[0] <= now else 0
    local = [t.in_timezone(TIMEZONE) for t in upcoming]
    return {
        "schedule": str(getattr(timetable, "summary", dag.timetable)),
        "next_runs": [t.strftime("%Y-%m-%d %H:%M") for t in local],
        "next_runs_hours": [(t.hour, t.minute) for t in local],
        "gaps_hours": [round((b - a).total_seconds() / 3600, 2) for a, b in pairwise(local)],
        "first_run": first[0].in_timezone(TIMEZONE).strftime("%Y-%m-%d %H:%M") if first else None,
        "first_run_in_future": bool(first and first[0] > now + timedelta(days=1)),
        "catchup": bool(dag.catchup),
        "runs_at_unpause": backlog
        if backlog <= MAX_RUNS_AT_UNPAUSE
        else f"more than {MAX_RUNS_AT_UNPAUSE}",
        "start_date": str(start),
    }


def schedule_problems(facts: dict[str, Any]) -> list[str]:
    """What is wrong with a schedule, in the learner's terms (empty when it is right)."""
    problems = []
    if not facts["next_runs"]:
        problems.append("the DAG is not scheduled (no next run): expected every day at 02:00")
    elif any(tuple(hm) != (2, 0) for hm in facts["next_runs_hours"]):
        problems.append(
            f"it runs at {', '.join(r[11:] for r in facts['next_runs'])} {TIMEZONE} time, not 02:00 "
            "(is the timezone on start_date or the timetable missing?)"
        )
    elif any(g != 24 for g in facts["gaps_hours"]):
        problems.append(f"runs are {facts['gaps_hours']} hours apart, not daily")
    if facts["first_run_in_future"]:
        problems.append(
            f"start_date {facts['start_date']} is in the future: no run before {facts['first_run']}"
        )
    if not isinstance(facts["runs_at_unpause"], int):
        problems.append(
            f"unpausing it would start {facts['runs_at_unpause']} runs at once (catchup=True "
            f"from {facts['start_date']}): set catchup=False"
        )
    return problems
