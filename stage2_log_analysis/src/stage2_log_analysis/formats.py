"""The access-log formats we read, and how to tell them apart from the first lines of a file."""

from __future__ import annotations

import gzip
from enum import StrEnum
from pathlib import Path

from stage2_log_analysis.errors import LogFileNotFound, NotALogError

__all__ = [
    "CLF_HEAD",
    "CLF_REQUEST_TIME",
    "CLF_TIME_FORMAT",
    "CLF_VALID",
    "LogFormat",
    "detect_format",
    "open_log",
    "read_head",
]

# Apache/Nginx "common" and "combined" formats as real servers write them: an optional
# leading virtual host (Apache's ``vhost_combined``: ``host:port client ...``) and any number
# of trailing fields after status and bytes — quoted or bare — such as referer and user agent,
# Nginx's ``"$http_x_forwarded_for"`` (its default ``main`` format) or ``$request_time``.
# Quoted fields allow escaped quotes (``\"``) but never run past the end of the line, so an
# unclosed quote costs only its own line.
#
# Three passes instead of one big regex with ten capture groups: Rust's regex engine checks a
# pattern without captures (CLF_VALID) with a fast automaton, and a short prefix pattern with
# five captures (CLF_HEAD) is cheap too. Together they run ~3x faster than the single regex
# (measured in the README), with exactly the same accepted lines.
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_VHOST = r"(?:\S+ )?"  # Apache vhost_combined's "host:port " (four fields before [time])
CLF_VALID = (
    r"^"
    + _VHOST
    + r"\S+ \S+ \S+ \[[^\]]+\] "  # client, ident, user, [time]
    + _QUOTED  # "request"
    + r" \d{3} (?:\d+|-)"  # status, bytes
    + r"(?: +(?:"
    + _QUOTED
    + r'|[^\s"]+))*'  # trailing fields: "referer" "user agent" "x-forwarded-for" 0.123 ...
    + r"\s*$"
)
CLF_HEAD = r"^" + _VHOST + r'(\S+) \S+ \S+ \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-)'
CLF_REQUEST_TIME = r'" (\d+(?:\.\d+)?)\s*$'
CLF_TIME_FORMAT = "%d/%b/%Y:%H:%M:%S %z"


class LogFormat(StrEnum):
    """A supported input format."""

    CLF = "clf"  # Apache/Nginx common or combined (optionally with request time)
    JSON = "json"  # Nginx JSON lines (escape=json), one object a line


def open_log(path: str | Path) -> gzip.GzipFile | object:
    """Open a plain or gzip-compressed log for binary reading (``.gz`` decided by magic bytes)."""
    p = Path(path)
    if not p.is_file():
        raise LogFileNotFound(p)
    with p.open("rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(p, "rb")
    return p.open("rb")


def read_head(path: str | Path, n_bytes: int = 1 << 20) -> bytes:
    """The first ``n_bytes`` of the (decompressed) log."""
    with open_log(path) as fh:  # type: ignore[attr-defined]
        data: bytes = fh.read(n_bytes)
    return data


def detect_format(path: str | Path, head: bytes | None = None) -> LogFormat:
    """Guess the format from the first MB; raise NotALogError when it is not a log at all.

    Why so early: a wrong file (a binary, a CSV export) should fail in the first second with a
    clear message, not after an hour of "100% rejected lines".
    """
    from stage2_log_analysis.parser import parse_block  # local: parser imports this module

    head = read_head(path) if head is None else head
    if not head.strip():
        raise NotALogError(path, "the file is empty; nothing to analyse")
    if b"\x00" in head[:65536]:
        raise NotALogError(path, "it contains NUL bytes: this is a binary file, not a text log")
    cut = head.rfind(b"\n")
    sample = head[: cut + 1] if cut > 0 else head
    first = sample.lstrip()[:1]
    fmt = LogFormat.JSON if first == b"{" else LogFormat.CLF
    block = parse_block(sample, fmt)
    if block.lines and block.parsed / block.lines < 0.5:
        raise NotALogError(
            path,
            f"only {block.parsed} of the first {block.lines} lines parse as {fmt.value} "
            "(expected Apache/Nginx common or combined format, or Nginx JSON lines)",
        )
    return fmt
