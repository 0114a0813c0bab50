"""Flag anomalous minutes of a per-minute table: outages, error spikes, surges, drops, bursts.

Each detector compares a minute with baselines built only from the minutes with data
*before* it (``baselines``), so a flag is the same after the fact and live:

* ``outage``: the log goes silent where the baseline expected traffic. In a continuous log,
  a silence of at least ``outage_min_minutes`` in which the rolling median predicted at
  least ``outage_min_expected`` requests; in a sampled log (``coverage``), at least
  ``sampled_missed_samples`` samples missing. One flag covers the whole silence
  (``minute`` .. ``end``), so a long gap costs one row, not one per minute;
* ``error_spike``: 5xx rate above the rolling median + k·MAD and a 5xx count too high for
  the baseline rate (binomial z-score);
* ``traffic_surge`` / ``traffic_drop``: requests minus the busiest client's, far above or
  below a robust baseline: the same UTC hour on previous days once seen on two of them
  (seasonal, 계절성), else the rolling median of the previous minutes with data;
* ``client_burst``: the busiest client's share far above its EWMA.

What keeps it quiet on real traffic: silent minutes never enter a baseline as zeros (after a
gap, traffic is compared with the traffic before it, and a baseline older than
``max_age_minutes`` is dropped); a minute below the ``min_requests`` floor cannot page; no
surge is paged for ``recovery_minutes`` after an outage (clients retrying); a partial minute
at an outage's edge is part of the outage, not a drop.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from stage2_log_analysis.anomaly.baselines import (
    ewma_skipping_flags,
    rolling_median_mad,
    seasonal_median_mad,
)
from stage2_log_analysis.anomaly.config import AnomalyConfig
from stage2_log_analysis.anomaly.coverage import Coverage, measure_coverage

__all__ = ["ANOMALY_COLUMNS", "detect_minute_anomalies"]

#: Columns of the anomalies table (``end`` is exclusive: one minute later, except outages).
ANOMALY_COLUMNS = ["minute", "end", "kind", "score", "value", "baseline", "method", "reason"]
_NS_PER_MINUTE = 60_000_000_000
_EDGE_MINUTES = 2  # a drop this close to an outage is its partial first or last minute


class _Series:
    """The minutes with data of a per-minute table, as NumPy arrays (times in whole minutes)."""

    def __init__(self, minutes: pd.DataFrame) -> None:
        index = pd.DatetimeIndex(minutes.index)
        stamps = index.tz_convert("UTC").tz_localize(None) if index.tz is not None else index
        all_t = stamps.as_unit("ns").asi8 // _NS_PER_MINUTE
        requests = minutes["requests"].to_numpy(dtype=float)
        busy = requests > 0
        self.index = index[busy]  # the caller's stamps (their time zone) for the output
        self.t = all_t[busy]
        # zero rows after the last busy minute: a live table saw those minutes pass silent
        self.trailing = int(all_t[-1] - self.t[-1]) if busy.any() else 0
        self.tz = index.tz
        self.requests = requests[busy]
        self.errors = _column(minutes, "status_5xx", busy)
        rate = minutes["error_rate"] if "error_rate" in minutes.columns else None
        self.rate = (
            rate.to_numpy(dtype=float)[busy] if rate is not None else self.errors / self.requests
        )
        self.top = _column(minutes, "top_ip_requests", busy)

    def stamp(self, minutes: np.ndarray) -> pd.DatetimeIndex:
        """Whole minutes since the epoch as stamps in the caller's time zone."""
        out = pd.DatetimeIndex(minutes.astype(np.int64) * _NS_PER_MINUTE)
        return out.tz_localize("UTC").tz_convert(self.tz) if self.tz is not None else out


def _column(minutes: pd.DataFrame, name: str, rows: np.ndarray) -> np.ndarray:
    if name not in minutes.columns:
        return np.zeros(int(rows.sum()))
    values: np.ndarray = minutes[name].to_numpy(dtype=float)[rows]
    return values


def detect_minute_anomalies(
    minutes: pd.DataFrame, config: AnomalyConfig | None = None
) -> pd.DataFrame:
    """Anomalies of a per-minute table (index: minute; columns ``requests``, ``status_5xx``,
    ``top_ip_requests``; see ``stats.STAT_COLUMNS``). Minutes may be absent (no data) or
    present with zero requests (a silent minute); both count as silence.

    **Usage**::

        flags = detect_minute_anomalies(result.minutes, AnomalyConfig(z=5))
        flags[["minute", "end", "kind", "reason"]]
    """
    cfg = config or AnomalyConfig()
    if minutes.empty or float(minutes["requests"].max()) <= 0:
        return _empty()
    if not minutes.index.is_monotonic_increasing:  # silences are read from neighbours
        minutes = minutes.sort_index()
    s = _Series(minutes)
    cov = measure_coverage(s.t, s.requests, s.trailing, cfg)
    found: list[pd.DataFrame] = []
    outages, silent = _outages(s, cov, cfg)
    found.append(outages)
    found.append(_error_spikes(s, cov, cfg))
    found.extend(_traffic(s, cov, cfg, silent))
    found.append(_bursts(s, cfg))
    found = [f for f in found if not f.empty]
    if not found:
        return _empty()
    out = pd.concat(found, ignore_index=True).sort_values(["minute", "kind"], ignore_index=True)
    return out[ANOMALY_COLUMNS]


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in ANOMALY_COLUMNS})


