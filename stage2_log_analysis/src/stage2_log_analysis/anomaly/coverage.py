"""Where a log has data: its silences, and whether it is a sample rather than a full record.

A minute without a single request is either *no traffic* (the service was down, or nobody
came) or *no data* (the log does not cover it: a sampled log, a missing file). The log alone
cannot always tell, so the detector reads the shape of the silences:

* a **sampled** log (one minute an hour kept, say) has many short, regular silences between
  busy minutes: busy minutes cover less than ``sampled_coverage`` of its span once long gaps
  are left out, and its median minute with data is busy (a real quiet site has many minutes
  with one or two requests). Its silences are missing data, not outages;
* in a **continuous** log, a silence is an outage when the baseline expected traffic in it;
  otherwise the site was just quiet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stage2_log_analysis.anomaly.config import AnomalyConfig

__all__ = ["Coverage", "measure_coverage"]


@dataclass(frozen=True)
class Coverage:
    """Minutes with data, the silences between them, and whether the log is sampled.

    ``after[i]`` is the number of silent minutes right after the ``i``-th minute with data
    (0 when the next minute has data too). The last entry counts the silent minutes the
    table itself ends with (``follow`` emits them as zero rows); a batch log's last line
    says nothing about what came after it, so there it is 0.
    """

    minutes: np.ndarray  # minutes with data (whole minutes since the epoch), increasing
    after: np.ndarray
    sampled: bool
    sample_gap: int  # the typical silence between samples (sampled logs), else 0
    coverage: float  # minutes with data / span, long gaps left out

    @property
    def span_minutes(self) -> int:
        """First to last minute with data (plus a trailing silence), inclusive."""
        if len(self.minutes) == 0:
            return 0
        return int(self.minutes[-1] - self.minutes[0] + 1 + self.after[-1])


def measure_coverage(
    minutes: np.ndarray, requests: np.ndarray, trailing: int, cfg: AnomalyConfig
) -> Coverage:
    """The coverage of a series of minutes with data; ``trailing`` silent minutes at its end."""
    n = len(minutes)
    if n == 0:
        return Coverage(minutes, np.zeros(0, np.int64), False, 0, 0.0)
    after = np.zeros(n, dtype=np.int64)
    after[:-1] = np.diff(minutes) - 1
    after[-1] = trailing
    gaps = after[after > 0]
    short = gaps[gaps <= cfg.long_gap_minutes]
    covered = minutes[-1] - minutes[0] + 1 - int(gaps[gaps > cfg.long_gap_minutes].sum())
    coverage = n / max(int(covered), 1)
    sampled = bool(
        coverage < cfg.sampled_coverage
        and len(short) >= 3
        and float(np.median(requests)) >= cfg.sampled_min_requests
    )
    sample_gap = int(np.median(short)) if sampled else 0
    return Coverage(minutes, after, sampled, sample_gap, float(coverage))
