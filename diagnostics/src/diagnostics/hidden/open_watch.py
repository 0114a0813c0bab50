"""Which files the candidate opened, and whether each was closed: leaks seen while alive.

``builtins.open`` and ``io.open`` are wrapped before the candidate's module is imported (so
``from io import open`` gets the wrapper too). While a watch is active, every file object
opened on one of the watched paths is *kept alive* and remembered with the candidate's line
that opened it (also when pandas or the csv module did the opening on its behalf). A handle
that was never closed is then still open when it is checked: CPython cannot close it for the
candidate when the last reference goes away, as it would for ``f = open(path)`` in a function.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from diagnostics.hidden.candidate import caller_location

__all__ = ["OpenedFile", "install_open_watch", "watching"]


@dataclass
class OpenedFile:
    """One file object opened on a watched path, and the candidate's line that opened it."""

    path: str
    handle: Any
    opened_at: str

    @property
    def closed(self) -> bool:
        """True once the candidate (or a library on its behalf) closed it."""
        return bool(getattr(self.handle, "closed", True))


@dataclass
class _Watch:
    paths: set[str]
    opened: list[OpenedFile] = field(default_factory=list)


_ACTIVE: list[_Watch] = []


def install_open_watch() -> Callable[[], None]:
    """Wrap ``builtins.open`` and ``io.open`` (once, before the candidate is imported).

    Returns the function that puts the real ``open`` back (for tests; a sandbox never does).
    """
    real_open = builtins.open

    def watched_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        handle = real_open(file, *args, **kwargs)
        if _ACTIVE and isinstance(file, str | os.PathLike):
            path = os.path.realpath(os.fspath(file))
            watch = _ACTIVE[-1]
            if path in watch.paths:
                where = caller_location() or "an unknown caller"
                watch.opened.append(OpenedFile(Path(path).name, handle, where))
        return handle

    builtins.open = watched_open
    io.open = watched_open

    def restore() -> None:
        builtins.open = real_open
        io.open = real_open

    return restore


@contextlib.contextmanager
def watching(paths: list[Path]) -> Iterator[list[OpenedFile]]:
    """Record (and keep alive) every file opened on ``paths`` inside the block."""
    watch = _Watch({os.path.realpath(p) for p in paths})
    _ACTIVE.append(watch)
    try:
        yield watch.opened
    finally:
        _ACTIVE.remove(watch)
