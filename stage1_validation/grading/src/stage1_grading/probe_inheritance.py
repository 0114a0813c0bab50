"""Inheritance and polymorphism: a rule hierarchy under one base, dispatched through its methods.

Runs in a child process (``ctx.isolated``). The grader asks the implementation for the rule it
builds from ``{rule: not_null}`` (``DataValidator(...).validation_rules``), walks that rule's
class up to the learner's base class (which must have at least three concrete rule subclasses),
then writes a rule of its own the way a user of the library would: a subclass of the learner's
``not_null`` class (:mod:`stage1_grading.custom_rule`), registered with ``register_rule`` and
named in a rules file. The report must run it: 3 failing rows (0, 2, 4) on marked data and
none on unmarked data.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import yaml

from gradekit.result import Measurement
from gradekit.stages import GradeContext
from stage1_grading.custom_rule import NAME, VALUES, make_rule_class, name_attributes
from stage1_grading.interface import InterfaceError, is_own, raised_text, refusal, require, where
from stage1_grading.report_reading import ReadReport, RuleEntry, read_report

__all__ = ["probe_inheritance"]

MIN_SUBCLASSES = 3
EXPECTED_ROWS = {0, 2, 4}
_NOT_BASES = {"ABC", "BaseModel", "Generic", "object", "Protocol"}


def probe_inheritance(ctx: GradeContext) -> Measurement:
    """Find the rule base, count its subclasses, and run a subclass written now."""
    impl = ctx.load()
    folder = ctx.work_dir / "inheritance"
    folder.mkdir(parents=True, exist_ok=True)
    step = "DataValidator(rules with {rule: not_null}).validation_rules"
    structure = ""
    try:
        validator_class = require(impl, "DataValidator")
        not_null = _not_null_class(impl, validator_class, folder)
        base, concrete = _hierarchy(not_null, impl)
        structure = _structure_problem(base, concrete)
        custom = make_rule_class(not_null, lambda c: is_own(c, impl))
        step = f"registering the grader's subclass {custom.__name__}({not_null.__name__})"
        how = _register(impl, custom, not_null)
        step = (
            f"validating marked data with the grader's subclass {custom.__name__}"
            f"({not_null.__name__}), registered via {how} and named '{NAME}' in a rules file"
        )
        marked = _run(validator_class, folder, "marked", VALUES)
        step = step.replace("marked data", "unmarked data")
        plain = _run(validator_class, folder, "unmarked", [v + 1 for v in VALUES if v % 2])
    except InterfaceError as exc:
        return refusal(exc)
    except Exception as exc:
        first = f"{structure}; " if structure else ""
        return Measurement.failed(f"{first}{step}: {raised_text(exc, ctx)}")
    problems = [structure] if structure else []
    problems += _check_run("marked data", marked, EXPECTED_ROWS, passed=False)
    problems += _check_run("unmarked data", plain, set(), passed=True)
    names = ", ".join(sorted(c.__name__ for c in concrete)[:10])
    evidence = (
        f"not_null is {where(not_null)}; base class {base.__name__} with {len(concrete)} concrete "
        f"rule classes ({names}); the grader's subclass {custom.__name__}({not_null.__name__}) "
        f"registered via {how}, named '{NAME}' in a rules file"
    )
    if problems:
        evidence += "; " + "; ".join(problems)
    else:
        evidence += "; the report ran it: rows 0, 2, 4 failing on marked data, none on unmarked"
    return Measurement(value=not problems, passed=not problems, evidence=evidence)


def _not_null_class(impl: ModuleType, validator_class: Any, folder: Path) -> type:
    """The class of the rule the implementation builds for ``{rule: not_null}``.

    Taken from ``validation_rules``; when that gives no rule objects (it returns the parsed
    file, say), the implementation's class whose name attribute is ``not_null``.
    """
    path = folder / "not_null.yaml"
    path.write_text(yaml.safe_dump({"columns": {"x": [{"rule": "not_null"}]}}), encoding="utf-8")
    validator = validator_class(str(path))
    rules = getattr(validator, "validation_rules", None)
    rules = rules() if callable(rules) else rules
    candidates = [obj for obj in _walk(rules, impl) if not isinstance(obj, BaseException)]
    named = [c for c in candidates if name_attributes(type(c))]
    if named or candidates:
        return type((named or candidates)[0])
    classes = [
        value
        for value in vars(impl).values()
        if isinstance(value, type) and is_own(value, impl) and name_attributes(value)
    ]
    if len(classes) == 1:
        return classes[0]
    raise InterfaceError(
        f"DataValidator(rules).validation_rules gave {_short(rules)}, with no rule object of "
        "your own classes in it, and no single class of yours has the name 'not_null' as a "
        "class attribute: return the rule objects built from the file"
    )


def _walk(value: Any, impl: ModuleType, depth: int = 0) -> list[Any]:
    """Instances of the implementation's own classes inside containers and their attributes."""
    if depth > 3:
        return []
    if isinstance(value, Mapping):
        return [o for v in value.values() for o in _walk(v, impl, depth + 1)]
    if isinstance(value, list | tuple | set | frozenset):
        return [o for v in value for o in _walk(v, impl, depth + 1)]
    if is_own(type(value), impl) and not isinstance(value, type):
        inner = (
            [o for v in vars(value).values() for o in _walk(v, impl, depth + 1)]
            if hasattr(value, "__dict__")
            else []
        )
        rules = [o for o in inner if name_attributes(type(o))]
        return rules or [value]
    return []


