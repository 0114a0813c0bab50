"""Read a CSV or Parquet file as a stream of DataFrame chunks, with every handle closed.

Row index labels run on across chunks (0, 1, 2, ... over the whole file), so a failing row
has the same index in a chunked report as in a whole-frame report of ``read_data(path)``.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from stage1_validation.errors import DataFileError

__all__ = [
    "CsvDialect",
    "count_rows",
    "data_format",
    "detect_separator",
    "first_bad_utf8",
    "iter_chunks",
    "read_data",
]

_FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet"}

#: Separators a CSV export uses in practice: Excel in much of Europe writes ``;``, databases
#: and spreadsheets export tab-separated text, some tools use ``|``.
SEPARATORS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class CsvDialect:
    """How to read a CSV file: its separator (None: detected from the header) and encoding.

    ``utf-8-sig`` reads UTF-8 with or without a byte-order mark (Excel's "CSV UTF-8").
    Korean Excel saves "CSV" as ``cp949``; Western European tools often as ``latin-1``.
    """

    sep: str | None = None
    encoding: str = "utf-8-sig"


def detect_separator(path: Path, encoding: str = "utf-8-sig") -> str:
    """The separator that occurs most often in the header line outside quotes (``,`` if none).

    Why the header: it is the one line every CSV has, and column names rarely contain a
    separator. A ``.tsv`` file is tab-separated whatever its header says.
    """
    if path.suffix.lower() == ".tsv":
        return "\t"
    with path.open("rb") as handle:
        head = handle.read(1 << 16).split(b"\n", 1)[0]
    header = head.decode(encoding, errors="replace")
    counts = dict.fromkeys(SEPARATORS, 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(SEPARATORS, key=lambda sep: counts[sep])  # ties keep the first: ","
    return best if counts[best] else ","


def _read_options(path: Path, dialect: CsvDialect | None) -> tuple[str, str]:
    """``(separator, encoding)`` to read ``path`` with; bad options are a DataFileError."""
    dialect = dialect or CsvDialect()
    try:
        codecs.lookup(dialect.encoding)
    except LookupError:
        raise DataFileError(
            path,
            f"unknown encoding {dialect.encoding!r}",
            "name a Python codec such as utf-8, cp949 or latin-1",
        ) from None
    if dialect.sep is not None and len(dialect.sep) != 1:
        raise DataFileError(
            path, f"separator {dialect.sep!r} is not one character", "use one of , ; | or \\t"
        )
    sep = dialect.sep if dialect.sep is not None else detect_separator(path, dialect.encoding)
    return sep, dialect.encoding


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
    path: str | os.PathLike[str], chunk_size: int = 250_000, dialect: CsvDialect | None = None
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
        yield from _csv_chunks(path, chunk_size, dialect)
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


_ENCODING_FIX = (
    "save the file as UTF-8, or name its encoding (--encoding cp949 for a Korean Excel "
    "export, latin-1 for many Western European ones)"
)


def _not_decodable(path: Path, exc: UnicodeDecodeError, encoding: str) -> DataFileError:
    if codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig"):
        return DataFileError(
            path, f"not {encoding} ({exc.reason})", "check the --encoding given for it"
        )
    found = first_bad_utf8(path)
    where = (
        f"{found[2]} at byte {found[0]:,}, line {found[1]:,}"
        if found
        else f"{exc.reason} in a block the reader decoded"
    )
    return DataFileError(path, f"not UTF-8 ({where})", _ENCODING_FIX)


def _csv_chunks(path: Path, chunk_size: int, dialect: CsvDialect | None) -> Iterator[pd.DataFrame]:
    sep, encoding = _read_options(path, dialect)
    try:
        # The reader is a context manager: leaving the block (normally, by an exception in a
        # chunk, or because the caller stopped iterating) closes the file handle.
        with pd.read_csv(path, chunksize=chunk_size, sep=sep, encoding=encoding) as reader:
            yield from reader
    except UnicodeDecodeError as exc:
        raise _not_decodable(path, exc, encoding) from exc
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


def read_data(path: str | os.PathLike[str], dialect: CsvDialect | None = None) -> pd.DataFrame:
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
    sep, encoding = _read_options(path, dialect)
    try:
        return pd.read_csv(path, sep=sep, encoding=encoding)
    except UnicodeDecodeError as exc:
        raise _not_decodable(path, exc, encoding) from exc
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
