"""Real-log shapes: sampled, low traffic, a year long, outages, gaps, bots, skewed clocks.

On each shape the detector must page at most 3 times per 10,000 minutes for nothing, find
every outage of 10 minutes or more, and never page the recovery after an outage as a surge
(``scoring.score_shape``); the statistics must still equal the truth to the minute.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stage2_log_analysis.analysis import analyze
from stage2_log_analysis.generator import SHAPES, GroundTruth, generate_log, shape_config
from stage2_log_analysis.scoring import score_counts, score_shape


@pytest.fixture(scope="module")
def shape_logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, GroundTruth]]:
    """One small log of each shape (6–30 MB), written once for the module."""
    folder = tmp_path_factory.mktemp("shapes")
    logs = {}
    for name in SHAPES:
        path = folder / f"{name}.log"
        logs[name] = (path, generate_log(path, shape_config(name, seed=5), shape=name))
    return logs


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_each_real_shape_meets_the_paging_bar_with_exact_counts(shape_logs, name):
    path, truth = shape_logs[name]
    result = analyze([path])
    counts = score_counts(result.minutes, truth, extra=("bytes", "distinct_ips"))
    assert counts.minutes_exact == counts.minutes_truth, counts.first_mismatch
    score = score_shape(result.anomalies, truth)
    assert score.passed, score.evidence
    assert score.incidents.recall == 1.0, score.incidents.missed


def test_outages_are_one_flag_each_with_a_reason(shape_logs):
    path, truth = shape_logs["outage_hours"]
    flags = analyze([path]).anomalies
    outages = flags[flags["kind"] == "outage"]
    labelled = [i for i in truth.incidents if i.kind == "outage"]
    assert len(outages) == len(labelled)
    for row, incident in zip(outages.itertuples(), labelled, strict=True):
        assert row.minute == incident.start and row.end == incident.end  # minute-exact
        assert row.value == 0 and row.baseline > 20 and row.score > 50
        assert "no request for" in row.reason and "baseline" in row.reason


def test_a_sampled_log_pages_only_when_samples_go_missing(shape_logs):
    path, truth = shape_logs["sparse_hourly"]
    flags = analyze([path]).anomalies
    assert list(flags["kind"]) == ["outage"]  # not one page per hour between the samples
    (outage,) = [i for i in truth.incidents if i.kind == "outage"]
    assert flags["minute"].iloc[0] <= outage.start and flags["end"].iloc[0] >= outage.end
    assert "samples missing" in flags["reason"].iloc[0]


def test_a_gap_of_days_is_one_outage_and_the_traffic_after_it_is_normal(shape_logs):
    path, _ = shape_logs["gap_days"]
    result = analyze([path])
    flags = result.anomalies
    longest = (flags["end"] - flags["minute"]).max()
    assert longest.total_seconds() >= 2 * 86400
    assert set(flags["kind"]) == {"outage"}
