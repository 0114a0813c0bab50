"""What a timing decorator reported: every printed or logged line, and the duration in it.

The statement lets the decorator print or log. Lines are captured three ways at once: Python's
``sys.stdout``/``sys.stderr``, the file descriptors 1 and 2 underneath (a logging handler made
at import time holds the original stream), and a handler on the root logger (a logger with
no handler of its own). A duration is a number with a unit (``0.3s``, ``301 ms``); a number
inside a clock time or a date (``12:00:01``, ``2026-03-01``) is never read as one.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import sys
import tempfile
from collections.abc import Iterator

__all__ = ["captured_output", "reported_seconds"]

_NUMBER = r"(?<![\w:.\-/])(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?![\d:\-/]|\.\d)"
_DURATION = re.compile(
    _NUMBER + r"\s*(ms|msec|milliseconds?|µs|us|microseconds?|s|secs?|seconds?)?(?![A-Za-z])"
)


def _scale(unit: str) -> float:
    """Seconds per ``unit`` (no unit: seconds, as the statement asks)."""
    if unit.startswith(("µ", "u", "micro")):
        return 1e-6
    if unit.startswith("m"):
        return 1e-3
    return 1.0


class _Capture(logging.Handler):
    """Collect log records (any logger that reaches the root) as text lines."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextlib.contextmanager
def captured_output() -> Iterator[list[str]]:
    """Capture what the code inside prints or logs; the list is filled when the block ends."""
    lines: list[str] = []
    handler = _Capture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    out, err = io.StringIO(), io.StringIO()
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        _flush(stream)
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as raw:
        os.dup2(raw.fileno(), 1)
        os.dup2(raw.fileno(), 2)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                yield lines
        finally:
            for stream in (sys.__stdout__, sys.__stderr__):
                _flush(stream)
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            root.removeHandler(handler)
            root.setLevel(old_level)
            raw.seek(0)
            underneath = raw.read().decode("utf-8", errors="replace")
            lines += out.getvalue().splitlines() + err.getvalue().splitlines()
            lines += handler.lines + underneath.splitlines()


def _flush(stream: object) -> None:
    with contextlib.suppress(Exception):  # a closed or replaced stream has nothing to flush
        stream.flush()  # type: ignore[attr-defined]


def reported_seconds(lines: list[str], name: str) -> tuple[float, str] | None:
    """The duration on the first line naming ``name`` that holds one, in seconds, and the line.

    A number with a unit wins over a bare number (read as seconds); the function's own name
    is blanked first, so digits in it are never read.
    """
    for line in lines:
        if name not in line:
            continue
        matches = list(_DURATION.finditer(line.replace(name, " ")))
        with_unit = [m for m in matches if m.group(2)]
        chosen = with_unit[0] if with_unit else (matches[0] if len(matches) == 1 else None)
        if chosen is None:
            continue
        return float(chosen.group(1)) * _scale(chosen.group(2) or ""), line.strip()[:160]
    return None
