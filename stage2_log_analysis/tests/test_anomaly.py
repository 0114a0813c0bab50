"""Anomaly detection finds the generator's labelled incidents and raises no false alarms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stage2_log_analysis.analysis import analyze
from stage2_log_analysis.anomaly import AnomalyConfig, anomaly_events, detect_minute_anomalies
from stage2_log_analysis.scoring import score_incidents


def _quiet_series(n: int = 180, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2026-01-01", periods=n, freq="min", tz="UTC", name="minute")
    requests = rng.poisson(1000, n).astype(float)
    errors = rng.binomial(requests.astype(int), 0.01)
    top = rng.poisson(30, n).astype(float)
    return pd.DataFrame(
        {
            "requests": requests,
            "status_5xx": errors,
            "error_rate": errors / requests,
            "top_ip_requests": top,
        },
        index=index,
    )


def test_a_quiet_series_raises_no_flag():
    assert detect_minute_anomalies(_quiet_series()).empty


def test_each_kind_is_flagged_with_its_baseline_and_reason():
    m = _quiet_series()
    m.iloc[100:105, m.columns.get_loc("status_5xx")] = 300
    m["error_rate"] = m["status_5xx"] / m["requests"]
    m.iloc[120:125, m.columns.get_loc("requests")] *= 3
    m.iloc[140:145, m.columns.get_loc("requests")] *= 0.1
    m.iloc[140:145, m.columns.get_loc("top_ip_requests")] *= 0.1
    m.iloc[160:165, m.columns.get_loc("top_ip_requests")] = 600
    m.iloc[160:165, m.columns.get_loc("requests")] += 570
    flags = detect_minute_anomalies(m)
    kinds = {k: set(g["minute"]) for k, g in flags.groupby("kind")}
    assert kinds["error_spike"] == set(m.index[100:105])
    assert kinds["traffic_surge"] == set(m.index[120:125])
    assert kinds["traffic_drop"] == set(m.index[140:145])
    assert kinds["client_burst"] == set(m.index[160:165])
    assert (flags["score"] > 0).all()
    assert flags["reason"].str.contains("baseline").all()
    events = anomaly_events(flags)
    assert len(events) == 4 and set(events["minutes"]) == {5}


def test_generated_incidents_are_found_with_full_precision_and_recall(small_log):
    path, truth = small_log
    result = analyze([path])
    score = score_incidents(result.anomalies, truth)
    assert score.incidents >= 2
    assert score.recall == 1.0, score.missed
    assert score.precision == 1.0, score.false_alarms


def _steady(n: int, rate: float, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2026-01-01", periods=n, freq="min", tz="UTC", name="minute")
    requests = rng.poisson(rate, n).astype(float)
    return pd.DataFrame(
        {
            "requests": requests,
            "status_5xx": 0.0,
            "error_rate": 0.0,
            "top_ip_requests": np.minimum(requests, 3.0),
        },
        index=index,
    )


def test_zero_filled_minutes_and_absent_minutes_are_the_same_silence():
    m = _steady(600, 60)
    m.iloc[300:340, m.columns.get_loc("requests")] = 0  # a 40-minute outage
    m.iloc[300:340, m.columns.get_loc("top_ip_requests")] = 0
    dense = detect_minute_anomalies(m)
    sparse = detect_minute_anomalies(m[m["requests"] > 0])
    pd.testing.assert_frame_equal(dense, sparse)
    (outage,) = dense.itertuples()
    assert outage.kind == "outage" and outage.minute == m.index[300] and outage.end == m.index[340]


def test_the_recovery_after_an_outage_is_not_a_surge_but_the_same_surge_elsewhere_is():
    m = _steady(600, 60)
    m.iloc[300:340, m.columns.get_loc("requests")] = 0
    m.iloc[340:345, m.columns.get_loc("requests")] = 240  # everyone retries at once
    m.iloc[500:505, m.columns.get_loc("requests")] = 240  # the same jump with no outage
    flags = detect_minute_anomalies(m)
    surges = flags[flags["kind"] == "traffic_surge"]
    assert set(surges["minute"]) == set(m.index[500:505])
    with_recovery_paged = detect_minute_anomalies(m, AnomalyConfig(recovery_minutes=0))
    assert (with_recovery_paged["kind"] == "traffic_surge").sum() == 10


def test_a_quiet_site_cannot_page_below_the_traffic_floor():
    m = _steady(600, 3)  # ~3 requests a minute: silences of a few minutes are normal
    m.iloc[400:405, m.columns.get_loc("requests")] = 15  # 5x, but only 15 requests
    m.iloc[200:212, m.columns.get_loc("requests")] = 0  # 12 silent minutes: ~36 expected
    assert detect_minute_anomalies(m).empty
    floorless = detect_minute_anomalies(m, AnomalyConfig(min_requests=0, outage_min_expected=30))
    assert set(floorless["kind"]) == {"traffic_surge", "outage"}


def test_a_baseline_does_not_reach_across_a_long_silence():
    m = _steady(600, 20)
    m.iloc[300:, m.columns.get_loc("requests")] *= 3  # the day's peak, after a 5-hour gap
    gappy = pd.concat([m.iloc[:300], m.iloc[300:].shift(300, freq="min")])
    flags = detect_minute_anomalies(gappy)
    assert list(flags["kind"]) == ["outage"]  # the gap, and no surge against old traffic
    stale = detect_minute_anomalies(gappy, AnomalyConfig(max_age_minutes=100_000))
    assert (stale["kind"] == "traffic_surge").any()


def test_the_anomaly_config_loads_from_toml_and_key_values(tmp_path):
    from stage2_log_analysis.anomaly import load_anomaly_config
    from stage2_log_analysis.errors import AnalysisConfigError

    path = tmp_path / "anomaly.toml"
    path.write_text("[anomaly]\nz = 5.0\nmin_requests = 10\n")
    cfg = load_anomaly_config(path, ["window=90"])
    assert (cfg.z, cfg.min_requests, cfg.window, cfg.seasonal_days) == (5.0, 10, 90, 7)
    with pytest.raises(AnalysisConfigError, match="known settings: window"):
        load_anomaly_config(None, ["windw=90"])
    with pytest.raises(AnalysisConfigError, match="z"):
        load_anomaly_config(None, ["z=-1"])
    with pytest.raises(AnalysisConfigError, match="key=value"):
        load_anomaly_config(None, ["z"])
