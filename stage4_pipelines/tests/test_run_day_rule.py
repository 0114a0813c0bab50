"""ONE rule for the day an Airflow run loads, on every path that creates a run.

The rule (``airflow_dag.run_day``): the Asia/Seoul day before the run's logical date, or before
its ``run_after`` when it has no logical date. Runs are created here by Airflow's own code —
the timetable the scheduler asks, the ``airflow`` CLI's commands (``dags trigger``, ``backfill
create``) run in-process on the session's metadata database — and the rule is applied to the
run rows Airflow wrote, exactly as the tasks apply it to ``context["dag_run"]``. ``dag.test``
(``airflow dags test``) is exercised end to end in ``test_airflow_dag.py``, and every path with
real workers in ``tests/distributed``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from stage4_pipelines.airflow_dag import DAG_ID, logical_date_for_day, run_day
from stage4_pipelines.config import PipelineSettings

SEOUL = ZoneInfo("Asia/Seoul")


def _cli(*argv: str) -> None:
    """Run an ``airflow`` CLI command in this process (no 20 s interpreter start per call)."""
    from airflow.cli import cli_parser

    args = cli_parser.get_parser().parse_args(list(argv))
    args.func(args)


def _runs() -> list[object]:
    from airflow.models import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        runs = session.query(DagRun).filter(DagRun.dag_id == DAG_ID).all()
        session.expunge_all()
    return list(runs)


def test_the_rule_itself():
    # the run that fires on Jan 2, 02:00 Seoul (Jan 1, 17:00 UTC) loads Jan 1
    fired = SimpleNamespace(logical_date=datetime(2024, 1, 1, 17, tzinfo=UTC), run_after=None)
    assert run_day(fired, "Asia/Seoul") == date(2024, 1, 1)
    # no logical date (the UI's Trigger button, `airflow dags trigger` without a date): run_after
    manual = SimpleNamespace(logical_date=None, run_after=datetime(2026, 11, 26, 8, 38, tzinfo=UTC))
    assert run_day(manual, "Asia/Seoul") == date(2026, 11, 25)
    # dag.test / the grader: the logical date of day D's run is D+1 02:00 Seoul, for every D
    settings = PipelineSettings()
    for day in (date(2024, 1, 1), date(2024, 2, 29), date(2024, 12, 31)):
        assert (
            run_day(SimpleNamespace(logical_date=logical_date_for_day(day, settings)), "Asia/Seoul")
            == day
        )
    from stage4_pipelines.errors import ConfigError

    with pytest.raises(ConfigError, match="--logical-date"):
        run_day(None, "Asia/Seoul")


def test_scheduled_runs_load_the_day_before_they_fire(airflow_db):
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import TimeRestriction

    from stage4_pipelines.airflow_dag import create_etl_dag

    timetable = coerce_to_core_timetable(create_etl_dag(PipelineSettings()).timetable)
    restriction = TimeRestriction(
        earliest=datetime(2024, 3, 1, tzinfo=SEOUL), latest=None, catchup=True
    )
    last, days = None, []
    for _ in range(3):  # what the scheduler asks to create its next runs
        info = timetable.next_dagrun_info(
            last_automated_data_interval=last, restriction=restriction
        )
        assert (
            info is not None and info.logical_date == info.run_after
        )  # logical date = firing time
        assert info.run_after.in_timezone("Asia/Seoul").hour == 2
        days.append(run_day(SimpleNamespace(logical_date=info.logical_date), "Asia/Seoul"))
        last = info.data_interval
    assert days == [date(2024, 2, 29), date(2024, 3, 1), date(2024, 3, 2)]


@pytest.mark.slow
def test_triggered_and_backfilled_runs_follow_the_same_rule(airflow_db):
    from airflow.models import DagRun
    from airflow.models.backfill import BackfillDagRun
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState

    _cli("dags", "reserialize")
    before = {r.run_id for r in _runs()}  # other tests' dag.test runs share this database

    # 1. triggered with a logical date: 2024-01-04 02:00 Seoul fires the run of 2024-01-03
    _cli("dags", "trigger", DAG_ID, "--logical-date", "2024-01-03T17:00:00+00:00")
    # 2. triggered without one: it loads the day before it was triggered (Seoul)
    _cli("dags", "trigger", DAG_ID)
    new = [r for r in _runs() if r.run_id not in before]
    dated = next(r for r in new if r.logical_date is not None)
    undated = next(r for r in new if r.logical_date is None)
    assert run_day(dated, "Asia/Seoul") == date(2024, 1, 3)
    # Airflow derived this run's data interval from the trigger time, not from the logical
    # date: the reason the rule never reads the data interval
    assert dated.data_interval_end is not None and dated.data_interval_end.year > 2024
    now_seoul = datetime.now(SEOUL).date()
    assert run_day(undated, "Asia/Seoul") in {now_seoul - timedelta(days=1), now_seoul}

    # 3. the dated run finished; a later backfill of Jan 1..4 re-runs it instead of skipping it
    with create_session() as session:
        session.query(DagRun).filter(DagRun.run_id == dated.run_id).update(
            {DagRun.state: DagRunState.SUCCESS}
        )
    _cli(
        "backfill", "create", "--dag-id", DAG_ID,
        "--from-date", "2024-01-02T02:00:00+09:00", "--to-date", "2024-01-05T02:00:00+09:00",
        "--reprocess-behavior", "completed",
    )  # fmt: skip
    with create_session() as session:
        rows = session.query(BackfillDagRun).all()
        session.expunge_all()
    assert all(row.exception_reason is None for row in rows), [r.exception_reason for r in rows]
    by_id = {r.id: r for r in _runs()}
    backfilled = {run_day(by_id[row.dag_run_id], "Asia/Seoul") for row in rows}
    assert backfilled == {date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3), date(2024, 1, 4)}
    reused = by_id[dated.id]  # the triggered run, now queued again as part of the backfill
    assert str(reused.run_type) == "backfill" and str(reused.state) == "queued"
    assert run_day(reused, "Asia/Seoul") == date(2024, 1, 3)
