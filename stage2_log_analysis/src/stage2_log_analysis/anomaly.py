"""Flag anomalous minutes against robust baselines: error spikes, traffic surges/drops, bursts.

Each detector compares a minute with a baseline built only from the minutes *before* it, so a
flag is the same whether the series is analysed after the fact or live in ``follow`` mode:

* ``error_spike``: 5xx rate above the rolling median + k·MAD of the previous hour, and a
  5xx count too high for that baseline rate (binomial z-score);
* ``traffic_surge`` / ``traffic_drop``: requests, minus the busiest client's, far above or
  below the rolling median of the previous hour (the hour window follows the daily cycle);
* ``client_burst``: the busiest client's share of the minute far above its EWMA (the EWMA
  skips flagged minutes, so a long burst cannot teach the baseline that it is normal).

Why subtract the busiest client from traffic: a scanner hammering the site is a
``client_burst``, not a traffic surge; counting it twice would be a false alarm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["ANOMALY_COLUMNS", "AnomalyConfig", "anomaly_events", "detect_minute_anomalies"]

#: Columns of the anomalies table.
ANOMALY_COLUMNS = ["minute", "kind", "score", "value", "baseline", "method", "reason"]
_MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class AnomalyConfig:
    """Detector settings; the defaults are tuned on the generator's labelled incidents."""

    window: int = 60  # minutes of history in the rolling baselines
    min_periods: int = 15  # history needed before anything is flagged
    z: float = 6.0  # robust z-score a minute must exceed
    error_rate_floor: float = 0.05  # ...and the 5xx rate must rise by at least this much
    surge_ratio: float = 2.0  # traffic at least 2× its baseline
    drop_ratio: float = 0.5  # traffic at most half its baseline
    burst_share: float = 0.2  # busiest client's share up by 20 points
    burst_min_requests: int = 30
    ewma_alpha: float = 0.1
    min_requests: int = 20  # minutes with fewer requests are too noisy for rates


def _rolling_median_mad(x: pd.Series, cfg: AnomalyConfig) -> tuple[pd.Series, pd.Series]:
    history = x.shift(1).rolling(cfg.window, min_periods=cfg.min_periods)
    med = history.median()
    mad = history.apply(lambda a: float(np.median(np.abs(a - np.median(a)))), raw=True)
    return med, mad * _MAD_TO_SIGMA


def _rows(
    mask: pd.Series,
    kind: str,
    score: pd.Series,
    value: pd.Series,
    baseline: pd.Series,
    method: str,
    what: str,
) -> pd.DataFrame:
    idx = mask[mask.fillna(False).astype(bool)].index
    out = pd.DataFrame(
        {
            "minute": idx,
            "kind": kind,
            "score": score.reindex(idx).round(2).to_numpy(),
            "value": value.reindex(idx).astype(float).to_numpy(),
            "baseline": baseline.reindex(idx).astype(float).to_numpy(),
            "method": method,
        }
    )
    out["reason"] = [
        f"{what} {v:.4g} vs baseline {b:.4g} ({method}), score {s:.1f}"
        for v, b, s in zip(out["value"], out["baseline"], out["score"], strict=True)
    ]
    return out


def detect_minute_anomalies(
    minutes: pd.DataFrame, config: AnomalyConfig | None = None
) -> pd.DataFrame:
    """Anomalies of a per-minute statistics table (index: minute; see ``stats.STAT_COLUMNS``)."""
    cfg = config or AnomalyConfig()
    if minutes.empty:
        return pd.DataFrame(columns=ANOMALY_COLUMNS)
    requests = minutes["requests"].astype(float)
    busy = requests >= cfg.min_requests
    window = f"rolling_median_mad_{cfg.window}m"
    found = []

    rate = minutes["error_rate"].astype(float)
    med, sigma = _rolling_median_mad(rate, cfg)
    margin = np.maximum(cfg.z * sigma, cfg.error_rate_floor)
    # A few 5xx in a quiet minute are a large *rate* but no evidence: also ask the binomial
    # z-score of the 5xx count against the baseline rate (floored at 1%) to clear the bar.
    p0 = med.clip(lower=0.01)
    errors = minutes["status_5xx"].astype(float)
    score: pd.Series = (errors - requests * p0) / np.sqrt(
        (requests * p0 * (1 - p0)).clip(lower=1e-9)
    )
    spike = busy & (rate > med + margin) & (score > cfg.z)
    found.append(_rows(spike, "error_spike", score, rate, med, window, "5xx rate"))

    traffic = requests - minutes["top_ip_requests"].astype(float)
    med, sigma = _rolling_median_mad(traffic, cfg)
    score = (traffic - med) / sigma.clip(lower=np.sqrt(med.clip(lower=1.0)))
    surge = (traffic > cfg.surge_ratio * med) & (score > cfg.z)
    drop = (traffic < cfg.drop_ratio * med) & (score < -cfg.z)
    found.append(_rows(surge, "traffic_surge", score, traffic, med, window, "requests"))
    found.append(_rows(drop, "traffic_drop", score.abs(), traffic, med, window, "requests"))

    share = (minutes["top_ip_requests"] / requests.where(requests > 0)).fillna(0.0)
    base, flagged = _ewma_skipping_flags(share, minutes["top_ip_requests"], cfg)
    score = (share - base) / cfg.burst_share * cfg.z
    found.append(
        _rows(
            pd.Series(flagged, index=share.index),
            "client_burst",
            score,
            share,
            base,
            f"ewma_{cfg.ewma_alpha}",
            "busiest client's share",
        )
    )
    found = [f for f in found if not f.empty]
    if not found:
        return pd.DataFrame(columns=ANOMALY_COLUMNS)
    out = pd.concat(found, ignore_index=True).sort_values(["minute", "kind"], ignore_index=True)
    return out[ANOMALY_COLUMNS]


def _ewma_skipping_flags(
    share: pd.Series, top: pd.Series, cfg: AnomalyConfig
) -> tuple[pd.Series, np.ndarray]:
    values = share.to_numpy(dtype=float)
    tops = top.to_numpy(dtype=float)
    base = np.full(len(values), np.nan)
    flagged = np.zeros(len(values), dtype=bool)
    level = float("nan")
    seen = 0
    for i, v in enumerate(values):
        base[i] = level
        if seen >= cfg.min_periods and v > level + cfg.burst_share:
            flagged[i] = tops[i] >= cfg.burst_min_requests
            if flagged[i]:
                continue  # a flagged minute does not move the baseline
        level = v if np.isnan(level) else cfg.ewma_alpha * v + (1 - cfg.ewma_alpha) * level
        seen += 1
    return pd.Series(base, index=share.index), flagged


def anomaly_events(anomalies: pd.DataFrame, max_gap_minutes: int = 2) -> pd.DataFrame:
    """Group flagged minutes of one kind into events (``start``, ``end`` exclusive, ``minutes``).

    An incident is one event however many minutes it lasts: precision and recall are counted
    on events, as an on-call engineer would count pages.
    """
    cols = ["kind", "start", "end", "minutes", "max_score"]
    if anomalies.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    gap = pd.Timedelta(minutes=max_gap_minutes)
    for kind, group in anomalies.sort_values("minute").groupby("kind"):
        times = pd.to_datetime(group["minute"])
        new_event = times.diff().gt(gap).cumsum()
        for _, ev in group.groupby(new_event.to_numpy()):
            t = pd.to_datetime(ev["minute"])
            rows.append(
                (kind, t.min(), t.max() + pd.Timedelta(minutes=1), len(ev), ev["score"].max())
            )
    return pd.DataFrame(rows, columns=cols).sort_values("start", ignore_index=True)