def _hierarchy(rule_class: type, impl: ModuleType) -> tuple[type, list[type]]:
    """The learner's most general base of ``rule_class`` and its concrete own subclasses."""
    own = [c for c in rule_class.__mro__ if is_own(c, impl) and c.__name__ not in _NOT_BASES]
    base = own[-1] if own else rule_class
    concrete = {
        id(c): c for c in _subclasses(base) if is_own(c, impl) and not inspect.isabstract(c)
    }
    return base, list(concrete.values())


def _structure_problem(base: type, concrete: list[type]) -> str:
    if len(concrete) >= MIN_SUBCLASSES:
        return ""
    names = ", ".join(sorted(c.__name__ for c in concrete)) or "none"
    return (
        f"your not_null rule's base class {base.__name__} has {len(concrete)} concrete rule "
        f"subclass(es) ({names}); at least {MIN_SUBCLASSES} expected, one per rule type"
    )


def _subclasses(cls: type) -> list[type]:
    found: list[type] = []
    try:
        direct: list[type] = cls.__subclasses__()
    except TypeError:
        return found
    for sub in direct:
        found += [sub, *_subclasses(sub)]
    return found


def _register(impl: ModuleType, custom: type, parent: type) -> str:
    """Register the grader's class the way the implementation offers; say how."""
    register = getattr(impl, "register_rule", None)
    if callable(register):
        shape = _register_shape(register)
        if shape == "name, class":
            register(NAME, custom)
        elif shape == "class, name":
            register(custom, NAME)
        elif shape == "name -> decorator":
            register(NAME)(custom)
        else:
            register(custom)
        return f"register_rule ({shape})"
    for attr, table in vars(impl).items():
        if isinstance(table, dict) and any(v is parent for v in table.values()):
            table[NAME] = custom
            return f"the {attr} dict (no register_rule found)"
    return "defining the subclass only (no register_rule found)"


def _register_shape(register: Any) -> str:
    try:
        params = [
            p
            for p in inspect.signature(register).parameters.values()
            if p.default is inspect.Parameter.empty
            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        return "class"
    if len(params) >= 2:
        first = params[0].name.lower()
        return "name, class" if "name" in first or first in ("key", "rule") else "class, name"
    if params and (
        params[0].name.lower() in ("name", "rule_name", "key") or params[0].annotation is str
    ):
        return "name -> decorator"
    return "class"


def _run(validator_class: Any, folder: Path, label: str, values: list[int]) -> ReadReport:
    """Validate ``values`` in column x with only the grader's rule in the rules file."""
    path = folder / f"custom_{label}.yaml"
    path.write_text(
        yaml.safe_dump({"sample_size": 100, "columns": {"x": [{"rule": NAME}]}}), encoding="utf-8"
    )
    validator = validator_class(str(path))
    report = validator.validate_dataset(pd.DataFrame({"x": values}))
    return read_report(report, f"{where(validator.validate_dataset)}(df)")


def _entry(read: ReadReport) -> RuleEntry | None:
    """The grader's rule in a report (the only entry, when the rule is reported by its parent's name)."""
    entries = [e for rid, e in read.rules.items() if rid.split(":")[0] == NAME]
    if not entries and len(read.rules) == 1:
        entries = list(read.rules.values())
    return entries[0] if entries else None


def _check_run(label: str, read: ReadReport, rows: set[int], *, passed: bool) -> list[str]:
    entry = _entry(read)
    if entry is None:
        return [
            f"{label}: no entry for the rule '{NAME}' in the report (rules: {sorted(read.rules)})"
        ]
    problems = []
    if entry.failing_count != len(rows):
        problems.append(f"failing_count {entry.failing_count} (expected {len(rows)})")
    if entry.rows != rows:
        problems.append(f"failing rows {sorted(entry.rows)[:8]} (expected {sorted(rows)})")
    if entry.passed is not None and entry.passed is not passed:
        problems.append(f"the rule's passed={entry.passed!r} (expected {passed})")
    if read.passed is not passed:
        problems.append(f"report['passed']={read.passed!r} (expected {passed})")
    if not problems:
        return []
    return [
        f"{label}: the grader's rule gave "
        + ", ".join(problems)
        + " — did the validator run its override?"
    ]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
