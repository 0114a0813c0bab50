"""Compile rule objects into DuckDB SQL conditions (the rules declare; this module compiles).

The DuckDB twin of ``polars_compile.py``. Each compiler turns one rule into a :class:`Plan`
of SQL conditions: ``fails``, true where DuckDB is sure the row fails, and ``unsure``, true
where DuckDB cannot decide exactly as pandas would; those rows go to the rule's own pandas
``check``. A ``unique`` rule compiles to its key columns instead (``keys``): the runner
finds the repeated keys with a GROUP BY. A rule without a compiler, or on a column type the
compiler does not cover, gets no plan and runs in pandas entirely.

Column names never appear in the SQL: the runner hands DuckDB the columns as ``c0``, ``c1``,
... and each compiler asks :class:`Columns` for the name. User text (a regex, an allowed
value, a date) enters the SQL only as a quoted literal (:func:`text`). Regex patterns run in
DuckDB's RE2, the engine pandas uses on Arrow text, so a pattern means the same in both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from stage1_validation.backends.kinds import NUMERIC, Kind
from stage1_validation.rules import (
    AllowedValuesRule,
    CompareRule,
    DatasetRule,
    DateFormatRule,
    DtypeRule,
    NotNullRule,
    RangeRule,
    RegexRule,
    Rule,
    StrLengthRule,
    UniqueRule,
)
from stage1_validation.rules.column import DTYPE_ALIASES

__all__ = ["Columns", "Plan", "compile_rule", "register_compiler", "text"]

R = TypeVar("R", bound=Rule)
Compiler = Callable[[Any, "Columns"], "Plan | None"]
_COMPILERS: dict[type[Rule], Compiler] = {}
FALSE = "false"
# Years 1000-2999 only: pandas and DuckDB read them alike (DuckDB also takes year 999). The
# shape as a GLOB: the same strings as the regex [12][0-9]{3}-[0-9]{2}-[0-9]{2}, cheaper.
_ISO_DATE = "[12][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
# DuckDB's timestamp type for each Arrow time unit, and the years that unit can hold
_TIMESTAMP = {"s": "TIMESTAMP_S", "ms": "TIMESTAMP_MS", "us": "TIMESTAMP", "ns": "TIMESTAMP_NS"}
_NS_YEARS = range(1678, 2262)


@dataclass(frozen=True)
class Plan:
    """SQL conditions: rows that certainly fail, rows to hand to the rule's pandas ``check``.

    ``keys`` (``unique`` only): the SQL names of the key columns; rows whose key is complete
    (``key_present``) and occurs more than once fail (``keys_exact``) or are unsure (keys
    DuckDB may group differently from pandas, such as floats).
    """

    fails: str = FALSE
    unsure: str | None = None
    keys: tuple[str, ...] = ()
    key_present: str = "true"
    keys_exact: bool = True


@dataclass(frozen=True)
class Columns:
    """Each rule column's SQL name, kind and (datetime columns) Arrow time unit."""

    names: dict[str, str]
    kinds: dict[str, Kind | None]
    units: dict[str, str] = field(default_factory=dict)
    shared: dict[str, str] = field(default_factory=dict)

    def sql(self, column: str) -> str:
        return self.names[column]

    def once(self, expression: str) -> str:
        """A name for ``expression``, computed once per row however many rules use it.

        The runner evaluates every shared expression in one projection before the rules'
        conditions (a date parsed for ``compare`` serves ``date_format`` as well).
        """
        if expression not in self.shared:
            self.shared[expression] = f"x{len(self.shared)}"
        return self.shared[expression]

    def missing(self, column: str) -> str:
        """pandas' ``isna``: null, and NaN in float columns."""
        name = self.names[column]
        if self.kinds[column] == "float":
            return f"({name} IS NULL OR isnan({name}))"
        return f"({name} IS NULL)"

    def present(self, *columns: str) -> str:
        """pandas' ``notna`` of every column (plain ``IS NOT NULL`` where DuckDB can push it
        into the scan)."""
        return " AND ".join(
            f"NOT {self.missing(c)}" if self.kinds[c] == "float" else f"{self.names[c]} IS NOT NULL"
            for c in columns
        )


def register_compiler(rule_class: type[R]) -> Callable[[Compiler], Compiler]:
    """Register ``fn(rule, columns) -> Plan | None`` as the DuckDB compiler of ``rule_class``."""

    def decorate(fn: Compiler) -> Compiler:
        _COMPILERS[rule_class] = fn
        return fn

    return decorate


