"""Partial aggregates kept by UTC day: in memory up to a budget, spilled to disk beyond it.

Why: the (minute, client), (minute, latency bucket) and (hour, path) counts grow with the
time span, not only with the file. A busy day of traffic fits in memory; a year of it at
a hundred requests a minute is ~40 million (minute, client) rows. The statistics of a minute,
an hour or a day only ever need the rows of that UTC day, so the rows are filed by day as
partials arrive, folded when a day's list grows, and written to Arrow files when the
buckets outgrow ``budget_bytes`` (an external aggregation: what a database does when its
hash table outgrows memory). ``batches`` then hands back whole days, a few at a time, each
complete whatever order the lines came in. Nothing is kept per empty day.

A sampled or quiet log holds a few thousand lines a day over years: filing it day by day
made thousands of tiny frames and spill files, and their overhead outgrew the work. So a
bucket is a run of ``width`` whole UTC days (a power of two, at most 64), chosen from the
first partial so that a bucket holds about ``TARGET_LINES`` lines; a busy log keeps one day
a bucket. Buckets still start at midnight UTC, so every hour and day lies in one bucket.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import polars as pl

from stage2_log_analysis.aggregate import TABLE_KEYS, Partial, combine_partials, sum_frames
from stage2_log_analysis.parser import SAMPLE_SIZE

__all__ = ["DEFAULT_BUDGET_BYTES", "DayBuckets"]

DEFAULT_BUDGET_BYTES = 192 << 20
TARGET_LINES = 500_000  # lines a bucket should hold (sets the width of sparse logs' buckets)
MAX_WIDTH_DAYS = 64
_FOLD_EVERY = 16  # frames of one day and table summed into one when this many pile up
_DAY = "_day"


class DayBuckets:
    """Collect partials by UTC day; yield them back as complete partials of whole days.

    **Usage**::

        with DayBuckets() as buckets:
            for partial in partials:
                buckets.add(partial)
            for days in buckets.batches():
                ...  # a Partial holding every row of some whole UTC days
    """

    def __init__(
        self, *, budget_bytes: int = DEFAULT_BUDGET_BYTES, spill_dir: str | Path | None = None
    ) -> None:
        self.budget_bytes = budget_bytes
        self._spill_parent = spill_dir
        self._spill_dir: Path | None = None
        self._mem: dict[int, dict[str, list[pl.DataFrame]]] = defaultdict(lambda: defaultdict(list))
        self._mem_bytes: dict[int, int] = defaultdict(int)
        self._rows: dict[int, int] = defaultdict(int)
        self._files: dict[int, list[Path]] = defaultdict(list)
        self._names: list[pl.DataFrame] = []
        self.totals = Partial.empty()  # lines, rejected, sample, bytes (tables stay empty)
        self.spilled_bytes = 0
        self.width_days: int | None = None  # days a bucket spans (set by the first partial)

    def __enter__(self) -> DayBuckets:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Remove the spill folder (if any)."""
        if self._spill_dir is not None:
            shutil.rmtree(self._spill_dir, ignore_errors=True)
            self._spill_dir = None

    @property
    def memory_bytes(self) -> int:
        """Estimated bytes of the rows held in memory now."""
        return sum(self._mem_bytes.values())

    @property
    def ip_names(self) -> pl.DataFrame:
        """Every distinct client seen: ``ip_hash`` → ``ip``."""
        self._fold_names()
        return self._names[0] if self._names else Partial.empty().ip_names

    def add(self, partial: Partial) -> None:
        """File a partial's rows under their UTC days (and spill if over the budget)."""
        t = self.totals
        t.lines += partial.lines
        t.rejected += partial.rejected
        t.bytes_read += partial.bytes_read
        t.rejected_sample.extend(partial.rejected_sample[: SAMPLE_SIZE - len(t.rejected_sample)])
        if partial.ip_names.height:
            self._names.append(partial.ip_names)
            if len(self._names) >= _FOLD_EVERY:
                self._fold_names()
        if self.width_days is None and partial.status.height:
            self.width_days = _width_for(partial)
        seconds = 86_400 * (self.width_days or 1)
        for table, keys in TABLE_KEYS.items():
            frame: pl.DataFrame = getattr(partial, table)
            if frame.height == 0:
                continue
            day = (pl.col(keys[0]).dt.epoch("s") // seconds).alias(_DAY)
            parts = frame.with_columns(day).partition_by(_DAY, as_dict=True, include_key=False)
            for (d,), part in parts.items():
                self._put(int(d), table, part)
        if self.memory_bytes > self.budget_bytes:
            self._spill()

    def _fold_names(self) -> None:
        if len(self._names) > 1:
            self._names = [pl.concat(self._names).unique("ip_hash")]

    def _put(self, day: int, table: str, frame: pl.DataFrame) -> None:
        frames = self._mem[day][table]
        frames.append(frame)
        self._rows[day] += frame.height
        self._mem_bytes[day] += int(frame.estimated_size())
        if len(frames) >= _FOLD_EVERY:
            before = sum(int(f.estimated_size()) for f in frames)
            folded = sum_frames(frames, table, TABLE_KEYS[table])
            self._rows[day] += folded.height - sum(f.height for f in frames)
            self._mem_bytes[day] += int(folded.estimated_size()) - before
            self._mem[day][table] = [folded]

    def _spill(self) -> None:
        """Write the biggest days to Arrow files until half the budget is free."""
        if self._spill_dir is None:
            self._spill_dir = Path(tempfile.mkdtemp(prefix="logan-spill-", dir=self._spill_parent))
        for day in sorted(self._mem_bytes, key=self._mem_bytes.__getitem__, reverse=True):
            if self.memory_bytes <= self.budget_bytes // 2:
                break
            for table, frames in self._mem.pop(day).items():
                target = self._spill_dir / f"{day}-{table}-{len(self._files[day])}.arrow"
                sum_frames(frames, table, TABLE_KEYS[table]).write_ipc(target)
                self.spilled_bytes += target.stat().st_size
                self._files[day].append(target)
            del self._mem_bytes[day]

    def batches(self, max_rows: int = 2_000_000) -> Iterator[Partial]:
        """Whole UTC days, in order, a few at a time (about ``max_rows`` rows per batch)."""
        days = sorted(set(self._rows))
        group: list[int] = []
        rows = 0
        for day in days:
            if group and rows + self._rows[day] > max_rows:
                yield self._load(group)
                group, rows = [], 0
            group.append(day)
            rows += self._rows[day]
        if group:
            yield self._load(group)

    def _load(self, days: list[int]) -> Partial:
        """The rows of ``days`` as one partial: each day summed on its own, then stacked.

        Days never share a key (every key holds its day), so only a day whose rows came in
        several pieces needs a group-by; the days are then simply concatenated.
        """
        tables: dict[str, list[pl.DataFrame]] = {t: [] for t in TABLE_KEYS}
        for day in days:
            pieces: dict[str, list[pl.DataFrame]] = {t: [] for t in TABLE_KEYS}
            for table, frames in self._mem.pop(day, {}).items():
                pieces[table].extend(frames)
            self._mem_bytes.pop(day, None)
            for path in self._files.pop(day, []):
                table = path.name.split("-")[1]
                pieces[table].append(pl.read_ipc(path))
                path.unlink()
            for table, frames in pieces.items():
                if frames:
                    tables[table].append(sum_frames(frames, table, TABLE_KEYS[table]))
        empty = Partial.empty()
        stacked = {
            t: pl.concat(frames, rechunk=False) if frames else getattr(empty, t)
            for t, frames in tables.items()
        }
        return Partial(
            status=stacked["status"],
            ips=stacked["ips"],
            ip_names=self.ip_names,
            paths=stacked["paths"],
            latency=stacked["latency"],
        )


def _width_for(partial: Partial) -> int:
    """Days a bucket should span: a power of two giving about ``TARGET_LINES`` lines."""
    days = partial.status.select((pl.col("minute").dt.epoch("s") // 86_400).n_unique()).item()
    per_day = max(partial.lines, 1) / max(int(days), 1)
    width = 1
    while width * 2 <= MAX_WIDTH_DAYS and width * 2 * per_day <= TARGET_LINES:
        width *= 2
    return width


def combine_buckets(buckets: DayBuckets) -> Partial:
    """Everything in ``buckets`` as one partial (small logs and tests; not bounded)."""
    parts = list(buckets.batches(max_rows=1 << 62))
    total = combine_partials(parts)
    t = buckets.totals
    total.lines, total.rejected, total.bytes_read = t.lines, t.rejected, t.bytes_read
    total.rejected_sample = list(t.rejected_sample)
    return total
