"""Catch file handles the graded code leaves open, while its failure is still alive.

CPython closes a forgotten file as soon as nothing refers to it any more, so counting open
files after an ``except`` block finds nothing. Two things find the leak instead:

* while the graded call's exception (and so its traceback, its frames and their locals) is
  still held, the files under the probe's folder that the process has open — a file opened
  without ``with`` in a frame of that traceback is still open then;
* ``ResourceWarning: unclosed file``, which CPython emits whenever a file object is destroyed
  without having been closed — also on the happy path (``yaml.safe_load(open(path))``).

The garbage collector is paused meanwhile, so reference cycles cannot close a file at a random
moment; it runs once at the end so their warnings are counted too.
"""

from __future__ import annotations

import gc
import os
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

__all__ = ["HandleWatch", "watch_handles"]


@dataclass
class HandleWatch:
    """What one watched call did with files under ``folder``."""

    folder: Path
    value: Any = None
    error: BaseException | None = None
    raised: str = ""
    open_while_failing: list[str] = field(default_factory=list)
    unclosed: list[str] = field(default_factory=list)

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Call the graded ``fn``; keep its result, or its exception alive, and look at files."""
        try:
            self.value = fn(*args, **kwargs)
        except (Exception, SystemExit) as exc:  # sys.exit in the graded code counts as raising
            self.error = exc  # held: its traceback keeps the failing frames' locals alive
            self.raised = f"{type(exc).__name__}: {exc}"
        self.open_while_failing = _open_under(self.folder)

    @property
    def leaked(self) -> bool:
        """True when a file was left open or was never closed explicitly."""
        return bool(self.open_while_failing or self.unclosed)

    def describe(self) -> str:
        """The leak in words, naming the files."""
        parts = []
        if self.open_while_failing:
            names = ", ".join(sorted({Path(p).name for p in self.open_while_failing}))
            state = "raised (its exception still alive)" if self.raised else "returned"
            parts.append(f"{names} still open after the call {state}")
        if self.unclosed:
            parts.append(f"{len(self.unclosed)} file(s) never closed ({self.unclosed[0]})")
        return "; ".join(parts)


@contextmanager
def watch_handles(folder: Path) -> Iterator[HandleWatch]:
    """Watch one graded call made through ``HandleWatch.call`` inside the block."""
    watch = HandleWatch(folder=folder)
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            yield watch
            watch.error = None  # let the failing frames go, then count what closing them finds
            gc.collect()
        watch.unclosed = [
            str(w.message)
            for w in caught
            if issubclass(w.category, ResourceWarning) and _about_files(str(w.message), folder)
        ]
    finally:
        if was_enabled:
            gc.enable()


def _about_files(message: str, folder: Path) -> bool:
    """An unclosed *file* under ``folder``, or one opened from a descriptor (name is a number)."""
    if not message.startswith("unclosed file"):
        return False
    if "name=" not in message:
        return True
    name = message.split("name=", 1)[1]
    return not name.startswith(("'", '"')) or _real(folder) in name or str(folder) in name


def _open_under(folder: Path) -> list[str]:
    root = _real(folder)
    try:
        files = psutil.Process().open_files()
    except psutil.Error:
        return []
    return [f.path for f in files if os.path.realpath(f.path).startswith(root)]


def _real(folder: Path) -> str:
    return os.path.realpath(folder)
