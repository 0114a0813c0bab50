"""Score an analysis against a generator's ground truth: exact counts, and incidents found."""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel

from stage2_log_analysis.anomaly import anomaly_events
from stage2_log_analysis.generator import GroundTruth

__all__ = ["COUNT_COLUMNS", "CountScore", "IncidentScore", "score_counts", "score_incidents"]

#: The per-minute columns compared with the truth, exactly.
COUNT_COLUMNS = ["requests", "status_2xx", "status_3xx", "status_4xx", "status_5xx"]


class CountScore(BaseModel):
    """How many minutes match the truth exactly on every count column."""

    minutes_truth: int
    minutes_exact: int
    first_mismatch: str | None = None

    @property
    def fraction(self) -> float:
        """Share of truth minutes that match exactly (1.0 is perfect)."""
        return self.minutes_exact / self.minutes_truth if self.minutes_truth else 0.0


class IncidentScore(BaseModel):
    """Event-level precision and recall of anomaly detection against labelled incidents."""

    incidents: int
    detected: int
    events: int
    true_events: int
    precision: float
    recall: float
    missed: list[str]
    false_alarms: list[str]


def score_counts(
    minutes: pd.DataFrame, truth: GroundTruth, extra: tuple[str, ...] = ()
) -> CountScore:
    """Compare a per-minute table (index or column ``minute``, UTC) with the truth."""
    table = minutes.reset_index() if "minute" not in minutes.columns else minutes
    table = table.assign(minute=pd.to_datetime(table["minute"], utc=True)).set_index("minute")
    expected = truth.minutes_frame().to_pandas().set_index("minute")
    cols = [*COUNT_COLUMNS, *extra]
    got = table.reindex(expected.index)[cols].fillna(-1).astype("int64")
    equal = (got == expected[cols].astype("int64")).all(axis=1)
    # minutes the analyser reports with traffic that the truth does not have are errors too
    extra_rows = table.index.difference(expected.index)
    extra_busy = int((table.loc[extra_rows, "requests"] > 0).sum()) if len(extra_rows) else 0
    first = None
    if not equal.all():
        t = equal[~equal].index[0]
        first = f"{t}: got {got.loc[t].to_dict()}, truth {expected.loc[t, cols].to_dict()}"
    return CountScore(
        minutes_truth=len(expected),
        minutes_exact=int(equal.sum()) - extra_busy,
        first_mismatch=first,
    )


def score_incidents(
    anomalies: pd.DataFrame, truth: GroundTruth, tolerance_minutes: int = 2
) -> IncidentScore:
    """Precision and recall on events: an event is right when it overlaps an incident of its kind."""
    events = anomaly_events(anomalies)
    tol = pd.Timedelta(minutes=tolerance_minutes)
    incidents = [
        (i.kind, pd.Timestamp(i.start).tz_convert("UTC"), pd.Timestamp(i.end).tz_convert("UTC"))
        for i in truth.incidents
    ]

    def overlaps(kind: str, start: pd.Timestamp, end: pd.Timestamp, inc: tuple) -> bool:
        return bool(kind == inc[0] and start < inc[2] + tol and end > inc[1] - tol)

    found = list(
        zip(events["kind"].tolist(), events["start"].tolist(), events["end"].tolist(), strict=True)
    )
    detected = [inc for inc in incidents if any(overlaps(*e, inc) for e in found)]
    good = [e for e in found if any(overlaps(*e, i) for i in incidents)]
    bad = [f"{k} {s:%Y-%m-%d %H:%M}" for (k, s, e) in found if (k, s, e) not in good]
    missed = [f"{k} {s:%Y-%m-%d %H:%M}" for (k, s, e) in incidents if (k, s, e) not in detected]
    n_events = len(events)
    return IncidentScore(
        incidents=len(incidents),
        detected=len(detected),
        events=n_events,
        true_events=len(good),
        precision=len(good) / n_events if n_events else (1.0 if not incidents else 0.0),
        recall=len(detected) / len(incidents) if incidents else 1.0,
        missed=missed,
        false_alarms=bad[:20],
    )
