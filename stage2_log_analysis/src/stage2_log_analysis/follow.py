"""Real-time mode: tail a growing log (``tail -F`` style) and emit each minute once it closes.

* ``Tailer`` returns the complete lines appended since the last poll. It notices rotation (the
  path now names a new file: the old one is drained first) and truncation (``copytruncate``:
  the file got shorter: read again from the start).
* ``LiveAggregator`` keeps the partial aggregates of the minutes still open. A minute closes
  when the clock passes its end plus ``lateness_s``; it is then emitted once, with its anomaly
  flags. Lines that arrive for an already-closed minute are counted as ``late_lines``.

Output schema. Each frame ``follow_log`` yields has one row per closed minute (UTC), columns
``LIVE_COLUMNS``: ``minute``; the batch ``minutes/`` statistics (``stats.STAT_COLUMNS``:
``requests``, ``status_2xx`` .. ``status_other``, ``bytes``, ``error_rate``,
``distinct_ips``, ``top_ip``, ``top_ip_requests``, ``latency_p50_ms`` .. ``p99``);
``top_path`` and ``top_path_requests`` (the minute's most requested path, query string
dropped; lines whose request has no parsable path, such as a TLS handshake sent to port 80,
are left out; missing and 0 for a silent minute); ``anomalies`` (the kinds flagged, comma
separated, "" if none). Silent minutes between busy ones are emitted with zero counts.

The minute's top paths, ranked, have the shape of the batch ``top_paths/`` table with
``minute`` in place of ``hour`` (``TOP_PATH_COLUMNS``: ``minute``, ``rank`` 1..n, ``path``,
``requests``; ties by path name). They go to the ``on_top_paths`` callback of
``follow_log``, and ``LiveAggregator.last_top_paths`` keeps the latest batch's. They are
not a list column of the minute rows because a nested list column written by pandas 3.1
(ArrowDtype) could not be read back by ``pd.read_parquet`` here, and an untyped one gets
no stable Parquet type in a batch of silent minutes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Literal, cast

import numpy as np
import pandas as pd
import polars as pl

from stage2_log_analysis.aggregate import Partial, combine_partials, partial_from_block
from stage2_log_analysis.anomaly import AnomalyConfig, detect_minute_anomalies, kinds_at
from stage2_log_analysis.formats import LogFormat
from stage2_log_analysis.parser import parse_block
from stage2_log_analysis.stats import STAT_COLUMNS, build_table

__all__ = ["LIVE_COLUMNS", "TOP_PATH_COLUMNS", "LiveAggregator", "Tailer", "follow_log"]

Clock = Literal["wall", "event"]
#: Columns of each frame ``follow_log`` yields: the minute, its statistics and its flags.
LIVE_COLUMNS = ["minute", *STAT_COLUMNS, "top_path", "top_path_requests", "anomalies"]
#: Columns of the ranked top paths per closed minute (the batch ``top_paths/`` shape).
TOP_PATH_COLUMNS = ["minute", "rank", "path", "requests"]
_PATH_SCHEMA = pl.Schema(
    {"minute": pl.Datetime("us", "UTC"), "path": pl.String(), "requests": pl.Int64()}
)


class Tailer:
    """Read complete new lines from a file that grows, rotates or gets truncated."""

    def __init__(self, path: str | Path, *, max_read: int = 16 << 20) -> None:
        self.path = Path(path)
        self.max_read = max_read  # bytes per poll: a big existing file is read in steps
        self._fh: BinaryIO | None = None
        self._inode: int | None = None
        self._carry = b""
        self.at_eof = True
        self.rotations = 0
        self.truncations = 0

    def _open(self) -> bool:
        try:
            self._fh = self.path.open("rb")
        except FileNotFoundError:
            return False
        self._inode = os.fstat(self._fh.fileno()).st_ino
        return True

    def poll(self) -> bytes:
        """Complete lines appended since the last call (may be empty)."""
        if self._fh is None and not self._open():
            return b""
        assert self._fh is not None
        fresh = self._fh.read(self.max_read)
        self.at_eof = len(fresh) < self.max_read
        data = self._carry + fresh
        if not self.at_eof:  # more to read in this file: rotation checks can wait
            cut = data.rfind(b"\n")
            self._carry = data[cut + 1 :]
            return data[: cut + 1]
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            st = None  # rotated away and the new file is not there yet
        if st is not None and st.st_ino != self._inode:
            # rotation: the old file was drained above; an unterminated tail is a whole line
            if data and not data.endswith(b"\n"):
                data += b"\n"
            self._fh.close()
            self._open()
            self.rotations += 1
            data += self._fh.read(self.max_read)
        elif st is not None and st.st_size < self._fh.tell():
            self._fh.seek(0)
            self.truncations += 1
            data = self._fh.read(self.max_read)
        cut = data.rfind(b"\n")
        self._carry = data[cut + 1 :]
        return data[: cut + 1]

    def close(self) -> None:
        """Close the file handle."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> Tailer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _before(partial: Partial, cutoff: pd.Timestamp, keep: bool) -> Partial:
    """The part of ``partial`` strictly before ``cutoff`` (or at/after it when ``keep``)."""
    c = cutoff.to_pydatetime()

    def cut(df: pl.DataFrame, col: str) -> pl.DataFrame:
        return df.filter(pl.col(col) >= c) if keep else df.filter(pl.col(col) < c)

    return Partial(
        status=cut(partial.status, "minute"),
        ips=cut(partial.ips, "minute"),
        ip_names=partial.ip_names,
        paths=partial.paths.clear(),
        latency=cut(partial.latency, "minute"),
    )


