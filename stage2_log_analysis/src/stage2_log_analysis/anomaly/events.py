"""Flags grouped into events (pages), and the kinds flagged at given minutes."""

from __future__ import annotations

import pandas as pd

__all__ = ["anomaly_events", "flag_ends", "kinds_at"]


def flag_ends(anomalies: pd.DataFrame) -> pd.Series:
    """Each flag's end (exclusive): its ``end`` column, else one minute after ``minute``.

    An outage is one flag over its whole silence; other kinds flag one minute each. Tables
    from elsewhere (a learner's ``detect_anomalies``) may have no ``end`` column.
    """
    start = pd.to_datetime(anomalies["minute"])
    one = start + pd.Timedelta(minutes=1)
    if "end" not in anomalies.columns:
        return one
    end = pd.to_datetime(anomalies["end"])
    return end.where(end.notna() & (end > start), one)


def anomaly_events(anomalies: pd.DataFrame, max_gap_minutes: int = 2) -> pd.DataFrame:
    """Group flags of one kind into events (``start``, ``end`` exclusive, ``minutes``).

    An incident is one event however many minutes it lasts: precision and recall are counted
    on events, as an on-call engineer would count pages. A flag that starts less than
    ``max_gap_minutes`` after the previous one of its kind ended belongs to its event.
    """
    cols = ["kind", "start", "end", "minutes", "max_score"]
    if anomalies.empty:
        return pd.DataFrame(columns=cols)
    frame = anomalies.assign(
        _start=pd.to_datetime(anomalies["minute"]), _end=flag_ends(anomalies)
    ).sort_values("_start")
    gap = pd.Timedelta(minutes=max_gap_minutes)
    rows = []
    for kind, group in frame.groupby("kind"):
        reach = group["_end"].cummax().shift()  # the furthest end of the flags so far
        new_event = (group["_start"] - reach).ge(gap).cumsum()
        for _, ev in group.groupby(new_event.to_numpy()):
            length = (ev["_end"] - ev["_start"]).dt.total_seconds().sum()
            minutes = round(float(length) / 60)
            rows.append((kind, ev["_start"].min(), ev["_end"].max(), minutes, ev["score"].max()))
    return pd.DataFrame(rows, columns=cols).sort_values("start", ignore_index=True)


def kinds_at(anomalies: pd.DataFrame, minutes: pd.Index) -> pd.Series:
    """For each of ``minutes``, the kinds flagged over it, comma separated ("" if none)."""
    out = pd.Series("", index=minutes, dtype=object)
    if anomalies.empty or len(minutes) == 0:
        return out
    start = pd.to_datetime(anomalies["minute"]).to_numpy()
    end = flag_ends(anomalies).to_numpy()
    kinds = anomalies["kind"].astype(str).to_numpy()
    stamps = pd.DatetimeIndex(minutes).to_numpy()
    for i, t in enumerate(stamps):
        hit = (start <= t) & (t < end)
        if hit.any():
            out.iloc[i] = ",".join(sorted(set(kinds[hit].tolist())))
    return out
