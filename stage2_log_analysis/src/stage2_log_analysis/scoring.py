"""Score an analysis against a generator's ground truth: exact counts, incidents, log shapes.

``score_shape`` is the criterion for the real-log shapes (``generator.shapes``): at most 3
false pages per 10,000 minutes of span, every outage of 10 minutes or more found, and no
recovery after an outage paged as a surge. A grader scores an implementation's flags on a
shape with it::

    truth = generate_log(path, shape_config("gap_days"), shape="gap_days")
    score = score_shape(flags, truth)   # flags: a frame with ``minute`` and ``kind``
    score.passed, score.evidence
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from pydantic import BaseModel

from stage2_log_analysis.anomaly import anomaly_events
from stage2_log_analysis.generator import GroundTruth

__all__ = [
    "COUNT_COLUMNS",
    "CountScore",
    "IncidentScore",
    "ShapeScore",
    "score_counts",
    "score_incidents",
    "score_shape",
]

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
    incidents = _incidents(truth)

    def overlaps(kind: str, start: pd.Timestamp, end: pd.Timestamp, inc: tuple[Any, ...]) -> bool:
        return bool(kind == inc[0] and start < inc[2] + tol and end > inc[1] - tol)

    found = _event_tuples(events)
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


def _utc(value: object) -> pd.Timestamp:
    stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _incidents(truth: GroundTruth) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    return [(i.kind, _utc(i.start), _utc(i.end)) for i in truth.incidents]


def _event_tuples(events: pd.DataFrame) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    return [
        (str(k), _utc(s), _utc(e))
        for k, s, e in zip(events["kind"], events["start"], events["end"], strict=True)
    ]


class ShapeScore(BaseModel):
    """A detector on a real-log shape: false pages, outages found, recoveries paged."""

    shape: str | None
    span_minutes: int  # first to last minute with data in the truth
    minutes_with_data: int
    events: int
    false_events: int
    false_per_10k_minutes: float
    outages: int  # labelled outages of at least ``min_outage_minutes``
    outages_found: int
    recoveries_paged: int  # traffic_surge events starting within the recovery window
    incidents: IncidentScore  # event precision and recall over every labelled incident
    passed: bool
    evidence: str


def score_shape(
    anomalies: pd.DataFrame,
    truth: GroundTruth,
    *,
    max_false_per_10k: float = 3.0,
    min_outage_minutes: int = 10,
    recovery_minutes: int = 30,
    tolerance_minutes: int = 2,
) -> ShapeScore:
    """Score flags on a generated real-log shape (see the module docstring for the bar).

    ``anomalies`` needs ``minute`` and ``kind`` (``end`` if a flag spans several minutes,
    as ``outage`` flags do). A false page is an event that overlaps no labelled incident of
    its kind (± ``tolerance_minutes``); an outage is found when an ``outage`` event overlaps
    it; a recovery is paged when a ``traffic_surge`` event starts less than
    ``recovery_minutes`` after an outage ended.
    """
    incident_score = score_incidents(anomalies, truth, tolerance_minutes)
    events = _event_tuples(anomaly_events(anomalies))
    incidents = _incidents(truth)
    tol = pd.Timedelta(minutes=tolerance_minutes)
    false = [
        e
        for e in events
        if not any(e[0] == i[0] and e[1] < i[2] + tol and e[2] > i[1] - tol for i in incidents)
    ]
    minutes = truth.minutes["minute"]
    span = (max(minutes) - min(minutes)) // 60 + 1 if minutes else 0
    long_outages = [
        i
        for i in incidents
        if i[0] == "outage" and i[2] - i[1] >= pd.Timedelta(minutes=min_outage_minutes)
    ]
    found = [
        i
        for i in long_outages
        if any(e[0] == "outage" and e[1] < i[2] + tol and e[2] > i[1] - tol for e in events)
    ]
    window = pd.Timedelta(minutes=recovery_minutes)
    paged = [
        e
        for e in events
        if e[0] == "traffic_surge"
        and any(i[2] - tol <= e[1] < i[2] + window for i in incidents if i[0] == "outage")
    ]
    rate = 1e4 * len(false) / span if span else 0.0
    passed = rate <= max_false_per_10k and len(found) == len(long_outages) and not paged
    missed = [f"{i[1]:%Y-%m-%d %H:%M}" for i in long_outages if i not in found]
    evidence = (
        f"{truth.shape or 'log'}: {len(false)} false pages in {span:,} minutes "
        f"({rate:.2f} per 10,000; bar {max_false_per_10k:g}), outages ≥ {min_outage_minutes} min "
        f"found {len(found)}/{len(long_outages)}, recoveries paged as surges {len(paged)}"
        + (f"; missed outages at {', '.join(missed[:3])}" if missed else "")
        + (
            f"; false pages: {', '.join(f'{k} {s:%m-%d %H:%M}' for k, s, _ in false[:3])}"
            if false
            else ""
        )
    )
    return ShapeScore(
        shape=truth.shape,
        span_minutes=span,
        minutes_with_data=len(minutes),
        events=len(events),
        false_events=len(false),
        false_per_10k_minutes=round(rate, 3),
        outages=len(long_outages),
        outages_found=len(found),
        recoveries_paged=len(paged),
        incidents=incident_score,
        passed=passed,
        evidence=evidence,
    )
