"""The hour-of-day (seasonal) baseline: a daily pattern stops paging, a night surge still pages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stage2_log_analysis.analysis import analyze
from stage2_log_analysis.anomaly import AnomalyConfig, detect_minute_anomalies
from stage2_log_analysis.generator import (
    DailyStep,
    GeneratorConfig,
    GroundTruth,
    PlannedIncident,
    generate_log,
)
from stage2_log_analysis.scoring import score_incidents

DAY = 1440
START = datetime(2026, 3, 2, tzinfo=UTC)  # UTC midnight: the generator's hours are UTC hours
# Incidents at chosen places. Day 2 is the first day with two earlier days of history.
PLAN = [
    PlannedIncident(kind="error_spike", start=1 * DAY + 10 * 60, minutes=8),
    PlannedIncident(kind="traffic_drop", start=1 * DAY + 15 * 60, minutes=10),  # daily peak
    PlannedIncident(kind="client_burst", start=1 * DAY + 18 * 60, minutes=8),
    # 03:20: the hour after the nightly job, whose 3x traffic fills the rolling window
    PlannedIncident(kind="traffic_surge", start=2 * DAY + 3 * 60 + 20, minutes=10),
    PlannedIncident(kind="traffic_surge", start=2 * DAY + 5 * 60, minutes=10),  # quiet hour
]


@pytest.fixture(scope="module")
def multi_day(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, GroundTruth]:
    """About 49 MB over 2.3 days (~80 requests/min): a daily cycle and a nightly 3x job at 02:00."""
    path = tmp_path_factory.mktemp("seasonal") / "access.log"
    config = GeneratorConfig(
        size_bytes=int(2.3 * DAY * 80 * 170 * (1 + 2 / 24)),
        days=2.3,
        seed=11,
        start=START,
        daily_step=DailyStep(hour=2, minutes=60, factor=3.0),
        incident_plan=PLAN,
    )
    truth = generate_log(path, config)
    return analyze([Path(path)]).minutes, truth


def _traffic_flags(flags: pd.DataFrame, day: int, first_hour: int, last_hour: int) -> pd.DataFrame:
    """Surge and drop flags of ``day`` between the hours, outside the planned incidents."""
    lo = pd.Timestamp(START) + pd.Timedelta(days=day, hours=first_hour)
    hi = pd.Timestamp(START) + pd.Timedelta(days=day, hours=last_hour)
    traffic = flags["kind"].isin(["traffic_surge", "traffic_drop"])
    planned = [
        pd.date_range(
            pd.Timestamp(START) + pd.Timedelta(minutes=p.start), periods=p.minutes, freq="min"
        )
        for p in PLAN
    ]
    incident = flags["minute"].isin(planned[0].append(planned[1:]))
    return flags[traffic & ~incident & (flags["minute"] >= lo) & (flags["minute"] < hi)]


def test_the_nightly_job_stops_paging_once_seen_on_two_days(multi_day):
    minutes, _ = multi_day
    flags = detect_minute_anomalies(minutes)
    # days 0 and 1: no hour-of-day history yet, the rolling baseline flags the job's step
    for day in (0, 1):
        seen = _traffic_flags(flags, day, 2, 4)
        assert not seen.empty
        assert seen["method"].str.startswith("rolling").all()
    # day 2: the same hour on two earlier days says the job is normal (the surge planned at
    # 03:20 is left out here; it is the next test's)
    assert _traffic_flags(flags, 2, 2, 4).empty


def test_without_the_seasonal_baseline_the_job_pages_every_day(multi_day):
    minutes, _ = multi_day
    flags = detect_minute_anomalies(minutes, AnomalyConfig(seasonal_days=0))
    assert not _traffic_flags(flags, 2, 2, 4).empty


def test_surges_at_night_are_flagged_against_the_seasonal_baseline(multi_day):
    minutes, _ = multi_day
    flags = detect_minute_anomalies(minutes)
    for incident in PLAN[3:]:
        start = pd.Timestamp(START) + pd.Timedelta(minutes=incident.start)
        window = pd.date_range(start, periods=incident.minutes, freq="min")
        hit = flags[(flags["kind"] == "traffic_surge") & flags["minute"].isin(window)]
        assert len(hit) >= incident.minutes // 2, f"surge at {start} missed"
        assert hit["method"].str.startswith("seasonal").all()
        assert (hit["value"] > 2 * hit["baseline"]).all()
        assert hit["reason"].str.contains("rolling baseline").all()
    # the rolling baseline alone misses the surge right after the job (its window holds the job)
    rolling_only = detect_minute_anomalies(minutes, AnomalyConfig(seasonal_days=0))
    after_job = pd.Timestamp(START) + pd.Timedelta(minutes=PLAN[3].start)
    assert not (
        (rolling_only["kind"] == "traffic_surge") & (rolling_only["minute"] == after_job)
    ).any()


def test_every_incident_is_found_and_only_the_unlearned_job_is_a_false_alarm(multi_day):
    minutes, truth = multi_day
    flags = detect_minute_anomalies(minutes)
    score = score_incidents(flags, truth)
    assert score.incidents == len(PLAN)
    assert score.recall == 1.0, score.missed
    assert len(score.false_alarms) == score.events - score.true_events  # none cut off
    # the only false alarms are the job on days 0 and 1 (02:00-04:00), before it was learned
    for alarm in score.false_alarms:
        t = pd.Timestamp(alarm.split(" ", 1)[1], tz="UTC")
        assert t < pd.Timestamp(START) + pd.Timedelta(days=2) and 2 <= t.hour < 4, alarm
    # from day 2 on (two days of history for every hour), precision and recall are perfect
    day2 = pd.Timestamp(START) + pd.Timedelta(days=2)
    later = truth.model_copy(
        update={"incidents": [i for i in truth.incidents if pd.Timestamp(i.start) >= day2]}
    )
    late = score_incidents(flags[flags["minute"] >= day2], later)
    assert late.incidents == 2 and late.recall == 1.0 and late.precision == 1.0


def _step_series(days: int, tz: str | None) -> pd.DataFrame:
    """Flat traffic of 200/min with a 4x step from 02:00 to 03:00 every day."""
    rng = np.random.default_rng(5)
    index = pd.date_range("2026-01-01", periods=days * DAY, freq="min", tz=tz, name="minute")
    requests = rng.poisson(200, len(index)).astype(float)
    requests[index.hour == 2] *= 4
    return pd.DataFrame(
        {
            "requests": requests,
            "status_5xx": 0.0,
            "error_rate": 0.0,
            "top_ip_requests": 5.0,
        },
        index=index,
    )


@pytest.mark.parametrize("tz", ["UTC", None])
def test_the_seasonal_baseline_needs_two_earlier_days_of_that_hour(tz):
    flags = detect_minute_anomalies(_step_series(4, tz))
    surges = flags[flags["kind"] == "traffic_surge"]
    days = set(pd.DatetimeIndex(surges["minute"]).day)
    assert days == {1, 2}  # Jan 1 and 2 page; Jan 3 and 4 have two earlier days of 02:00
    assert set(pd.DatetimeIndex(surges["minute"]).hour) == {2}


def test_a_one_day_log_gets_the_rolling_result_unchanged(small_log):
    path, _ = small_log
    minutes = analyze([path]).minutes
    seasonal = detect_minute_anomalies(minutes)
    rolling = detect_minute_anomalies(minutes, AnomalyConfig(seasonal_days=0))
    pd.testing.assert_frame_equal(seasonal, rolling)
    assert not seasonal.empty
