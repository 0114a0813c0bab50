"""Requirement 1 judged on the timetable's own answers (facts -> problems)."""

from __future__ import annotations

from stage4_grading.schedule import schedule_problems

GOOD = {
    "next_runs": ["2026-12-09 02:00", "2026-12-10 02:00", "2026-12-11 02:00"],
    "next_runs_hours": [(2, 0)] * 3, "gaps_hours": [24.0, 24.0], "first_run": "2024-01-01 02:00",
    "first_run_in_future": False, "catchup": False, "runs_at_unpause": 1,
    "start_date": "2023-12-31 15:00:00+00:00",
}  # fmt: skip


def test_a_daily_0200_seoul_schedule_has_no_problem() -> None:
    assert schedule_problems(GOOD) == []


def test_0200_utc_is_named_as_a_timezone_problem() -> None:
    facts = {**GOOD, "next_runs": ["2026-12-09 11:00"], "next_runs_hours": [(11, 0)]}
    assert "timezone" in schedule_problems(facts)[0]


def test_a_backlog_and_a_future_start_are_both_reported() -> None:
    facts = {
        **GOOD,
        "runs_at_unpause": "more than 31",
        "catchup": True,
        "first_run_in_future": True,
    }
    problems = schedule_problems(facts)
    assert any("catchup=False" in p for p in problems) and any("future" in p for p in problems)
