"""Split a big log into byte ranges aligned on line boundaries, and read one range in blocks.

Ownership rule: a range ``[start, end)`` owns every line that *starts* inside it. So a line
split by a range boundary is read whole by the range where it starts, and skipped by the next
one: every line is read exactly once, whatever the range size.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from stage2_log_analysis.errors import AnalysisConfigError, LogFileNotFound
from stage2_log_analysis.formats import open_log

__all__ = ["ByteRange", "is_gzip", "iter_range_blocks", "split_ranges"]

DEFAULT_RANGE_BYTES = 32 << 20  # ~32 tasks per GB: enough to keep every worker busy to the end
DEFAULT_BLOCK_BYTES = 4 << 20  # parse 4 MB at a time: small, bounded working set per task


@dataclass(frozen=True)
class ByteRange:
    """Bytes ``[start, end)`` of ``path``; ``end`` is None for "to the end" (gzip files)."""

    path: str
    start: int
    end: int | None

    @property
    def size(self) -> int:
        """Bytes covered (the compressed file size for gzip files)."""
        if self.end is None:
            return os.path.getsize(self.path)
        return self.end - self.start


def is_gzip(path: str | Path) -> bool:
    """True when the file starts with the gzip magic bytes."""
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def split_ranges(path: str | Path, range_bytes: int = DEFAULT_RANGE_BYTES) -> list[ByteRange]:
    """Byte ranges of about ``range_bytes`` each; a gzip file is one range (it cannot be split)."""
    if range_bytes < 1024:
        raise AnalysisConfigError(f"range_bytes={range_bytes} is too small; use at least 1024")
    p = Path(path)
    if not p.is_file():
        raise LogFileNotFound(p)
    if is_gzip(p):
        return [ByteRange(str(p), 0, None)]
    size = p.stat().st_size
    starts = range(0, max(size, 1), range_bytes)
    return [ByteRange(str(p), s, min(s + range_bytes, size)) for s in starts]


def iter_range_blocks(rng: ByteRange, block_bytes: int = DEFAULT_BLOCK_BYTES) -> Iterator[bytes]:
    """Yield the lines owned by ``rng`` in blocks of about ``block_bytes`` that end on a newline."""
    if rng.end is None:
        yield from _iter_stream_blocks(rng.path, block_bytes)
        return
    end = rng.end
    with open(rng.path, "rb") as fh:
        if rng.start > 0:
            fh.seek(rng.start - 1)
            fh.readline()  # the line that began before our start belongs to the previous range
        buf_start = fh.tell()
        if buf_start >= end:
            return
        carry = b""
        while True:
            chunk = fh.read(block_bytes)
            if not chunk:
                if carry:
                    yield carry
                return
            buf = carry + chunk
            limit = end - 1 - buf_start  # index of our last byte inside buf
            if limit < len(buf):
                cut = buf.find(b"\n", max(limit, 0))
                if cut != -1:
                    yield buf[: cut + 1]
                    return
                carry = buf  # our last line runs past this block: read on
                continue
            cut = buf.rfind(b"\n")
            if cut == -1:
                carry = buf
                continue
            yield buf[: cut + 1]
            carry = buf[cut + 1 :]
            buf_start += cut + 1


def _iter_stream_blocks(path: str, block_bytes: int) -> Iterator[bytes]:
    with open_log(path) as fh:  # type: ignore[attr-defined]
        carry = b""
        while True:
            chunk = fh.read(block_bytes)
            if not chunk:
                if carry:
                    yield carry
                return
            buf = carry + chunk
            cut = buf.rfind(b"\n")
            if cut == -1:
                carry = buf
                continue
            yield buf[: cut + 1]
            carry = buf[cut + 1 :]
