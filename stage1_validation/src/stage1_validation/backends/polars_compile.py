"""Compile rule objects into Polars expressions (the rules declare; this module compiles).

Each compiler turns one rule into a :class:`Plan`: ``fails``, the rows Polars is sure fail,
and ``unsure``, the rows Polars cannot decide exactly as pandas would (text that is not a plain
number or date, for instance). Unsure rows are handed to the rule's own pandas ``check``, so
the answer is the reference's by construction and Polars only does the common case fast. A
rule without a compiler, or on a column whose type the compiler does not cover (object columns
of mixed types, categoricals, time zones), gets no plan and runs in pandas entirely.

Compilers are looked up by the rule's class. A subclass that overrides ``check`` or
``check_column`` is never compiled with its parent's compiler: it runs its own pandas code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from stage1_validation.backends.kinds import NUMERIC, Kind, column_kind
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

__all__ = ["Kind", "Plan", "column_kind", "compile_rule", "register_compiler"]

R = TypeVar("R", bound=Rule)
Compiler = Callable[[Any, dict[str, Kind | None]], "Plan | None"]
_COMPILERS: dict[type[Rule], Compiler] = {}
# Years 1000-2999 only: pandas and Polars read them alike (Polars also takes year 0, pandas not)
_YEAR = "[12][0-9]{3}"
_ISO_DATE = f"^{_YEAR}-[0-9]{{2}}-[0-9]{{2}}$"  # the shape; the parse checks the values


@dataclass(frozen=True)
class Plan:
    """Rows that certainly fail, and rows to hand to the rule's pandas ``check``."""

    fails: pl.Expr
    unsure: pl.Expr | None = None


def register_compiler(rule_class: type[R]) -> Callable[[Compiler], Compiler]:
    """Register ``fn(rule, kinds) -> Plan | None`` as the Polars compiler of ``rule_class``."""

    def decorate(fn: Compiler) -> Compiler:
        _COMPILERS[rule_class] = fn
        return fn

    return decorate


def compile_rule(rule: Rule, kinds: dict[str, Kind | None]) -> Plan | None:
    """The rule's plan, or None when it must run in pandas (see the module docstring)."""
    cls = type(rule)
    for base in cls.__mro__:
        compiler = _COMPILERS.get(base)
        if compiler is None:
            continue
        if base is not cls and _overrides_checking(cls, base):
            return None
        if any(kinds.get(c) is None for c in rule.columns_used()):
            return None
        return compiler(rule, kinds)
    return None


def _overrides_checking(cls: type, base: type) -> bool:
    return any(
        getattr(cls, name, None) is not getattr(base, name, None)
        for name in ("check", "check_column")
    )


def missing(name: str, kind: Kind | None) -> pl.Expr:
    """pandas' ``isna``: null, and NaN in float columns."""
    col = pl.col(name)
    return col.is_null() | col.is_nan() if kind == "float" else col.is_null()


def _present(name: str, kinds: dict[str, Kind | None]) -> pl.Expr:
    return ~missing(name, kinds[name])


_NUMERIC = NUMERIC


