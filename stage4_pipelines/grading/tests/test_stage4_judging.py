"""Verdicts on hand-made trial and simulation results (the engines are exercised by fidelity)."""

from __future__ import annotations

from typing import Any

from gradekit.result import ErrorSource
from stage4_grading import verdicts
from stage4_grading.simulation import SimulationResult
from stage4_grading.stats import lower_bound, upper_bound

POLICY = {"engine": "airflow", "groups": [], "flow_retries": 0, "missing": []}


def _success(succeeded: int = 3) -> dict[str, Any]:
    days = [
        {"day": f"2024-01-0{i}", "run_succeeded": i <= succeeded, "exact": i <= succeeded,
         "found": "x", "error": "" if i <= succeeded else "HTTPStatusError 503"}
        for i in (1, 2, 3)
    ]  # fmt: skip
    return {"days": days, "succeeded": succeeded, "policy": POLICY}


def _sim(days: int, delivered: int, planned: int | None = None) -> SimulationResult:
    return SimulationResult(
        engine="airflow", policy="extract[extract_data] retries=3", days_planned=planned or days,
        days=days, runs_succeeded=delivered, delivered=delivered,
    )  # fmt: skip


def test_3000_days_without_a_miss_claim_99_9() -> None:
    assert 0.9989 < lower_bound(3000, 3000) < 0.9991
    m = verdicts.success_rate("airflow", _success(), _sim(3000, 3000), None)
    assert m.passed is True and m.value == 100.0


def test_a_short_run_cannot_claim_it_and_says_so() -> None:
    m = verdicts.success_rate("airflow", _success(), _sim(300, 300), None)
    assert m.passed is None and m.inconclusive and "sim_days=3000" in m.inconclusive


def test_a_short_run_still_fails_a_pipeline_clearly_below() -> None:
    assert upper_bound(288, 300) < 0.999
    m = verdicts.success_rate("airflow", _success(), _sim(300, 288), None)
    assert m.passed is False and "clearly below" in m.evidence


def test_one_miss_in_3000_cannot_show_99_9() -> None:
    m = verdicts.success_rate("airflow", _success(), _sim(3000, 2999), None)
    assert m.passed is False and "cannot show" in m.evidence


def test_a_failed_real_run_decides_before_any_simulation() -> None:
    m = verdicts.success_rate("airflow", _success(succeeded=2), None, None)
    assert m.passed is False and "2/3 real runs" in m.evidence and "503" in m.evidence


def test_an_engine_that_never_calls_load_data_is_told_so() -> None:
    success = {**_success(), "policy": {**POLICY, "missing": ["load_data"]}}
    m = verdicts.success_rate("prefect", success, None, None)
    assert m.error_source is ErrorSource.IMPLEMENTATION and "never called load_data" in m.evidence


def test_a_full_size_day_that_did_not_load_exactly_claims_no_time() -> None:
    full = {"orders": 20000, "seconds": 4.0, "run_succeeded": True, "exact": False,
            "found": "found 1000 orders", "error": "", "small_day_seconds": [1.0]}  # fmt: skip
    m = verdicts.processing_time("prefect", full)
    assert m.passed is False and "found 1000 orders" in m.evidence
    m = verdicts.processing_time("prefect", {**full, "exact": True})
    assert m.passed is True


def test_recovery_names_each_failed_step() -> None:
    steps = {"worker_lost_after_commit": {"ok": False, "detail": "found 160 orders, expected 80"},
             "rerun_of_a_loaded_day": {"ok": True, "detail": "exactly once"}}  # fmt: skip
    m = verdicts.recovery("airflow", {"steps": steps})
    assert m.value is False and "worker lost after commit: found 160" in m.evidence


def test_quality_lists_what_leaked_and_who_was_not_told() -> None:
    days = {
        "negative_quantity": {"day": "2024-01-08", "run_failed": False, "rows_left": {"fact_orders": 80},
                              "alerted": False, "ok": False},
        "null_customer": {"day": "2024-01-09", "run_failed": True, "rows_left": {}, "alerted": True, "ok": True},
        "good_day": {"ok": True, "detail": "exactly once"},
    }  # fmt: skip
    m = verdicts.quality_sla("airflow", {"days": days})
    assert m.value is False
    assert (
        "ran to success" in m.evidence and "fact_orders" in m.evidence and "no Slack" in m.evidence
    )


def test_a_scenario_the_learners_warehouse_broke_is_theirs() -> None:
    m = verdicts.scenario_error(
        "airflow", {"scenario_error": "no column quantity", "error_source": "implementation"}
    )
    assert m is not None and m.error_source is ErrorSource.IMPLEMENTATION
