"""The grader's own judging logic on small hand-made inputs (no graded code runs here)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from stage2_grading.cluster import summarise_tasks
from stage2_grading.counts import check_minute_table, check_stream_counts
from stage2_grading.flags import causality_diff, score_flags
from stage2_grading.shapes import ShapeError, flag_rows, minute_table
from stage2_log_analysis.generator import GroundTruth, Incident

T0 = int(datetime(2026, 3, 2, tzinfo=UTC).timestamp())


def _truth(minutes: int = 120) -> GroundTruth:
    ms = [T0 + 60 * i for i in range(minutes)]
    return GroundTruth(
        seed=1,
        fmt="combined",
        size_bytes=1,
        lines=100 * minutes,
        malformed_lines=0,
        minutes={
            "minute": ms,
            "requests": [100] * minutes,
            "status_2xx": [90] * minutes,
            "status_3xx": [5] * minutes,
            "status_4xx": [3] * minutes,
            "status_5xx": [2] * minutes,
        },
        incidents=[
            Incident(
                kind="error_spike",
                start=datetime.fromtimestamp(T0 + 3600, UTC),
                end=datetime.fromtimestamp(T0 + 3600 + 600, UTC),
            )
        ],
    )


def _table(shift_s: int = 0, errors: int = 2) -> pd.DataFrame:
    truth = _truth()
    return pd.DataFrame(
        {
            "minute": [m + shift_s for m in truth.minutes["minute"]],
            "requests": 100,
            "errors": errors,
        }
    )


def test_an_exact_table_passes_with_errors_as_5xx_or_as_4xx_plus_5xx() -> None:
    assert check_minute_table(_table(), _truth()).ok
    assert check_minute_table(_table(errors=5), _truth()).ok


def test_counts_shifted_by_one_minute_fail_and_say_so() -> None:
    result = check_minute_table(_table(shift_s=60), _truth())
    assert not result.ok
    assert any("+1 minute" in p for p in result.problems), result.problems


def test_minutes_keyed_in_local_time_are_named() -> None:
    result = check_minute_table(_table(shift_s=9 * 3600), _truth())
    assert any("+0900" in p for p in result.problems), result.problems


def test_partial_counts_not_combined_are_caught() -> None:
    table = _table()
    halves = pd.concat([table.assign(requests=50, errors=1)] * 2, ignore_index=True)
    result = check_minute_table(halves, _truth())
    assert not result.ok and "more than once" in result.problems[0]


def test_stream_counts_must_match_by_status_class() -> None:
    truth = _truth()
    good = [
        [m, c, n] for m in truth.minutes["minute"] for c, n in ((2, 90), (3, 5), (4, 3), (5, 2))
    ]
    assert check_stream_counts(good, truth).ok
    assert not check_stream_counts(good[:-1], truth).ok


def test_flagging_every_minute_is_many_false_flags() -> None:
    truth = _truth()
    everything = [(m, "error_spike") for m in truth.minutes["minute"]]
    score = score_flags(everything, truth)
    assert score.recall == 1.0
    assert score.false_minutes > score.allowed_false


def test_a_detector_that_finds_the_incident_and_nothing_else_scores_clean() -> None:
    truth = _truth()
    score = score_flags([(T0 + 3600 + 60, "error_spike")], truth)
    assert (score.recall, score.false_minutes) == (1.0, 0)
    wrong_kind = score_flags([(T0 + 3600 + 60, "traffic_drop")], truth)
    assert wrong_kind.recall == 0.0


def test_causality_diff_sees_flags_that_change_with_later_minutes() -> None:
    cut = T0 + 7200
    assert causality_diff([(T0, "x")], [(T0, "x")], cut) == []
    assert causality_diff([(T0, "x"), (T0 + 60, "x")], [(T0, "x")], cut)
    # near the cut, edge effects are forgiven
    assert causality_diff([(cut - 60, "x")], [], cut) == []


def test_shapes_accept_index_or_column_and_refuse_none() -> None:
    idx = pd.DatetimeIndex([pd.Timestamp(T0, unit="s", tz="UTC")], name="minute")
    table = minute_table(pd.DataFrame({"requests": [3], "status_5xx": [1]}, index=idx), "analyze")
    assert table["minute"].tolist() == [T0] and table["errors"].tolist() == [1]
    with pytest.raises(ShapeError, match="returned None"):
        minute_table(None, "analyze")
    naive = pd.DataFrame({"minute": [pd.Timestamp(T0, unit="s")], "kind": ["error_spike"]})
    assert flag_rows(naive, "detect_anomalies") == [(T0, "error_spike")]


def test_task_stream_summary_splits_compute_by_worker() -> None:
    records = [
        {"worker": "a", "startstops": [{"action": "compute", "start": 0.0, "stop": 3.0}]},
        {"worker": "b", "startstops": [{"action": "transfer", "start": 0.0, "stop": 9.0}]},
        {"worker": "b", "startstops": [{"action": "compute", "start": 1.0, "stop": 2.0}]},
    ]
    summary = summarise_tasks(records)
    assert summary.tasks == 3 and summary.compute_s == 4.0
    assert summary.busiest_share == 0.75
