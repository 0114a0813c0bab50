"""Anomaly detection finds the generator's labelled incidents and raises no false alarms."""

from __future__ import annotations

import numpy as np
import pandas as pd

from stage2_log_analysis.analysis import analyze
from stage2_log_analysis.anomaly import anomaly_events, detect_minute_anomalies
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
