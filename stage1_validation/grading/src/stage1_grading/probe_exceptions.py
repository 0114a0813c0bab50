"""Custom exceptions: every bad input raises the implementation's own exception, naming the input.

Runs in a child process (``ctx.isolated``). Eight bad inputs — seven rules files and a missing
data file — go through the skeleton's entry points. Each must raise an exception class the
implementation defines (not a built-in one leaking through, and not swallowed), whose message
names the file, rule or key at fault; the classes raised must share one custom base, and every
exception class the implementation defines must sit under one custom root.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from gradekit.result import Measurement
from gradekit.stages import GradeContext
from stage1_grading.interface import InterfaceError, is_own, refusal, require, where

__all__ = ["BAD_INPUTS", "probe_exceptions"]


@dataclass(frozen=True)
class BadInput:
    """One bad input: its file, its content (None: the file does not exist), what to name."""

    label: str
    file: str
    content: bytes | None
    names: tuple[str, ...]
    data_file: bool = False


GOOD = b"columns:\n  amount:\n    - {rule: not_null}\n"
BAD_INPUTS: tuple[BadInput, ...] = (
    BadInput(
        "malformed YAML",
        "malformed.yaml",
        b"columns:\n  amount: [ {rule: not_null\n",
        ("malformed.yaml",),
    ),
    BadInput(
        "unknown rule",
        "unknown_rule.yaml",
        b"columns:\n  amount: [{rule: not_a_rule}]\n",
        ("not_a_rule",),
    ),
    BadInput(
        "missing column",
        "missing_column.yaml",
        GOOD + b"  no_such_column:\n    - {rule: not_null}\n",
        ("no_such_column",),
    ),
    BadInput("empty file", "empty.yaml", b"", ("empty.yaml",)),
    BadInput(
        "non-UTF-8 file",
        "latin1.yaml",
        "columns:\n  caf\xe9:\n    - {rule: not_null}\n".encode("latin-1"),
        ("latin1.yaml",),
    ),
    BadInput(
        "wrong parameter type",
        "wrong_type.yaml",
        b"columns:\n  amount:\n    - {rule: range, min: abc, max: 10}\n",
        ("min", "abc"),
    ),
    BadInput("missing rules file", "no_such_rules.yaml", None, ("no_such_rules.yaml",)),
    BadInput("missing data file", "no_such_data.csv", None, ("no_such_data.csv",), data_file=True),
)


def probe_exceptions(ctx: GradeContext) -> Measurement:
    """Own exception, naming the input, under one custom base, for each of the bad inputs."""
    impl = ctx.load()
    folder = ctx.work_dir / "custom_exceptions"
    folder.mkdir(parents=True, exist_ok=True)
    good_rules = folder / "good_rules.yaml"
    good_rules.write_bytes(GOOD)
    try:
        validator = require(impl, "DataValidator")
        process = require(impl, "process_large_dataset")
    except InterfaceError as exc:
        return refusal(exc)
    frame = pd.DataFrame({"amount": [1.0, 2.0, 3.0]})
    lines, raised = [], []
    for bad in BAD_INPUTS:
        path = folder / bad.file
        if bad.content is not None:
            path.write_bytes(bad.content)
        error = _provoke(bad, validator, process, path, good_rules, frame)
        verdict = _judge_one(bad, error, impl)
        if verdict.endswith(" ok"):
            raised.append(type(error))
        lines.append(verdict)
    ok_count = len(raised)
    common = _common_base(raised)
    hierarchy = _hierarchy(impl, raised)
    problems = [hierarchy] if hierarchy else []
    passed = ok_count == len(BAD_INPUTS) and not problems
    evidence = (
        f"{ok_count} of {len(BAD_INPUTS)} bad inputs raised your own exception naming the input "
        f"({where(validator)}, {where(process)}): " + "; ".join(lines)
    )
    if common is not None:
        evidence += f"; common custom base: {common.__name__}"
    if problems:
        evidence += "; " + "; ".join(problems)
    return Measurement(value=ok_count, passed=passed, evidence=evidence)


def _provoke(
    bad: BadInput, validator: Any, process: Any, path: Path, good_rules: Path, frame: pd.DataFrame
) -> BaseException | None:
    """Run the input through the entry points; the exception raised, or None."""
    try:
        if bad.data_file:
            process(str(path), str(good_rules))
        else:
            instance = validator(str(path))
            instance.validate_dataset(frame.copy())  # some checks can only happen with data
    except (Exception, SystemExit) as exc:
        return exc
    return None


def _judge_one(bad: BadInput, error: BaseException | None, impl: ModuleType) -> str:
    if error is None:
        where_ = "process_large_dataset" if bad.data_file else "DataValidator(...).validate_dataset"
        return f"{bad.label}: nothing raised by {where_} (an error swallowed?)"
    if isinstance(error, SystemExit):
        return f"{bad.label}: the program exited (sys.exit({error.code!r})) — raise an exception instead"
    cls = type(error)
    own = is_own(cls, impl)
    message = str(error)
    named = any(name in message for name in bad.names)
    notes = []
    if not own:
        notes.append(f"{cls.__module__}.{cls.__name__} is not one of your exception classes")
    if not named:
        wanted = " or ".join(repr(n) for n in bad.names)
        notes.append(f"message {_clip(message)!r} does not name {wanted}")
    if notes:
        return f"{bad.label}: {cls.__name__} — " + ", ".join(notes)
    return f"{bad.label}: {cls.__name__} ok"


def _common_base(classes: list[type]) -> type | None:
    """The most specific custom (non-built-in) class every raised class inherits from."""
    if not classes:
        return None
    common = set(inspect.getmro(classes[0]))
    for cls in classes[1:]:
        common &= set(inspect.getmro(cls))
    custom = [c for c in common if c.__module__ != "builtins"]
    return max(custom, key=lambda c: len(inspect.getmro(c))) if custom else None


def _hierarchy(impl: ModuleType, raised: list[type]) -> str:
    """'' when the implementation has its own exception classes under one custom root.

    The classes judged are the ones raised for the bad inputs and the skeleton's
    ``DataValidationError`` and ``ConfigError``; helper exceptions a library keeps to itself
    (caught and re-raised as one of its own) are not.
    """
    own = [
        value
        for value in _module_values(impl)
        if isinstance(value, type) and issubclass(value, BaseException) and is_own(value, impl)
    ]
    own = list({id(c): c for c in own}.values())
    if len(own) < 2:
        return (
            f"only {len(own)} exception class(es) of your own; a base and its subclasses expected"
        )
    named = [getattr(impl, name, None) for name in ("DataValidationError", "ConfigError")]
    judged = [*raised, *(c for c in named if isinstance(c, type) and c in own)]
    judged = list({id(c): c for c in judged}.values())
    if len(judged) > 1 and _common_base(judged) is None:
        roots = sorted({_own_root(c, impl).__name__ for c in judged})
        return (
            f"your exception classes have {len(roots)} separate roots ({', '.join(roots)}): "
            "derive them from one base"
        )
    return ""


def _own_root(cls: type, impl: ModuleType) -> type:
    """The most general class of the implementation's own in ``cls``'s ancestry."""
    own = [c for c in cls.__mro__ if c.__module__ != "builtins" and is_own(c, impl)]
    return own[-1] if own else cls


def _module_values(impl: ModuleType) -> list[Any]:
    """Values of the module and of the package's own submodules it imported."""
    root = impl.__name__.split(".")[0]
    values = list(vars(impl).values())
    for value in list(values):
        if isinstance(value, ModuleType) and value.__name__.startswith(root + "."):
            values += list(vars(value).values())
    return values


def _clip(text: str, size: int = 90) -> str:
    return text if len(text) <= size else text[: size - 3] + "..."