class LiveAggregator:
    """Per-minute statistics of a stream, emitted once per minute when it closes."""

    def __init__(
        self,
        fmt: LogFormat | None = None,
        *,
        lateness_s: float = 1.0,
        anomaly_config: AnomalyConfig | None = None,
        history_minutes: int | None = None,
        top_n_paths: int = 10,
        fill_limit_minutes: int = 1440,
    ) -> None:
        self.fmt = fmt
        # silent minutes are emitted as zero rows up to this long after the last busy one:
        # a clock that jumps (a line dated months ahead) does not write months of zeros
        self.fill_limit = fill_limit_minutes
        self.last_busy: pd.Timestamp | None = None
        self.lateness = pd.Timedelta(seconds=lateness_s)
        self.anomaly_config = anomaly_config or AnomalyConfig()
        cfg = self.anomaly_config
        # enough closed minutes for the seasonal baseline (a week of hours) and the rolling one
        self.history_minutes = history_minutes or max(
            240, cfg.seasonal_days * 1440 + 60 + cfg.window
        )
        self.top_n_paths = top_n_paths
        self.open = Partial.empty()
        # per-minute path counts of the open minutes (the Partial's paths are per hour)
        self.open_paths = pl.DataFrame(schema=_PATH_SCHEMA)
        self.last_top_paths = pd.DataFrame(columns=TOP_PATH_COLUMNS)
        self.closed_until: pd.Timestamp | None = None
        self.max_event: pd.Timestamp | None = None
        self.history = pd.DataFrame(columns=STAT_COLUMNS)
        self.lines = 0
        self.rejected = 0
        self.late_lines = 0

    def add(self, data: bytes) -> None:
        """Parse and absorb complete lines."""
        if not data:
            return
        if self.fmt is None:
            self.fmt = LogFormat.JSON if data.lstrip()[:1] == b"{" else LogFormat.CLF
        block = parse_block(data, self.fmt)
        self.lines += block.lines
        self.rejected += block.rejected
        frame = block.frame
        if frame.height:
            newest = pd.Timestamp(cast(datetime, frame["timestamp"].max()))
            self.max_event = newest if self.max_event is None else max(self.max_event, newest)
        if self.closed_until is not None:
            late = frame["timestamp"] < self.closed_until.to_pydatetime()
            self.late_lines += int(late.sum())
            frame = frame.filter(~late)
        block.frame = frame
        self.open = combine_partials([self.open, partial_from_block(block)])
        paths = (
            frame.filter(pl.col("path").is_not_null())
            .group_by(pl.col("timestamp").dt.truncate("1m").alias("minute"), "path")
            .agg(pl.len().alias("requests"))
            .cast(_PATH_SCHEMA)
        )
        self.open_paths = (
            pl.concat([self.open_paths, paths])
            .group_by("minute", "path")
            .agg(pl.col("requests").sum())
        )

    def _rows_to_emit(
        self, busy: pd.DatetimeIndex, start: pd.Timestamp, cutoff: pd.Timestamp
    ) -> pd.DatetimeIndex:
        """Busy minutes, and the silent ones up to ``fill_limit`` after a busy minute."""
        ns = 60_000_000_000
        busy_m = pd.DatetimeIndex(busy).as_unit("ns").asi8 // ns
        anchors = busy_m
        if self.last_busy is not None:
            anchors = np.concatenate([[self.last_busy.as_unit("ns").value // ns], busy_m])
        lo = start.as_unit("ns").value // ns
        hi = cutoff.as_unit("ns").value // ns
        minutes = np.union1d(busy_m, _fill(anchors.astype(np.int64), lo, hi, self.fill_limit))
        if len(busy_m):
            self.last_busy = pd.Timestamp(int(busy_m[-1]) * ns, tz="UTC")
        return pd.DatetimeIndex(minutes * ns, name="minute").tz_localize("UTC")

    def close_ready(self, now: pd.Timestamp) -> pd.DataFrame:
        """Emit every minute that ended at least ``lateness`` before ``now`` (oldest first)."""
        cutoff = (now - self.lateness).floor("min")
        if self.closed_until is not None and cutoff <= self.closed_until:
            return pd.DataFrame(columns=LIVE_COLUMNS)
        ready = _before(self.open, cutoff, keep=False)
        if ready.status.height == 0 and self.closed_until is None:
            return pd.DataFrame(columns=LIVE_COLUMNS)
        table = build_table(ready, "minute")
        start = self.closed_until if self.closed_until is not None else table.index.min()
        table = table.reindex(self._rows_to_emit(pd.DatetimeIndex(table.index), start, cutoff))
        zero = [c for c in STAT_COLUMNS if c not in ("top_ip",) and not c.startswith("latency")]
        table[zero] = table[zero].fillna(0)
        self.open = _before(self.open, cutoff, keep=True)
        c = cutoff.to_pydatetime()
        ready_paths = self.open_paths.filter(pl.col("minute") < c)
        self.open_paths = self.open_paths.filter(pl.col("minute") >= c)
        self.closed_until = cutoff
        if table.empty:
            return pd.DataFrame(columns=LIVE_COLUMNS)
        self.last_top_paths = _rank_paths(ready_paths, self.top_n_paths)
        history = pd.concat([self.history, table]) if not self.history.empty else table
        self.history = history.iloc[-self.history_minutes :]
        flags = detect_minute_anomalies(
            self.history.astype({"requests": "float64"}), self.anomaly_config
        )
        kinds = kinds_at(flags, table.index)
        out = table.reset_index()
        first = self.last_top_paths[self.last_top_paths["rank"] == 1].set_index("minute")
        out["top_path"] = out["minute"].map(first["path"]).astype("str")
        out["top_path_requests"] = out["minute"].map(first["requests"]).fillna(0).astype("int64")
        out["anomalies"] = kinds.to_numpy()
        return out[LIVE_COLUMNS]


def _fill(anchors: np.ndarray, start: int, cutoff: int, limit: int) -> np.ndarray:
    """Minutes in ``[start, cutoff)`` at most ``limit`` after an anchor (and before the next)."""
    nxt = np.append(anchors[1:], cutoff)
    lo = np.maximum(anchors + 1, start)
    hi = np.minimum(np.minimum(anchors + 1 + limit, nxt), cutoff)
    size = np.clip(hi - lo, 0, None)
    if size.sum() == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.arange(int(size.sum())) - np.repeat(np.cumsum(size) - size, size)
    minutes: np.ndarray = np.repeat(lo, size) + offsets
    return minutes


def _rank_paths(paths: pl.DataFrame, n: int) -> pd.DataFrame:
    """The ``n`` most requested paths of each minute, ranked (ties: by path, as in batch)."""
    top = (
        paths.sort(["minute", "requests", "path"], descending=[False, True, False])
        .group_by("minute", maintain_order=True)
        .head(n)
        .with_columns(pl.int_range(1, pl.len() + 1).over("minute").alias("rank"))
        .to_pandas()
    )
    if top.empty:
        return pd.DataFrame(columns=TOP_PATH_COLUMNS)
    return top[TOP_PATH_COLUMNS]


def follow_log(
    path: str | Path,
    *,
    lateness_s: float = 1.0,
    poll_s: float = 0.2,
    clock: Clock = "wall",
    stop: Callable[[], bool] | None = None,
    anomaly_config: AnomalyConfig | None = None,
    on_top_paths: Callable[[pd.DataFrame], None] | None = None,
) -> Iterator[pd.DataFrame]:
    """Tail ``path`` and yield closed minutes as they close (until ``stop()`` returns True;
    what the file holds by then is still read and closed as far as the clock allows).

    ``clock="wall"`` closes minutes by the machine's clock (a live server log);
    ``clock="event"`` by the newest timestamp seen (replaying an old log). Each yielded frame
    has the ``LIVE_COLUMNS`` (see the module docstring); ``on_top_paths``, if given, receives
    the same minutes' ranked top paths (``TOP_PATH_COLUMNS``) just before the frame is yielded.
    """
    tailer = Tailer(path)
    agg = LiveAggregator(lateness_s=lateness_s, anomaly_config=anomaly_config)
    stopping = False
    try:
        while True:
            # once asked to stop, the lines already written are still read (to the end)
            stopping = stopping or (stop is not None and stop())
            agg.add(tailer.poll())
            if clock == "wall":
                now = pd.Timestamp.now(tz="UTC")
            elif agg.max_event is not None:
                now = agg.max_event
            else:
                now = None
            if now is not None:
                rows = agg.close_ready(now)
                if not rows.empty:
                    if on_top_paths is not None:
                        on_top_paths(agg.last_top_paths)
                    yield rows
            if stopping and tailer.at_eof:
                return
            if tailer.at_eof and not stopping:  # caught up: wait for new lines
                time.sleep(poll_s)
    finally:
        tailer.close()
