"""Whose fault a failure is, and where in the candidate's code it happened.

A probe that raises has either met a fault of the candidate (their code raised, or returned
something the statement rules out: :class:`CandidateFault`) or a bug of the hidden tests.
Only the first costs the candidate points; the second is reported as the grader's.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType, ModuleType, TracebackType
from typing import Any, TypeVar

from diagnostics.hidden.records import ProbeResult, Source

__all__ = [
    "CandidateFault",
    "attribute",
    "call",
    "caller_location",
    "candidate_location",
    "classify",
    "describe",
    "failure",
    "set_candidate_folder",
]

T = TypeVar("T")
_FOLDER: list[Path] = []  # the candidate's folder, set once per sandbox before the import
# Exceptions the candidate's code causes even when no frame of theirs is on the stack.
_ALWAYS_CANDIDATE = (MemoryError, RecursionError, SystemExit, KeyboardInterrupt)


class CandidateFault(Exception):
    """Raised by a probe when the candidate's code broke the statement's contract.

    Its message says what was measured and what was expected ("validate_data() returned a
    dict, expected a list"); it is a failed requirement, never a grader bug.
    """


def set_candidate_folder(folder: Path) -> None:
    """Remember the folder whose files count as the candidate's code."""
    _FOLDER[:] = [folder.resolve()]


def _is_candidate(filename: str) -> bool:
    if not _FOLDER:
        return False
    try:
        Path(filename).resolve().relative_to(_FOLDER[0])
    except (ValueError, OSError):
        return False
    return True


def candidate_location(tb: TracebackType | None) -> str:
    """``"CSVProcessor.validate_data (problem1.py line 31)"``: the innermost candidate frame."""
    return _innermost(reversed(list(traceback.walk_tb(tb))))


def caller_location() -> str:
    """The innermost frame of the candidate's code on the current call stack ("" if none)."""
    return _innermost(traceback.walk_stack(sys._getframe(1)))


def _innermost(frames: Iterable[tuple[FrameType, int]]) -> str:
    for frame, line in frames:  # innermost first
        code = frame.f_code
        if _is_candidate(code.co_filename):
            return f"{code.co_qualname} ({Path(code.co_filename).name} line {line})"
    return ""


def classify(exc: BaseException) -> Source:
    """``implementation`` when the candidate's code caused ``exc``; else ``grader``."""
    if isinstance(exc, (CandidateFault, *_ALWAYS_CANDIDATE)):
        return "implementation"
    current: BaseException | None = exc
    while current is not None:  # an exception raised while handling the candidate's
        if candidate_location(current.__traceback__):
            return "implementation"
        current = current.__cause__ or current.__context__
    return "grader"


def describe(exc: BaseException) -> str:
    """One line: the exception, and where in the candidate's code it was raised."""
    text = traceback.format_exception_only(type(exc), exc)[-1].strip()
    if isinstance(exc, CandidateFault):
        return str(exc)
    where = candidate_location(exc.__traceback__)
    return f"raised {text}" + (f" in {where}" if where else "")


def failure(probe_id: str, exc: BaseException, doing: str = "") -> ProbeResult:
    """The failed result of a probe that raised ``exc`` while ``doing`` something."""
    source = classify(exc)
    text = describe(exc)
    if source == "grader":
        text = f"the hidden test itself raised (a grader bug, not the candidate's fault): {text}"
    elif doing and not isinstance(exc, CandidateFault):
        text = f"{doing} {text}"
    return ProbeResult(id=probe_id, passed=False, evidence=text, value=False, source=source)


def call(what: str, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``function(*args, **kwargs)`` of the candidate's; whatever it raises is their fault.

    The hidden tests call it as the statement says, so even a TypeError raised while binding
    the arguments (no frame of theirs on the stack yet) is the candidate's.
    """
    try:
        return function(*args, **kwargs)
    except Exception as exc:
        raise CandidateFault(f"{what} {describe(exc)}".strip()) from exc


def attribute(module: ModuleType, name: str) -> Any:
    """``module.name``, or a CandidateFault naming the missing definition."""
    try:
        return getattr(module, name)
    except AttributeError:
        file = Path(module.__file__ or "?").name
        raise CandidateFault(f"{file} defines no {name!r} (the statement's name)") from None