def compile_rule(rule: Rule, columns: Columns) -> Plan | None:
    """The rule's plan, or None when it must run in pandas (see the module docstring)."""
    cls = type(rule)
    for base in cls.__mro__:
        compiler = _COMPILERS.get(base)
        if compiler is None:
            continue
        if base is not cls and _overrides_checking(cls, base):
            return None
        if any(columns.kinds.get(c) is None for c in rule.columns_used()):
            return None
        return compiler(rule, columns)
    return None


def _overrides_checking(cls: type, base: type) -> bool:
    return any(
        getattr(cls, name, None) is not getattr(base, name, None)
        for name in ("check", "check_column")
    )


def text(value: str) -> str:
    """A SQL string literal (DuckDB reads backslashes literally; quotes are doubled)."""
    if "\x00" in value:
        raise ValueError("a NUL character cannot be a SQL literal")
    return "'" + value.replace("'", "''") + "'"


def number(value: float) -> str:
    """A DOUBLE literal that round-trips exactly (``repr``), inf included."""
    return f"CAST({text(repr(float(value)))} AS DOUBLE)"


def _outside(values: str, low: str | None, high: str | None, incl: tuple[bool, bool]) -> str:
    parts = []
    if low is not None:
        parts.append(f"{values} < {low}" if incl[0] else f"{values} <= {low}")
    if high is not None:
        parts.append(f"{values} > {high}" if incl[1] else f"{values} >= {high}")
    return "(" + " OR ".join(parts) + ")"


def _parsed(columns: Columns, values: str, fmt: str, shaped: str) -> tuple[str, str]:
    """(parsed timestamp, certain): text of the exact shape (``shaped``) parsed with ``fmt``.

    DuckDB's ``strptime`` alone is too lenient (it reads " 2024-1-05" and "2024-01-5 "), so
    a row is certain only when its text also has the exact shape; the parse then vouches for
    month and day.
    """
    parsed = columns.once(f"try_strptime({values}, {text(fmt)})")
    shape = columns.once(shaped)
    return parsed, f"coalesce({shape} AND {parsed} IS NOT NULL, false)"


def _iso_date(columns: Columns, values: str) -> tuple[str, str]:
    """(parsed timestamp, certain): plain ``YYYY-MM-DD`` that any pandas parser reads the same."""
    return _parsed(columns, values, "%Y-%m-%d", f"({values} GLOB {text(_ISO_DATE)})")


def _timestamp(value: Any, unit: str) -> str | None:
    """A timestamp literal in a column's own unit, or None when it does not fit there."""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    if (
        stamp.tzinfo is not None
        or stamp.nanosecond
        or (unit == "ns" and stamp.year not in _NS_YEARS)
    ):
        return None
    return f"CAST({text(stamp.isoformat())} AS {_TIMESTAMP[unit]})"


@register_compiler(DatasetRule)  # type: ignore[type-abstract]
def _dataset(rule: DatasetRule, columns: Columns) -> Plan:
    return Plan()


@register_compiler(NotNullRule)
def _not_null(rule: NotNullRule, columns: Columns) -> Plan:
    return Plan(fails=columns.missing(rule.column))


@register_compiler(DtypeRule)
def _dtype(rule: DtypeRule, columns: Columns) -> Plan | None:
    name, kind = columns.sql(rule.column), columns.kinds[rule.column]
    present = columns.present(rule.column)
    want = DTYPE_ALIASES[rule.dtype]
    if want == "int":
        if kind in ("int", "uint", "bool"):
            return Plan()
        if kind == "float":
            return Plan(
                fails=f"{present} AND isfinite({name}) AND {name} <> floor({name})",
                unsure=f"{present} AND NOT isfinite({name})",
            )
        if kind == "str":
            return Plan(unsure=f"{present} AND NOT regexp_full_match({name}, '[-+]?[0-9]+')")
        return None
    if want == "float":
        if kind in NUMERIC:
            return Plan()
        if kind == "str":
            plain = "[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?"
            return Plan(unsure=f"{present} AND NOT regexp_full_match({name}, {text(plain)})")
        return None
    if want == "str":
        return Plan() if kind == "str" else Plan(fails=present)
    if want == "bool":
        if kind == "bool":
            return Plan()
        if kind in ("int", "uint", "float"):
            return Plan(fails=f"{present} AND {name} <> 0 AND {name} <> 1")
        if kind == "str":
            words = ", ".join(text(w) for w in ["true", "false", "True", "False", "TRUE", "FALSE"])
            return Plan(fails=f"{present} AND {name} NOT IN ({words})")
        return None
    if kind == "datetime":
        return Plan()
    if kind == "str":
        _, certain = _iso_date(columns, name)
        return Plan(unsure=f"{present} AND NOT {certain}")
    return None


