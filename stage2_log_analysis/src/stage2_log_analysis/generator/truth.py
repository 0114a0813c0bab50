"""The ground truth of a generated log: per-minute counts and labelled incidents.

The truth is counted from the generator's arrays *before* any text exists, so it does not
depend on a parser. Minutes are counted by the time written in the line (the logged time),
so a skewed clock moves requests between minutes in the truth exactly as in the log.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
from pydantic import BaseModel

__all__ = [
    "TRUTH_COLUMNS",
    "GroundTruth",
    "Incident",
    "TruthCounter",
    "truth_path_for",
    "write_truth_json",
]

#: Per-minute columns of the truth, in order (``minute`` is epoch seconds, UTC).
TRUTH_COLUMNS = (
    "minute",
    "requests",
    "status_2xx",
    "status_3xx",
    "status_4xx",
    "status_5xx",
    "bytes",
    "distinct_ips",
)


class Incident(BaseModel):
    """One injected anomaly: ``[start, end)`` in UTC, whole minutes.

    ``kind`` is what a detector should say: a planned ``gap`` (lost log) is an ``outage`` too,
    with ``detail`` saying the data was missing rather than the service down.
    """

    kind: str
    start: datetime
    end: datetime
    client: str | None = None
    detail: str | None = None


class GroundTruth(BaseModel):
    """What the generated log contains, counted before it was written."""

    seed: int
    fmt: str
    size_bytes: int
    lines: int
    malformed_lines: int
    minutes: dict[str, list[int]]  # minute epoch seconds (UTC) and per-minute counts
    incidents: list[Incident]
    shape: str | None = None  # the named real-log shape it was made with, if any

    def minutes_frame(self) -> pl.DataFrame:
        """The per-minute truth as a table (``minute`` is tz-aware UTC)."""
        df = pl.DataFrame(self.minutes)
        return df.with_columns(
            pl.from_epoch("minute", time_unit="s").dt.replace_time_zone("UTC").alias("minute")
        )


def truth_path_for(log_path: str | Path) -> Path:
    """Where the ground truth of ``log_path`` lives: ``<log>.truth.json``."""
    return Path(f"{log_path}.truth.json")


def write_truth_json(truth: GroundTruth, path: Path) -> None:
    """Write ``truth`` as JSON atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(truth.model_dump(mode="json")), encoding="utf-8")
    os.replace(tmp, path)


class TruthCounter:
    """Per-minute truth of blocks of traffic, added in order.

    A minute is final once no later block can still log a line into it: lines are logged at
    most ``skew_minutes`` before the block they belong to. Only the open minutes keep their
    (minute, client) pairs, so memory stays the size of a block, whatever the span.
    """

    def __init__(self, start_epoch: int, n_clients: int, skew_minutes: int) -> None:
        self.start_epoch = start_epoch
        self.n_clients = n_clients
        self.skew = skew_minutes
        self.columns: dict[str, list[int]] = {k: [] for k in TRUTH_COLUMNS}
        self._counts: list[pl.DataFrame] = []
        self._pairs: list[np.ndarray] = []

    def add(self, block: dict[str, np.ndarray], next_minute: int) -> None:
        """Count a block's good lines; ``next_minute`` is where the next block begins."""
        ok = ~block["malformed"]
        minute = block["minute"][ok]
        if len(minute):
            klass = block["status"][ok] // 100
            self._counts.append(
                pl.DataFrame(
                    {
                        "m": minute,
                        "requests": np.ones(len(minute), dtype=np.int64),
                        "status_2xx": (klass == 2).astype(np.int64),
                        "status_3xx": (klass == 3).astype(np.int64),
                        "status_4xx": (klass == 4).astype(np.int64),
                        "status_5xx": (klass == 5).astype(np.int64),
                        "bytes": block["bytes"][ok].astype(np.int64),
                    }
                )
                .group_by("m")
                .agg(pl.all().sum())
            )
            self._pairs.append(np.unique(minute * self.n_clients + block["client"][ok]))
        self._flush(before=next_minute - self.skew)

    def finish(self) -> dict[str, list[int]]:
        """Every minute's counts (minutes with at least one good line), in time order."""
        self._flush(before=None)
        return self.columns

    def _flush(self, before: int | None) -> None:
        if not self._counts:
            return
        counts = pl.concat(self._counts).group_by("m").agg(pl.all().sum()).sort("m")
        pairs = np.unique(np.concatenate(self._pairs))
        if before is not None:
            done = counts.filter(pl.col("m") < before)
            self._counts = [counts.filter(pl.col("m") >= before)]
            cut = before * self.n_clients
            self._pairs = [pairs[pairs >= cut]]
            pairs = pairs[pairs < cut]
        else:
            done, self._counts, self._pairs = counts, [], []
        if done.height == 0:
            return
        minutes_of_pairs = pairs // self.n_clients
        distinct = np.searchsorted(minutes_of_pairs, done["m"].to_numpy(), side="right")
        distinct -= np.searchsorted(minutes_of_pairs, done["m"].to_numpy(), side="left")
        cols = self.columns
        cols["minute"].extend((self.start_epoch + 60 * done["m"]).to_list())
        for k in TRUTH_COLUMNS[1:-1]:
            cols[k].extend(done[k].to_list())
        cols["distinct_ips"].extend(distinct.tolist())
