"""The grader's judging logic, on hand-made trial results (the engines are tested elsewhere)."""

import pytest

from gradekit.runner import run_checks
from gradekit.stages import STAGES, GradeContext
from stage4_pipelines import grading

GOOD_TRIAL = {
    "transient": {"days": 3, "succeeded": 3, "faults_injected": {"http_5xx": 2}},
    "full_day": {"orders": 20000, "succeeded": True, "seconds": 12.0, "reconciled": True},
    "recovery": {
        "crash_fired": True,
        "crash_recovered_exactly": True,
        "permanent_failure_failed_the_run": True,
        "slack_alerted": True,
        "reprocessed_exactly_after_fix": True,
    },
    "quality": {
        "bad_day_stopped": True,
        "slack_alerted": True,
        "report_written": True,
        "tables_with_bad_rows": [],
        "good_day_passed": True,
    },
}
SKELETON_TRIAL = {  # what the unfinished exercise produces: every scenario raised
    name: {"error": "NotImplementedError: etl_pipeline"} for name in GOOD_TRIAL
}
SIMULATION = {
    "success_rate": 0.9997, "success_rate_lower_95": 0.9984, "succeeded": 2999, "days": 3000,
    "recovered_automatically": 900, "exactly_once": True,
    "delivered": 3000, "delivered_rate": 1.0, "delivered_rate_lower_95": 0.999, "healed_days": 1,
}  # fmt: skip


def _scorecard(tmp_path, monkeypatch, trial, simulation=SIMULATION):
    monkeypatch.setattr(grading, "_trial", lambda ctx, engine: trial)
    monkeypatch.setattr(grading, "_simulation", lambda ctx: simulation)
    ctx = GradeContext(
        stage=STAGES["stage4"], impl_spec="", default_impl="stage4_pipelines",
        module_hint="pipeline", work_dir=tmp_path,
    )  # fmt: skip
    return run_checks("stage4", grading.TITLE, "test", grading.build_checks(ctx))


def test_four_criteria_for_each_engine(tmp_path, monkeypatch):
    card = _scorecard(tmp_path, monkeypatch, GOOD_TRIAL)
    assert [c.id for c in card.criteria] == [
        f"{engine}_{what}"
        for engine in ("airflow", "prefect")
        for what in ("success_rate", "processing_time", "automatic_recovery", "quality_sla")
    ]
    assert card.passed


def test_an_unfinished_skeleton_gets_a_clean_failing_scorecard(tmp_path, monkeypatch):
    card = _scorecard(tmp_path, monkeypatch, SKELETON_TRIAL)
    assert not any(c.passed for c in card.criteria)
    assert all("NotImplementedError" in (c.error or "") for c in card.criteria)


def test_a_failing_engine_shows_its_own_success_rate(tmp_path, monkeypatch):
    trial = {name: dict(outcome) for name, outcome in GOOD_TRIAL.items()}
    trial["transient"]["succeeded"] = 0
    card = _scorecard(tmp_path, monkeypatch, trial)
    assert card.criteria[0].measured == 0.0 and not card.criteria[0].passed


def test_success_rate_is_judged_on_days_delivered_without_a_human(tmp_path, monkeypatch):
    card = _scorecard(tmp_path, monkeypatch, GOOD_TRIAL)
    assert card.criteria[0].measured == 100.0  # the within-retries 99.97 % is only evidence
    assert "within the run's own retries 2999/3000" in card.criteria[0].evidence
    short = {**SIMULATION, "delivered": 2999, "delivered_rate": 0.9997}
    short["delivered_rate_lower_95"] = 0.9984  # 2999/3000 cannot claim 99.9 % at 95 %
    card = _scorecard(tmp_path, monkeypatch, GOOD_TRIAL, short)
    assert not card.criteria[0].passed and not card.criteria[4].passed


@pytest.mark.parametrize(
    ("scenario", "key", "bad"),
    [
        ("quality", "tables_with_bad_rows", ["mart_daily_revenue"]),
        ("recovery", "slack_alerted", False),
        ("full_day", "reconciled", False),
    ],
)
def test_one_broken_promise_fails_its_criterion(tmp_path, monkeypatch, scenario, key, bad):
    trial = {name: dict(outcome) for name, outcome in GOOD_TRIAL.items()}
    trial[scenario][key] = bad
    card = _scorecard(tmp_path, monkeypatch, trial)
    failed = {c.id.split("_", 1)[1] for c in card.criteria if not c.passed}
    expected = {
        "quality": "quality_sla",
        "recovery": "automatic_recovery",
        "full_day": "processing_time",
    }
    assert failed == {expected[scenario]}