def _iso_date(text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(parsed datetime, certain): plain ``YYYY-MM-DD`` that any pandas parser reads the same.

    Polars alone is too lenient here (it reads " 2024-1-01"), so a row is certain only when
    its text also has the exact shape; the parse then vouches for the month and day.
    """
    parsed = text.str.to_date("%Y-%m-%d", strict=False)
    certain = text.str.contains(_ISO_DATE) & parsed.is_not_null()
    return parsed.cast(pl.Datetime("us")), certain.fill_null(False)


@register_compiler(DatasetRule)  # type: ignore[type-abstract]
def _dataset(rule: DatasetRule, kinds: dict[str, Kind | None]) -> Plan:
    return Plan(fails=pl.lit(False))


@register_compiler(NotNullRule)
def _not_null(rule: NotNullRule, kinds: dict[str, Kind | None]) -> Plan:
    return Plan(fails=missing(rule.column, kinds[rule.column]))


@register_compiler(DtypeRule)
def _dtype(rule: DtypeRule, kinds: dict[str, Kind | None]) -> Plan | None:
    name, kind = rule.column, kinds[rule.column]
    col, present = pl.col(name), _present(name, kinds)
    want = DTYPE_ALIASES[rule.dtype]
    if want == "int":
        if kind in ("int", "uint", "bool"):
            return Plan(fails=pl.lit(False))
        if kind == "float":
            return Plan(
                fails=present & col.is_finite() & (col % 1 != 0), unsure=present & ~col.is_finite()
            )
        if kind == "str":
            return Plan(fails=pl.lit(False), unsure=present & ~col.str.contains(r"^[-+]?[0-9]+$"))
        return None
    if want == "float":
        if kind in _NUMERIC:
            return Plan(fails=pl.lit(False))
        if kind == "str":
            plain = r"^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$"
            return Plan(fails=pl.lit(False), unsure=present & ~col.str.contains(plain))
        return None
    if want == "str":
        return Plan(fails=pl.lit(False) if kind == "str" else present)
    if want == "bool":
        if kind == "bool":
            return Plan(fails=pl.lit(False))
        if kind in ("int", "uint", "float"):
            return Plan(fails=present & (col != 0) & (col != 1))
        if kind == "str":
            words = ["true", "false", "True", "False", "TRUE", "FALSE"]
            return Plan(fails=present & ~col.is_in(words))
        return None
    if kind == "datetime":
        return Plan(fails=pl.lit(False))
    if kind == "str":
        _, certain = _iso_date(col)
        return Plan(fails=pl.lit(False), unsure=present & ~certain)
    return None


def _outside(
    values: pl.Expr, low: Any, high: Any, low_inclusive: bool, high_inclusive: bool
) -> pl.Expr:
    failing = pl.lit(False)
    if low is not None:
        failing = failing | ((values < low) if low_inclusive else (values <= low))
    if high is not None:
        failing = failing | ((values > high) if high_inclusive else (values >= high))
    return failing


@register_compiler(RangeRule)
def _range(rule: RangeRule, kinds: dict[str, Kind | None]) -> Plan | None:
    name, kind = rule.column, kinds[rule.column]
    col, present = pl.col(name), _present(name, kinds)
    incl = (rule.min_inclusive, rule.max_inclusive)
    if isinstance(rule.min, date) or isinstance(rule.max, date):
        low = None if rule.min is None else pd.Timestamp(rule.min).to_pydatetime()
        high = None if rule.max is None else pd.Timestamp(rule.max).to_pydatetime()
        if kind == "datetime":
            return Plan(fails=present & _outside(col, low, high, *incl))
        if kind == "str":
            parsed, certain = _iso_date(col)
            return Plan(
                fails=certain & _outside(parsed, low, high, *incl), unsure=present & ~certain
            )
        return None
    if kind not in _NUMERIC:
        return None  # text parsed as numbers: pandas decides (decimal parsing must match)
    # numpy compares an integer column with a float bound in float64; so does this
    values = col.cast(pl.Float64)
    return Plan(fails=present & _outside(values, rule.min, rule.max, *incl))


@register_compiler(AllowedValuesRule)
def _allowed(rule: AllowedValuesRule, kinds: dict[str, Kind | None]) -> Plan | None:
    name, kind = rule.column, kinds[rule.column]
    present = _present(name, kinds)
    if kind == "str" and all(isinstance(v, str) for v in rule.values):
        return Plan(fails=present & ~pl.col(name).is_in(list(rule.values)))
    ints = all(type(v) is int and -(2**63) <= v < 2**63 for v in rule.values)
    if kind == "int" and ints:
        return Plan(fails=present & ~pl.col(name).is_in(list(rule.values)))
    return None  # mixed types compare as pandas' isin does: left to pandas


@register_compiler(RegexRule)
def _regex(rule: RegexRule, kinds: dict[str, Kind | None]) -> Plan | None:
    if kinds[rule.column] != "str":
        return None
    anchored = f"^(?:{rule.pattern})$" if rule.full else rule.pattern
    translated = re2_to_rust(anchored)
    if translated is None:
        return None
    col = pl.col(rule.column)
    return Plan(fails=_present(rule.column, kinds) & ~col.str.contains(translated).fill_null(False))


_RE2_CLASSES = {
    "d": "0-9",
    "s": r"\t\n\f\r ",
    "w": "0-9A-Za-z_",
}


def re2_to_rust(pattern: str) -> str | None:
    """``pattern`` with RE2's meaning in Polars' (Rust) regex engine, or None if unsure.

    The pandas backend runs patterns on Arrow text with RE2, whose ``\\d \\s \\w \\b`` are
    ASCII; Rust's are Unicode. They are rewritten as explicit ASCII classes. Patterns RE2
    cannot compile (pandas then uses Python's ``re``), case-insensitive ones with such classes,
    and anything Rust refuses return None: the rule then runs in pandas.
    """
    try:
        pc.match_substring_regex(pa.array([], pa.string()), pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            low = nxt.lower()
            if low in _RE2_CLASSES:
                members = _RE2_CLASSES[low]
                if nxt.islower():
                    out.append(members if in_class else f"[{members}]")
                elif in_class:
                    return None  # a negated class inside a class: no simple rewrite
                else:
                    out.append(f"[^{members}]")
            elif nxt in "bB":
                out.append(f"(?-u:\\{nxt})")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
            out.append(ch)
            if pattern[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
            if pattern[i + 1 : i + 2] == "]":  # a literal ] first in the class
                out.append("]")
                i += 1
        elif ch == "]" and in_class:
            in_class = False
            out.append(ch)
        else:
            out.append(ch)
        i += 1
    translated = "".join(out)
    if "(?" in pattern and re.search(r"\(\?[a-zA-Z]*i", pattern) and translated != pattern:
        return None  # case folding of rewritten classes may differ between the engines
    try:
        pl.Series([""], dtype=pl.String).str.contains(translated)
    except Exception:  # polars raises ComputeError for patterns Rust's regex refuses
        return None
    return translated


@register_compiler(StrLengthRule)
def _str_length(rule: StrLengthRule, kinds: dict[str, Kind | None]) -> Plan | None:
    if kinds[rule.column] != "str":
        return None
    lengths = pl.col(rule.column).str.len_chars()
    return Plan(
        fails=_present(rule.column, kinds) & _outside(lengths, rule.min, rule.max, True, True)
    )


_FIXED_DIRECTIVES = {
    "%Y": _YEAR,
    "%m": "(0[1-9]|1[0-2])",
    "%d": "(0[1-9]|[12][0-9]|3[01])",
    "%H": "([01][0-9]|2[0-3])",
    "%M": "[0-5][0-9]",
    "%S": "[0-5][0-9]",
}


def _format_shape(fmt: str) -> str | None:
    """A regex of the exact text ``fmt`` writes with zero-padded fields, or None if unsure."""
    parts = re.split(r"(%.)", fmt)
    shape = []
    for part in parts:
        if part.startswith("%") and len(part) == 2:
            if part not in _FIXED_DIRECTIVES:
                return None
            shape.append(_FIXED_DIRECTIVES[part])
        elif part:
            if not re.fullmatch(r"[-/:. T_]*", part):
                return None
            shape.append(re.escape(part))
    if "%Y" not in fmt:
        return None
    return "^" + "".join(shape) + "$"


@register_compiler(DateFormatRule)
def _date_format(rule: DateFormatRule, kinds: dict[str, Kind | None]) -> Plan | None:
    kind = kinds[rule.column]
    if kind == "datetime":
        return Plan(fails=pl.lit(False))
    if kind != "str":
        return None
    col, present = pl.col(rule.column), _present(rule.column, kinds)
    if rule.format == "ISO8601":
        _, certain = _iso_date(col)
        return Plan(fails=pl.lit(False), unsure=present & ~certain)
    shape = _format_shape(rule.format)
    if shape is None:
        return None
    parsed = col.str.to_datetime(rule.format, strict=False, time_unit="us")
    certain = (col.str.contains(shape) & parsed.is_not_null()).fill_null(False)
    return Plan(fails=pl.lit(False), unsure=present & ~certain)


@register_compiler(UniqueRule)
def _unique(rule: UniqueRule, kinds: dict[str, Kind | None]) -> Plan:
    # Equal keys hash alike, so every duplicate is among the rows whose hash repeats; those few
    # go to pandas, which finds the real duplicates among them (hash collisions drop out).
    cols = rule.columns_used()
    complete = pl.all_horizontal([_present(c, kinds) for c in cols])
    key = pl.col(cols[0]) if len(cols) == 1 else pl.struct(cols)
    return Plan(fails=pl.lit(False), unsure=complete & key.hash().is_duplicated())


_OPS: dict[str, Callable[[pl.Expr, Any], pl.Expr]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
}


@register_compiler(CompareRule)
def _compare(rule: CompareRule, kinds: dict[str, Kind | None]) -> Plan | None:
    left_kind = kinds[rule.left]
    right_kind = kinds[rule.right] if rule.right is not None else None
    as_type = rule.as_type
    if as_type == "auto":
        sides = [left_kind, right_kind]
        if "datetime" in sides:
            as_type = "datetime"
        elif any(k in _NUMERIC for k in sides) or isinstance(rule.value, int | float):
            as_type = "number"
        else:
            as_type = "text"
    names = [rule.left] + ([rule.right] if rule.right is not None else [])
    present = pl.all_horizontal([_present(n, kinds) for n in names])
    sides_out: list[Any] = []
    certain = pl.lit(True)
    if as_type == "datetime":
        for name in names:
            if kinds[name] == "datetime":
                sides_out.append(pl.col(name))
            elif kinds[name] == "str":
                parsed, ok = _iso_date(pl.col(name))
                sides_out.append(parsed)
                certain = certain & ok
            else:
                return None
        if rule.value is not None:
            try:
                sides_out.append(pd.Timestamp(rule.value).to_pydatetime())
            except (TypeError, ValueError):
                return None  # pandas raises the same way: let it
    elif as_type == "number":
        kinds_used = [kinds[n] for n in names]
        if any(k not in _NUMERIC or k == "uint" for k in kinds_used):
            return None
        exact_ints = rule.value is None and all(k == "int" for k in kinds_used)
        for name in names:
            sides_out.append(pl.col(name) if exact_ints else pl.col(name).cast(pl.Float64))
        if rule.value is not None:
            sides_out.append(float(rule.value))
    else:
        if any(kinds[n] != "str" for n in names) or not (
            rule.value is None or isinstance(rule.value, str)
        ):
            return None
        sides_out = [pl.col(n) for n in names] + ([rule.value] if rule.value is not None else [])
    holds = _OPS[rule.op](sides_out[0], sides_out[1]).fill_null(False)
    return Plan(fails=present & certain & ~holds, unsure=present & ~certain)