def _max_age(cfg: AnomalyConfig, cov: Coverage) -> int:
    """How old a baseline minute may be; in a sampled log, scaled by the sampling interval."""
    return cfg.max_age_minutes * (cov.sample_gap + 1 if cov.sampled else 1)


def _rolling(
    values: np.ndarray, s: _Series, cov: Coverage, cfg: AnomalyConfig, *, through: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    return rolling_median_mad(
        values,
        s.t,
        window=cfg.window,
        max_age=_max_age(cfg, cov),
        min_periods=cfg.min_periods,
        through=through,
    )


def _window_text(cfg: AnomalyConfig, cov: Coverage) -> str:
    if cov.sampled:
        return f"median of the previous {cfg.window} samples"
    return f"median of the previous {cfg.window} minutes with data"


def _duration(minutes: float) -> str:
    m = int(minutes)
    if m < 60:
        return f"{m} min"
    if m < 2880:
        return f"{m // 60} h {m % 60:02d} min"
    return f"{m / 1440:.1f} days"


def _outages(
    s: _Series, cov: Coverage, cfg: AnomalyConfig
) -> tuple[pd.DataFrame, tuple[np.ndarray, np.ndarray]]:
    """Silences where the baseline expected traffic: one flag per silence.

    Also returns the flagged silences as (first minute, end minute) arrays.
    """
    after = cov.after
    lam, _ = _rolling(s.requests, s, cov, cfg, through=True)  # rate expected after row i
    if cov.sampled:
        gap = cov.sample_gap
        missed = (after - gap) // (gap + 1)
        hit = (after >= gap + cfg.sampled_missed_samples * (gap + 1)) & ~np.isnan(lam)
        score = missed.astype(float)
        method = f"sampled_every_{gap + 1}m"
    else:
        expected = lam * after
        hit = (after >= cfg.outage_min_minutes) & (expected >= cfg.outage_min_expected)
        score = expected
        method = f"rolling_median_{cfg.window}m"
    idx = np.flatnonzero(hit)
    start = s.t[idx] + 1
    end = start + after[idx]
    reasons = []
    for i, a, b in zip(idx.tolist(), start.tolist(), end.tolist(), strict=True):
        when = f"{pd.Timestamp(a * _NS_PER_MINUTE):%Y-%m-%d %H:%M} UTC"
        ongoing = " (still silent)" if i == len(s.t) - 1 else ""
        if cov.sampled:
            reasons.append(
                f"no sample for {_duration(b - a)} from {when}{ongoing}: the log keeps a "
                f"minute every {gap + 1} min, {int(score[i])} samples missing "
                f"(baseline: {lam[i]:.3g} requests a sample)"
            )
        else:
            reasons.append(
                f"no request for {_duration(b - a)} from {when}{ongoing} against a baseline of "
                f"{lam[i]:.3g} a minute ({_window_text(cfg, cov)}): ~{score[i]:,.0f} requests "
                "missing"
            )
    if len(idx) == 0:
        return _empty(), (start, end)
    frame = pd.DataFrame(
        {
            "minute": s.stamp(start),
            "end": s.stamp(end),
            "kind": "outage",
            "score": np.round(score[idx], 2),
            "value": 0.0,
            "baseline": lam[idx],
            "method": method,
            "reason": reasons,
        }
    )
    return frame, (start, end)


def _rows(
    s: _Series,
    mask: np.ndarray,
    kind: str,
    score: np.ndarray,
    value: np.ndarray,
    baseline: np.ndarray,
    method: str | np.ndarray,
    reasons: list[str],
) -> pd.DataFrame:
    idx = np.flatnonzero(mask)
    return pd.DataFrame(
        {
            "minute": s.index[idx],
            "end": s.index[idx] + pd.Timedelta(minutes=1),
            "kind": kind,
            "score": np.round(score[idx], 2),
            "value": value[idx].astype(float),
            "baseline": baseline[idx].astype(float),
            "method": method[idx] if isinstance(method, np.ndarray) else method,
            "reason": reasons,
        }
    )


def _error_spikes(s: _Series, cov: Coverage, cfg: AnomalyConfig) -> pd.DataFrame:
    med, sigma = _rolling(s.rate, s, cov, cfg)
    margin = np.maximum(cfg.z * sigma, cfg.error_rate_floor)
    # A few 5xx in a quiet minute are a large *rate* but no evidence: also ask the binomial
    # z-score of the 5xx count against the baseline rate (floored at 1%) to clear the bar.
    p0 = np.clip(np.nan_to_num(med, nan=0.0), 0.01, None)
    score = (s.errors - s.requests * p0) / np.sqrt(np.clip(s.requests * p0 * (1 - p0), 1e-9, None))
    with np.errstate(invalid="ignore"):
        hit = (s.requests >= cfg.min_requests) & (s.rate > med + margin) & (score > cfg.z)
    idx = np.flatnonzero(hit)
    reasons = [
        f"5xx rate {s.rate[i]:.1%} ({int(s.errors[i])} of {int(s.requests[i])} requests) vs "
        f"a baseline of {med[i]:.1%} ({_window_text(cfg, cov)}); binomial z {score[i]:.1f}"
        for i in idx.tolist()
    ]
    method = f"rolling_median_mad_{cfg.window}m"
    return _rows(s, hit, "error_spike", score, s.rate, med, method, reasons)


def _near(
    t: np.ndarray, starts: np.ndarray, ends: np.ndarray, before: int, after: int
) -> np.ndarray:
    """True for each minute in ``[start - before, end + after)`` of some interval."""
    out = np.zeros(len(t), dtype=bool)
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        lo, hi = np.searchsorted(t, [a - before, b + after])
        out[lo:hi] = True
    return out


def _traffic(
    s: _Series, cov: Coverage, cfg: AnomalyConfig, silent: tuple[np.ndarray, np.ndarray]
) -> list[pd.DataFrame]:
    traffic = s.requests - s.top  # the busiest client is a client_burst, not a surge
    med, sigma = _rolling(traffic, s, cov, cfg)
    s_med, s_sigma = seasonal_median_mad(
        traffic,
        s.t,
        days=cfg.seasonal_days,
        min_days=cfg.seasonal_min_days,
        min_minutes=cfg.seasonal_min_minutes,
    )
    seasonal = ~np.isnan(s_med)
    # the seasonal baseline decides where it exists, the rolling one elsewhere
    base = np.where(seasonal, s_med, med)
    spread = np.where(seasonal, s_sigma, sigma)
    # Poisson floor: at low counts the MAD can be ~0, but a count's noise is at least √mean
    score = (traffic - base) / np.maximum(spread, np.sqrt(np.clip(base, 1.0, None)))
    rolling_method = f"rolling_median_mad_{cfg.window}m"
    seasonal_method = f"seasonal_hour_of_day_median_mad_{cfg.seasonal_days}d"
    method = np.where(seasonal, seasonal_method, rolling_method)
    starts, ends = silent
    recovering = _near(s.t, ends, ends, 0, cfg.recovery_minutes)
    edge = _near(s.t, starts, ends, _EDGE_MINUTES, _EDGE_MINUTES)
    with np.errstate(invalid="ignore"):
        surge = (
            (traffic > cfg.surge_ratio * base)
            & (score > cfg.z)
            & (s.requests >= cfg.min_requests)
            & ~recovering
        )
        drop = (
            (traffic < cfg.drop_ratio * base)
            & (score < -cfg.z)
            & (base >= cfg.min_requests)
            & ~edge
        )
    out = []
    for kind, hit in (("traffic_surge", surge), ("traffic_drop", drop)):
        idx = np.flatnonzero(hit)
        reasons = [
            f"{traffic[i]:,.0f} requests (busiest client left out) vs a baseline of {base[i]:,.1f} "
            f"({traffic[i] / max(base[i], 1e-9):.1f}×; "
            + (
                f"the same hour on the previous {cfg.seasonal_days} days; rolling baseline "
                f"{med[i]:,.1f}"
                if seasonal[i]
                else _window_text(cfg, cov)
            )
            + f"), z {abs(score[i]):.1f}"
            for i in idx.tolist()
        ]
        out.append(_rows(s, hit, kind, np.abs(score), traffic, base, method, reasons))
    return out


def _bursts(s: _Series, cfg: AnomalyConfig) -> pd.DataFrame:
    share = s.top / s.requests
    base, flagged = ewma_skipping_flags(
        share,
        s.top,
        alpha=cfg.ewma_alpha,
        min_periods=cfg.min_periods,
        jump=cfg.burst_share,
        min_top=cfg.burst_min_requests,
    )
    score = (share - base) / cfg.burst_share * cfg.z
    idx = np.flatnonzero(flagged)
    reasons = [
        f"busiest client sent {share[i]:.0%} of the minute's requests ({int(s.top[i])} of "
        f"{int(s.requests[i])}) vs a baseline of {base[i]:.0%} (EWMA, α = {cfg.ewma_alpha})"
        for i in idx.tolist()
    ]
    return _rows(s, flagged, "client_burst", score, share, base, f"ewma_{cfg.ewma_alpha}", reasons)