@register_compiler(RangeRule)
def _range(rule: RangeRule, columns: Columns) -> Plan | None:
    name, kind = columns.sql(rule.column), columns.kinds[rule.column]
    present = columns.present(rule.column)
    incl = (rule.min_inclusive, rule.max_inclusive)
    if isinstance(rule.min, date) or isinstance(rule.max, date):
        unit = columns.units.get(rule.column, "us") if kind == "datetime" else "us"
        low = None if rule.min is None else _timestamp(rule.min, unit)
        high = None if rule.max is None else _timestamp(rule.max, unit)
        if (rule.min is not None and low is None) or (rule.max is not None and high is None):
            return None
        if kind == "datetime":
            return Plan(fails=f"{present} AND {_outside(name, low, high, incl)}")
        if kind == "str":
            parsed, certain = _iso_date(columns, name)
            return Plan(
                fails=f"{certain} AND {_outside(parsed, low, high, incl)}",
                unsure=f"{present} AND NOT {certain}",
            )
        return None
    if kind not in NUMERIC:
        return None  # text parsed as numbers: pandas decides (decimal parsing must match)
    # numpy compares an integer column with a float bound in float64; so does this
    values = f"CAST({name} AS DOUBLE)"
    low = None if rule.min is None else number(rule.min)
    high = None if rule.max is None else number(rule.max)
    return Plan(fails=f"{present} AND {_outside(values, low, high, incl)}")


@register_compiler(AllowedValuesRule)
def _allowed(rule: AllowedValuesRule, columns: Columns) -> Plan | None:
    name, kind = columns.sql(rule.column), columns.kinds[rule.column]
    present = columns.present(rule.column)
    if kind == "str" and all(isinstance(v, str) and "\x00" not in v for v in rule.values):
        listed = ", ".join(text(str(v)) for v in rule.values)
        return Plan(fails=f"{present} AND {name} NOT IN ({listed})")
    if kind == "int" and all(type(v) is int and -(2**63) <= v < 2**63 for v in rule.values):
        listed = ", ".join(f"CAST({v} AS BIGINT)" for v in rule.values)
        return Plan(fails=f"{present} AND {name} NOT IN ({listed})")
    return None  # mixed types compare as pandas' isin does: left to pandas


