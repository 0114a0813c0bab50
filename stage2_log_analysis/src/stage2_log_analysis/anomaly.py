"""Flag anomalous minutes against robust baselines: error spikes, traffic surges/drops, bursts.

Each detector compares a minute with a baseline built only from the minutes *before* it, so a
flag is the same whether the series is analysed after the fact or live in ``follow`` mode:

* ``error_spike``: 5xx rate above the rolling median + k·MAD of the previous hour, and a
  5xx count too high for that baseline rate (binomial z-score);
* ``traffic_surge`` / ``traffic_drop``: requests, minus the busiest client's, far above or
  below a robust baseline. Once the same UTC hour has been seen on at least two previous
  days, the baseline is **seasonal**: the median/MAD of that hour on the previous days (up to
  a week), so a daily peak, trough or nightly batch job stops paging once it has been seen
  twice, and a surge at a quiet hour is measured against that quiet hour. Before that (a
  one-day log, the first days of a live run) it is the rolling median/MAD of the previous
  hour, which follows a smooth daily cycle but not a sharp daily step. The flag's ``method``
  names the baseline it broke;
* ``client_burst``: the busiest client's share of the minute far above its EWMA (the EWMA
  skips flagged minutes, so a long burst cannot teach the baseline that it is normal).

Why subtract the busiest client from traffic: a scanner hammering the site is a
``client_burst``, not a traffic surge; counting it twice would be a false alarm.

Why the seasonal baseline takes over from the rolling one instead of both having to break:
the hour after a nightly job has the job in its rolling window, so a surge there is invisible
to the rolling baseline (a test covers this case). The price: a weekly pattern (weekends at
half the weekday traffic) would be flagged as a drop against a median of mostly weekdays;
for such a site set ``seasonal_days=0`` (rolling baseline only). Minutes flagged
on previous days stay in the seasonal history on purpose: a pattern that repeats daily must
become normal, and the median shrugs off a few incident minutes among 60 a day.
The seasonal baseline is not used for ``error_spike`` (error rates have no daily cycle here).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

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
    seasonal_days: int = 7  # previous days the hour-of-day baseline looks at (0: off)
    seasonal_min_days: int = 2  # days with that hour seen before the baseline is used
    seasonal_min_minutes: int = 30  # minutes of that hour a day needs to count as seen


def _rolling_median_mad(x: pd.Series, cfg: AnomalyConfig) -> tuple[pd.Series, pd.Series]:
    """Median and MAD·1.4826 of the previous ``window`` values (vectorised: no Python loop).

    Same result as ``x.shift(1).rolling(window, min_periods).median()`` (and the MAD of it),
    but one NumPy call over a strided view, so ``follow`` can recompute a week of history
    every minute.
    """
    values = x.to_numpy(dtype=float)
    padded = np.concatenate([np.full(cfg.window, np.nan), values[:-1]]) if len(values) else values
    windows = sliding_window_view(padded, cfg.window)[: len(values)]
    enough = np.count_nonzero(~np.isnan(windows), axis=1) >= cfg.min_periods
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows at the start
        med = np.nanmedian(windows, axis=1)
        mad = np.nanmedian(np.abs(windows - med[:, None]), axis=1)
    med = np.where(enough, med, np.nan)
    mad = np.where(enough, mad, np.nan)
    return pd.Series(med, index=x.index), pd.Series(mad * _MAD_TO_SIGMA, index=x.index)


def _seasonal_median_mad(
    x: pd.Series, cfg: AnomalyConfig
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Median, MAD·1.4826 and availability of the same UTC hour on the previous days.

    For a minute on day *d* at hour *h*, the baseline is every minute of hour *h* on days
    *d-1* .. *d-seasonal_days* (60 values a day, pooled). It is available only when at least
    ``seasonal_min_days`` of those days saw ``seasonal_min_minutes`` minutes of that hour.
    """
    n = len(x)
    nan = pd.Series(np.nan, index=x.index)
    if cfg.seasonal_days <= 0 or n == 0:
        return nan, nan, pd.Series(False, index=x.index)
    stamps = pd.DatetimeIndex(x.index)
    days = stamps.floor("D")
    day0 = days.min()
    day = ((days - day0) // pd.Timedelta(days=1)).to_numpy()
    hour = stamps.hour.to_numpy()
    minute = stamps.minute.to_numpy()
    n_days = int(day.max()) + 1
    d = cfg.seasonal_days
    # (day, hour, minute) cube of the series, NaN where a minute is absent; d empty days first
    cube = np.full((n_days + d, 24, 60), np.nan)
    cube[day + d, hour, minute] = x.to_numpy(dtype=float)
    # windows[k] = days k .. k+d-1 of the padded cube = the d days before day k
    windows = sliding_window_view(cube, d, axis=0)[:n_days]  # (n_days, 24, 60, d)
    pooled = windows.reshape(n_days, 24, 60 * d)
    seen_days = (np.count_nonzero(~np.isnan(windows), axis=2) >= cfg.seasonal_min_minutes).sum(
        axis=2
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # hours never seen before
        med = np.nanmedian(pooled, axis=2)
        mad = np.nanmedian(np.abs(pooled - med[:, :, None]), axis=2)
    ok = seen_days >= cfg.seasonal_min_days
    return (
        pd.Series(np.where(ok, med, np.nan)[day, hour], index=x.index),
        pd.Series(np.where(ok, mad * _MAD_TO_SIGMA, np.nan)[day, hour], index=x.index),
        pd.Series(ok[day, hour], index=x.index),
    )


def _traffic_score(traffic: pd.Series, med: pd.Series, sigma: pd.Series) -> pd.Series:
    # Poisson floor: at low counts the MAD can be ~0, but a count's noise is at least √mean
    return (traffic - med) / sigma.clip(lower=np.sqrt(med.clip(lower=1.0)))


def _rows(
    mask: pd.Series,
    kind: str,
    score: pd.Series,
    value: pd.Series,
    baseline: pd.Series,
    method: str,
    what: str,
    also: pd.Series | None = None,
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
    if also is not None:  # the rolling baseline, for context
        rolling = also.reindex(idx).astype(float).to_numpy()
        out["reason"] = [
            f"{r}; rolling baseline {b:.4g}" for r, b in zip(out["reason"], rolling, strict=True)
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
    score = _traffic_score(traffic, med, sigma)
    s_med, s_sigma, seasonal = _seasonal_median_mad(traffic, cfg)
    s_score = _traffic_score(traffic, s_med, s_sigma)
    s_method = f"seasonal_hour_of_day_median_mad_{cfg.seasonal_days}d"
    # the seasonal baseline decides where it exists, the rolling one elsewhere
    surge = (traffic > cfg.surge_ratio * med) & (score > cfg.z)
    s_surge = (traffic > cfg.surge_ratio * s_med) & (s_score > cfg.z)
    drop = (traffic < cfg.drop_ratio * med) & (score < -cfg.z)
    s_drop = (traffic < cfg.drop_ratio * s_med) & (s_score < -cfg.z)
    for kind, rolling_hit, seasonal_hit in (
        ("traffic_surge", surge, s_surge),
        ("traffic_drop", drop, s_drop),
    ):
        found.append(
            _rows(rolling_hit & ~seasonal, kind, score.abs(), traffic, med, window, "requests")
        )
        found.append(
            _rows(
                seasonal & seasonal_hit,
                kind,
                s_score.abs(),
                traffic,
                s_med,
                s_method,
                "requests",
                also=med,
            )
        )

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
