"""What the grader knows about a stage-1 implementation: the skeleton's names, found on its module.

The probes use only the names the exercise skeleton fixes (``DataValidator``, ``validate_dataset``,
``validation_rules``, ``performance_monitor``, ``process_large_dataset``, ``write_report``,
``register_rule``) and say in their evidence which of the learner's functions a figure came from.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from gradekit._child import describe_exception, implementation_files
from gradekit.result import ErrorSource, Measurement
from gradekit.stages import GradeContext

__all__ = [
    "InterfaceError",
    "accepted_parameters",
    "is_own",
    "raised_text",
    "refusal",
    "require",
    "where",
]


class InterfaceError(Exception):
    """Raised by a probe when the implementation lacks a name or shape the skeleton fixes.

    Probes turn it into a failed criterion whose evidence is the message (the learner's fault,
    never a grader error).
    """


def refusal(exc: InterfaceError) -> Measurement:
    """The failed Measurement for an implementation that does not have the skeleton's shape."""
    return Measurement.failed(str(exc), source=ErrorSource.IMPLEMENTATION)


def require(impl: ModuleType, name: str, *, what: str = "callable") -> Any:
    """``impl.<name>``, or InterfaceError naming what the skeleton expects there."""
    value = getattr(impl, name, None)
    if value is None or (what == "callable" and not callable(value)):
        found = "missing" if value is None else f"a {type(value).__name__}, not callable"
        raise InterfaceError(
            f"{impl.__name__}.{name} is {found}: the skeleton's {name} must stay, with its name"
        )
    return value


def accepted_parameters(fn: Any) -> set[str] | None:
    """Names ``fn`` accepts, or None when it takes ``**kwargs`` (or has no readable signature)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params}


def is_own(obj: Any, impl: ModuleType) -> bool:
    """True when ``obj`` (a class or function) is defined by the implementation itself.

    A class made with ``type(...)`` may carry another module's name (``abc`` for an ABC), so a
    class also counts as the implementation's when one of its bases is.
    """
    if isinstance(obj, type):
        return any(_defined_in(klass, impl) for klass in obj.__mro__)
    return _defined_in(obj, impl)


def _defined_in(obj: Any, impl: ModuleType) -> bool:
    module = getattr(obj, "__module__", None) or ""
    root = impl.__name__.split(".")[0]
    return module == impl.__name__ or module == root or module.startswith(root + ".")


def where(obj: Any) -> str:
    """``validator.py:DataValidator.validate_dataset`` — where the learner wrote ``obj``."""
    target = inspect.unwrap(obj) if callable(obj) and not isinstance(obj, type) else obj
    name = getattr(target, "__qualname__", None) or getattr(target, "__name__", None) or repr(obj)
    if isinstance(target, type):  # a class made by type() names the module that called it
        target = next((k for k in target.__mro__ if _named_in_module(k)), target)
    try:
        file = inspect.getsourcefile(target)
    except TypeError:
        file = None
    return f"{Path(file).name}:{name}" if file else str(name)


def _named_in_module(cls: type) -> bool:
    module = sys.modules.get(cls.__module__)
    return getattr(module, cls.__qualname__.split(".")[0], None) is not None


def raised_text(exc: BaseException, ctx: GradeContext) -> str:
    """``your code raised KeyError: 'x' (at validator.py:12 in check())`` for a learner's error."""
    _, text = describe_exception(exc, implementation_files(ctx))
    if text.startswith("the grader itself raised"):
        # no frame of the graded code: the error came from a library it called
        return f"{type(exc).__name__}: {exc}"
    return text