def re2_compiles(pattern: str) -> bool:
    """True when RE2 (Arrow's engine, and so DuckDB's) compiles ``pattern``."""
    try:  # one value: on an empty array Arrow never compiles the pattern
        pc.match_substring_regex(pa.array([""], pa.string()), pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


@register_compiler(RegexRule)
def _regex(rule: RegexRule, columns: Columns) -> Plan | None:
    if columns.kinds[rule.column] != "str" or "\x00" in rule.pattern:
        return None
    anchored = f"^(?:{rule.pattern})$" if rule.full else rule.pattern
    if not re2_compiles(anchored):
        return None  # pandas uses Python's re for it
    name = columns.sql(rule.column)
    matched = f"coalesce(regexp_matches({name}, {text(anchored)}), false)"
    return Plan(fails=f"{columns.present(rule.column)} AND NOT {matched}")


@register_compiler(StrLengthRule)
def _str_length(rule: StrLengthRule, columns: Columns) -> Plan | None:
    if columns.kinds[rule.column] != "str":
        return None
    lengths = f"length({columns.sql(rule.column)})"  # code points, as pandas' str.len()
    low = None if rule.min is None else str(rule.min)
    high = None if rule.max is None else str(rule.max)
    outside = _outside(lengths, low, high, (True, True))
    return Plan(fails=f"{columns.present(rule.column)} AND {outside}")


_FIXED_DIRECTIVES = {
    "%Y": "[12][0-9]{3}",
    "%m": "(0[1-9]|1[0-2])",
    "%d": "(0[1-9]|[12][0-9]|3[01])",
    "%H": "([01][0-9]|2[0-3])",
    "%M": "[0-5][0-9]",
    "%S": "[0-5][0-9]",
}


def _format_shape(fmt: str) -> str | None:
    """A regex of the exact text ``fmt`` writes with zero-padded fields, or None if unsure."""
    import re

    shape = []
    for part in re.split(r"(%.)", fmt):
        if part.startswith("%") and len(part) == 2:
            if part not in _FIXED_DIRECTIVES:
                return None
            shape.append(_FIXED_DIRECTIVES[part])
        elif part:
            if not re.fullmatch(r"[-/:. T_]*", part):
                return None
            shape.append(re.escape(part))
    return "".join(shape) if "%Y" in fmt else None


@register_compiler(DateFormatRule)
def _date_format(rule: DateFormatRule, columns: Columns) -> Plan | None:
    kind = columns.kinds[rule.column]
    if kind == "datetime":
        return Plan()
    if kind != "str":
        return None
    name, present = columns.sql(rule.column), columns.present(rule.column)
    if rule.format in ("ISO8601", "%Y-%m-%d"):  # the same condition as compare's: shared work
        _, certain = _iso_date(columns, name)
        return Plan(unsure=f"{present} AND NOT {certain}")
    shape = _format_shape(rule.format)
    if shape is None:
        return None
    _, certain = _parsed(columns, name, rule.format, f"regexp_full_match({name}, {text(shape)})")
    return Plan(unsure=f"{present} AND NOT {certain}")


@register_compiler(UniqueRule)
def _unique(rule: UniqueRule, columns: Columns) -> Plan:
    # Integers, text and booleans group in DuckDB exactly as pandas' duplicated() finds them;
    # floats (NaN, -0.0) and datetimes are candidates only, decided by pandas among those rows.
    used = rule.columns_used()
    exact = all(columns.kinds[c] in ("int", "uint", "str", "bool") for c in used)
    return Plan(
        keys=tuple(columns.sql(c) for c in used),
        key_present=columns.present(*used),
        keys_exact=exact,
    )


_OPS = {"<": "<", "<=": "<=", "==": "=", "!=": "<>", ">=": ">=", ">": ">"}


@register_compiler(CompareRule)
def _compare(rule: CompareRule, columns: Columns) -> Plan | None:
    kinds = columns.kinds
    left_kind = kinds[rule.left]
    right_kind = kinds[rule.right] if rule.right is not None else None
    as_type = rule.as_type
    if as_type == "auto":
        sides = [left_kind, right_kind]
        if "datetime" in sides:
            as_type = "datetime"
        elif any(k in NUMERIC for k in sides) or isinstance(rule.value, int | float):
            as_type = "number"
        else:
            as_type = "text"
    names = [rule.left] + ([rule.right] if rule.right is not None else [])
    sides_out: list[str] = []
    certain: list[str] = []
    if as_type == "datetime":
        units = {columns.units.get(n, "us") for n in names if kinds[n] == "datetime"}
        if any(kinds[n] == "str" for n in names):
            units.add("us")  # strptime gives microseconds
        if len(units) > 1 or any(kinds[n] not in ("datetime", "str") for n in names):
            return None  # mixed units: pandas decides
        unit = units.pop()
        for n in names:
            if kinds[n] == "datetime":
                sides_out.append(columns.sql(n))
            else:
                parsed, ok = _iso_date(columns, columns.sql(n))
                sides_out.append(parsed)
                certain.append(ok)
        if rule.value is not None:
            literal = _timestamp(rule.value, unit)
            if literal is None:
                return None  # pandas raises, or the value does not fit: let pandas say
            sides_out.append(literal)
    elif as_type == "number":
        if any(kinds[n] not in NUMERIC or kinds[n] == "uint" for n in names):
            return None
        exact_ints = rule.value is None and all(kinds[n] == "int" for n in names)
        for n in names:
            sides_out.append(columns.sql(n) if exact_ints else f"CAST({columns.sql(n)} AS DOUBLE)")
        if rule.value is not None:
            sides_out.append(number(float(rule.value)))
    else:
        if any(kinds[n] != "str" for n in names):
            return None
        if rule.value is not None and (not isinstance(rule.value, str) or "\x00" in rule.value):
            return None
        sides_out = [columns.sql(n) for n in names]
        if rule.value is not None:
            sides_out.append(text(rule.value))
    present = columns.present(*names)
    holds = f"coalesce({sides_out[0]} {_OPS[rule.op]} {sides_out[1]}, false)"
    sure = " AND ".join(certain) if certain else "true"
    return Plan(
        fails=f"{present} AND {sure} AND NOT {holds}",
        unsure=f"{present} AND NOT ({sure})" if certain else None,
    )
