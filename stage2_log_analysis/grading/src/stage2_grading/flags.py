"""Anomaly flags of the graded code against labelled incidents, minute by minute.

Three things are judged, the way an on-call engineer would see them:

* **every incident found**: some flagged minute of the incident's kind within ``tolerance``
  minutes of it (recall);
* **few false flags**: flagged minutes outside every incident (± ``tolerance``), per 10,000
  minutes of log. Counting minutes, not merged events, means that flagging everything is
  never cheap; a recovery paged as a surge after an outage is a false flag too;
* **no look into the future**: the flags of the minutes before a cut must not change when the
  minutes after it are added (a live detector cannot see them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from stage2_grading.shapes import KINDS
from stage2_log_analysis.generator import GroundTruth

__all__ = ["FALSE_FLAGS_PER_10K", "FlagScore", "causality_diff", "score_flags"]

#: The most false flags allowed per 10,000 minutes of log (issue 13's bar for real traffic).
FALSE_FLAGS_PER_10K = 3.0


def _when(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %H:%M")


@dataclass
class FlagScore:
    """Incidents found, false flags, and the allowance for a log of this many minutes."""

    incidents: int
    found: int
    minutes: int
    flagged_minutes: int
    false_minutes: int
    missed: list[str] = field(default_factory=list)
    false_examples: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """Share of incidents found (1.0 when there are none)."""
        return self.found / self.incidents if self.incidents else 1.0

    @property
    def false_per_10k(self) -> float:
        """False flags per 10,000 minutes of log."""
        return 10_000 * self.false_minutes / self.minutes if self.minutes else 0.0

    @property
    def allowed_false(self) -> int:
        """False flagged minutes this log allows (3 per 10,000 minutes, rounded down)."""
        return int(FALSE_FLAGS_PER_10K * self.minutes / 10_000)


def score_flags(
    flags: Sequence[Sequence[object]], truth: GroundTruth, tolerance_minutes: int = 2
) -> FlagScore:
    """Score (minute epoch s, kind) flags against the truth's incidents."""
    tol = 60 * tolerance_minutes
    incidents = [
        (i.kind, int(i.start.timestamp()), int(i.end.timestamp())) for i in truth.incidents
    ]
    flagged = {(int(str(m)), str(k)) for m, k in flags}
    minutes_flagged = {m for m, _ in flagged}
    found, missed = 0, []
    for kind, start, end in incidents:
        if any(k == kind and start - tol <= m < end + tol for m, k in flagged):
            found += 1
        else:
            missed.append(f"{kind} {_when(start)}–{_when(end)}")

    def inside(m: int) -> bool:
        return any(start - tol <= m < end + tol for _, start, end in incidents)

    false = sorted((m, k) for m, k in flagged if not inside(m) or k not in KINDS)
    false_minutes = len({m for m, _ in false})
    first, last = truth.minutes["minute"][0], truth.minutes["minute"][-1]
    return FlagScore(
        incidents=len(incidents),
        found=found,
        minutes=(last - first) // 60 + 1,
        flagged_minutes=len(minutes_flagged),
        false_minutes=false_minutes,
        missed=missed[:3],
        false_examples=[f"{k} {_when(m)}" for m, k in false[:3]],
    )


def causality_diff(
    full: Sequence[Sequence[object]],
    prefix: Sequence[Sequence[object]],
    cut: int,
    margin_s: int = 300,
) -> list[str]:
    """Flags before ``cut - margin`` that differ between the prefix run and the full run."""
    limit = cut - margin_s
    a = {(int(str(m)), str(k)) for m, k in full if int(str(m)) < limit}
    b = {(int(str(m)), str(k)) for m, k in prefix if int(str(m)) < limit}
    only_full = [f"{k} {_when(m)} only with the later minutes" for m, k in sorted(a - b)]
    only_prefix = [f"{k} {_when(m)} only without them" for m, k in sorted(b - a)]
    return only_full + only_prefix
