"""Read a CSV or Parquet file as a stream of DataFrame chunks, with every handle closed.

Row index labels run on across chunks (0, 1, 2, ... over the whole file), so a failing row
has the same index in a chunked report as in a whole-frame report of ``read_data(path)``.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from stage1_validation.errors import DataFileError

__all__ = ["count_rows", "data_format", "iter_chunks", "read_data"]

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
    """Yield chunks of at most ``chunk_size`` rows; the file is closed when the loop ends or fails."""
    path = Path(path)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    kind = data_format(path)
    _check_file(path)
    if kind == "csv":
        yield from _csv_chunks(path, chunk_size)
    else:
        yield from _parquet_chunks(path, chunk_size)


def _csv_chunks(path: Path, chunk_size: int) -> Iterator[pd.DataFrame]:
    try:
        # The reader is a context manager: leaving the block (normally, by an exception in a
        # chunk, or because the caller stopped iterating) closes the file handle.
        with pd.read_csv(path, chunksize=chunk_size, encoding="utf-8") as reader:
            yield from reader
    except UnicodeDecodeError as exc:
        raise DataFileError(path, f"not UTF-8 ({exc.reason} at byte {exc.start})") from exc
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
            return pq.read_table(path).to_pandas()
        except (pa.ArrowInvalid, OSError) as exc:
            raise DataFileError(path, f"unreadable Parquet: {exc}") from exc
    try:
        return pd.read_csv(path, encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataFileError(path, f"not UTF-8 ({exc.reason} at byte {exc.start})") from exc
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
