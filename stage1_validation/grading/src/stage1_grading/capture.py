"""Everything one call printed or logged: stdout, stderr (at the descriptor level) and logging.

A decorator may report through ``print``, a ``logging`` logger (with or without handlers of its
own, propagating or not) or a handler made at import time that holds the original stderr. The
descriptors 1 and 2 are pointed at a temp file for the call, ``sys.stdout``/``sys.stderr`` at a
buffer, and a handler at DEBUG is added to the root logger and to every logger that does not
propagate, so each of those routes lands in the captured text.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["Captured", "captured_output"]


@dataclass
class Captured:
    """The text one call produced (filled in when the block ends)."""

    text: str = ""


@contextlib.contextmanager
def captured_output() -> Iterator[Captured]:
    """Capture what the block prints or logs into ``Captured.text``."""
    result = Captured()
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    loggers = [logging.getLogger()] + [
        lg
        for lg in logging.root.manager.loggerDict.values()
        if isinstance(lg, logging.Logger) and not lg.propagate
    ]
    root_level = logging.getLogger().level
    sys.stdout.flush()
    sys.stderr.flush()
    with tempfile.TemporaryFile(mode="w+b") as sink:
        saved = {fd: os.dup(fd) for fd in (1, 2)}
        for fd in saved:
            os.dup2(sink.fileno(), fd)
        for logger in loggers:
            logger.addHandler(handler)
        logging.getLogger().setLevel(logging.DEBUG)
        try:
            with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
                yield result
        finally:
            for logger in loggers:
                logger.removeHandler(handler)
            logging.getLogger().setLevel(root_level)
            for stream in (sys.__stdout__, sys.__stderr__):
                if stream is not None:
                    with contextlib.suppress(Exception):
                        stream.flush()
            for fd, copy in saved.items():
                os.dup2(copy, fd)
                os.close(copy)
            sink.seek(0)
            raw = sink.read().decode("utf-8", errors="replace")
            result.text = buffer.getvalue() + raw
