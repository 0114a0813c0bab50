"""Read a CSV or Parquet file as a stream of DataFrame chunks, with every handle closed.

Row index labels run on across chunks (0, 1, 2, ... over the whole file), so a failing row
has the same index in a chunked report as in a whole-frame report of ``read_data(path)``.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from stage1_validation.errors import DataFileError

__all__ = ["count_rows", "data_format", "first_bad_utf8", "iter_chunks", "read_data"]

_FORMATS = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet"}


def data_format(path: str | os.PathLike[str]) -> str:
    """``csv`` or ``parquet`` from the suffix; anything else is a DataFileError."""
    path = Path(path)
    kind = _FORMATS.get(path.suffix.lower())
    if kind is None:
        raise DataFileError(path, f"unsupported suffix {path.suffix!r}", "use .csv or .parquet")
    return kind


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise DataFileError(path, "file not found", "check the path")
    if path.stat().st_size == 0:
        raise DataFileError(path, "file is empty", "a CSV needs at least a header line")


def iter_chunks(
    path: str | os.PathLike[str], chunk_size: int = 250_000
) -> Generator[pd.DataFrame, None, None]:
    """Yield chunks of at most ``chunk_size`` rows; the file is closed when the loop ends or fails.

    A caller that may raise between chunks wraps it in ``contextlib.closing``: a generator
    suspended inside its ``with`` otherwise keeps the file open until it is garbage.
    """
    path = Path(path)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    kind = data_format(path)
    _check_file(path)
    if kind == "csv":
        yield from _csv_chunks(path, chunk_size)
    else:
        yield from _parquet_chunks(path, chunk_size)


def first_bad_utf8(path: Path, block_size: int = 1 << 20) -> tuple[int, int, str] | None:
    """``(byte offset, line number, reason)`` of the file's first invalid UTF-8, or None.

    The decoder's own ``UnicodeDecodeError.start`` counts from the start of the block the
    reader was decoding, not from the start of the file, so the file is scanned again.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, lines = 0, 1
    with path.open("rb") as handle:
        while block := handle.read(block_size):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                # The decoder may hold up to 3 bytes of a character begun in the last block.
                pending = len(decoder.getstate()[0])
                start = offset - pending + exc.start
                lines += (block[: max(exc.start - pending, 0)]).count(b"\n")
                return start, lines, exc.reason
            offset += len(block)
            lines += block.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return offset - len(decoder.getstate()[0]) + exc.start, lines, exc.reason
    return None


def _not_utf8(path: Path, exc: UnicodeDecodeError) -> DataFileError:
    found = first_bad_utf8(path)
    where = (
        f"{found[2]} at byte {found[0]:,}, line {found[1]:,}"
        if found
        else f"{exc.reason} in a block the reader decoded"
    )
    return DataFileError(path, f"not UTF-8 ({where})", "save the file as UTF-8")


def _csv_chunks(path: Path, chunk_size: int) -> Iterator[pd.DataFrame]:
    try:
        # The reader is a context manager: leaving the block (normally, by an exception in a
        # chunk, or because the caller stopped iterating) closes the file handle.
        # utf-8-sig: a byte-order mark (Excel's "CSV UTF-8") is not part of the first name.
        with pd.read_csv(path, chunksize=chunk_size, encoding="utf-8-sig") as reader:
            yield from reader
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc) from exc
    except pd.errors.EmptyDataError as exc:
        raise DataFileError(path, "no columns to parse", "a CSV needs a header line") from exc
    except pd.errors.ParserError as exc:
        raise DataFileError(path, f"malformed CSV: {exc}") from exc


def _parquet_chunks(path: Path, chunk_size: int) -> Iterator[pd.DataFrame]:
    offset = 0
    try:
        with pq.ParquetFile(path) as parquet:
            for batch in parquet.iter_batches(batch_size=chunk_size):
                frame = batch.to_pandas()
                frame.index = pd.RangeIndex(offset, offset + len(frame))
                offset += len(frame)
                yield frame
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataFileError(path, f"unreadable Parquet: {exc}") from exc


def read_data(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read the whole file into one DataFrame (for files that fit in memory)."""
    path = Path(path)
    kind = data_format(path)
    _check_file(path)
    if kind == "parquet":
        try:
            frame: pd.DataFrame = pq.read_table(path).to_pandas()
            return frame
        except (pa.ArrowInvalid, OSError) as exc:
            raise DataFileError(path, f"unreadable Parquet: {exc}") from exc
    try:
        return pd.read_csv(path, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc) from exc
    except pd.errors.EmptyDataError as exc:
        raise DataFileError(path, "no columns to parse", "a CSV needs a header line") from exc
    except pd.errors.ParserError as exc:
        raise DataFileError(path, f"malformed CSV: {exc}") from exc


def count_rows(path: str | os.PathLike[str]) -> int | None:
    """Rows in the file if cheap to know (Parquet metadata), else None (CSV)."""
    path = Path(path)
    if data_format(path) == "parquet":
        with pq.ParquetFile(path) as parquet:
            return int(parquet.metadata.num_rows)
    return None
