"""Rules files: read YAML/JSON/TOML into typed rules, and write them back (round-trips).

The file's shape::

    key_columns: [order_id, line_no]     # optional: how failing rows are named in reports
    sample_size: 5                       # optional: failing rows shown per rule
    dataset:
      rules:
        - {rule: row_count, min: 1}
        - {rule: unique, columns: [order_id, line_no]}
    columns:
      amount:
        - {rule: range, min: 0, max: 10000, severity: warning, mostly: 0.99}
"""

from __future__ import annotations

import difflib
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stage1_validation.bounded_yaml import TooManyNodesError, load_bounded
from stage1_validation.errors import (
    ConfigError,
    ConfigFileError,
    RuleParameterError,
    UnknownRuleError,
    shown,
)
from stage1_validation.rules import Rule, available_rules, get_rule_class
from stage1_validation.writers import atomic_writer

__all__ = ["ConfigLimits", "ValidationConfig", "load_config", "parse_config", "save_config"]

_TOP_LEVEL_KEYS = ("key_columns", "sample_size", "dataset", "columns")
_SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml"}


@dataclass(frozen=True)
class ConfigLimits:
    """How big a rules file may be: the work of loading it is bounded by these, not by its text.

    ``max_bytes`` bounds the file itself; ``max_nodes`` bounds the values (mappings, lists and
    scalars) it holds once YAML aliases (``*name``) are expanded, so a few hundred bytes of
    aliases cannot stand for billions of values. The defaults fit rules files with tens of
    thousands of rules or allowed values.
    """

    max_bytes: int = 1 << 20
    max_nodes: int = 200_000


DEFAULT_LIMITS = ConfigLimits()


class ValidationConfig(BaseModel):
    """Parsed rules plus the settings that shape reports."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    rules: list[Rule]
    key_columns: list[str] = Field(default_factory=list)
    sample_size: int = 5
    source: str | None = None

    def to_mapping(self) -> dict[str, Any]:
        """The config as the file shape: column rules under ``columns``, the rest under ``dataset``."""
        columns: dict[str, list[dict[str, Any]]] = {}
        dataset: list[dict[str, Any]] = []
        for rule in self.rules:
            entry = rule.to_config()
            column = entry.pop("column", None)
            if column is not None:
                columns.setdefault(column, []).append(entry)
            else:
                dataset.append(entry)
        data: dict[str, Any] = {}
        if self.key_columns:
            data["key_columns"] = list(self.key_columns)
        if self.sample_size != 5:
            data["sample_size"] = self.sample_size
        data["dataset"] = {"rules": dataset}
        data["columns"] = columns
        return data


def load_config(
    path: str | os.PathLike[str], *, limits: ConfigLimits = DEFAULT_LIMITS
) -> ValidationConfig:
    """Read and check a rules file; every problem raises a ConfigError naming file and key.

    A file larger than ``limits.max_bytes``, or holding more than ``limits.max_nodes`` values
    once YAML aliases are expanded, is refused before any rule is built.
    """
    path = Path(path)
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ConfigFileError(
            f"unsupported suffix {path.suffix!r}",
            path=path,
            fix="name the rules file *.yaml, *.yml, *.json or *.toml",
        )
    text = _read_text(path, limits.max_bytes)
    data = _parse_text(text, kind, path, limits.max_nodes)
    return parse_config(data, source=str(path))


def _read_text(path: Path, max_bytes: int) -> str:
    try:
        with path.open("rb") as handle:  # closed on every path out, also when decoding fails
            raw = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise ConfigFileError("file not found", path=path, fix="check the path") from None
    except IsADirectoryError:
        raise ConfigFileError("is a directory, not a file", path=path) from None
    except OSError as exc:
        raise ConfigFileError(f"cannot read: {exc.strerror}", path=path) from exc
    if len(raw) > max_bytes:
        raise ConfigFileError(
            f"larger than the limit of {max_bytes:,} bytes",
            path=path,
            fix="split the rules, or pass load_config(..., limits=ConfigLimits(max_bytes=...))",
        )
    if not raw.strip():
        raise ConfigFileError("file is empty", path=path, fix="add `columns:` or `dataset:` rules")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigFileError(
            f"not UTF-8 (byte {exc.start} is {raw[exc.start : exc.start + 1]!r})",
            path=path,
            fix="save the file as UTF-8",
        ) from exc


def _parse_text(text: str, kind: str, path: Path, max_nodes: int) -> Any:
    try:
        if kind == "yaml":
            return load_bounded(text, max_nodes)
        if kind == "json":
            return json.loads(text)
        return tomllib.loads(text)
    except TooManyNodesError as exc:
        raise ConfigFileError(
            f"refused: {exc}",
            path=path,
            fix="write the values out instead of nesting aliases, or pass "
            "load_config(..., limits=ConfigLimits(max_nodes=...))",
        ) from None
    except RecursionError:
        raise ConfigFileError(
            "nested too deeply to read", path=path, fix="a rules file needs at most 4 levels"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigFileError(f"malformed YAML{where}: {exc}", path=path) from exc
    except json.JSONDecodeError as exc:
        raise ConfigFileError(
            f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", path=path
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(f"malformed TOML: {exc}", path=path) from exc


def parse_config(data: Any, *, source: str | None = None) -> ValidationConfig:
    """Turn an already-parsed mapping into rules (the same checks as ``load_config``)."""
    path = source or "<dict>"
    if not isinstance(data, Mapping):
        raise ConfigFileError(
            f"top level must be a mapping, got {type(data).__name__}",
            path=path,
            fix="start the file with `columns:` and/or `dataset:`",
        )
    for key in data:
        if key not in _TOP_LEVEL_KEYS:
            raise ConfigError(
                "unknown top-level key",
                path=path,
                key=str(key),
                fix=f"use only {', '.join(_TOP_LEVEL_KEYS)}",
            )
    key_columns = _string_list(data.get("key_columns", []), path, "key_columns")
    sample_size = data.get("sample_size", 5)
    if not isinstance(sample_size, int) or isinstance(sample_size, bool) or sample_size < 0:
        raise ConfigError(
            f"must be a whole number >= 0, got {shown(sample_size)}", path=path, key="sample_size"
        )
    rules: list[Rule] = []
    dataset = data.get("dataset") or {}
    if not isinstance(dataset, Mapping):
        raise ConfigError("must be a mapping with a `rules:` list", path=path, key="dataset")
    for key in dataset:
        if key != "rules":
            raise ConfigError("unknown key under dataset", path=path, key=str(key))
    dataset_rules = dataset.get("rules") or []
    if not isinstance(dataset_rules, list):
        raise ConfigError("must be a list of rules", path=path, key="dataset.rules")
    for i, entry in enumerate(dataset_rules):
        rules.append(_build_rule(entry, path, f"dataset.rules[{i}]", column=None))
    columns = data.get("columns") or {}
    if not isinstance(columns, Mapping):
        raise ConfigError("must map column names to lists of rules", path=path, key="columns")
    for column, entries in columns.items():
        if not isinstance(entries, list):
            raise ConfigError(
                f"must be a list of rules, got {type(entries).__name__}",
                path=path,
                location=f"columns.{column}",
                fix=f"write `{column}: [{{rule: not_null}}]`",
            )
        for i, entry in enumerate(entries):
            rules.append(_build_rule(entry, path, f"columns.{column}[{i}]", column=str(column)))
    return ValidationConfig(
        rules=rules, key_columns=key_columns, sample_size=sample_size, source=source
    )


def _build_rule(entry: Any, path: str, location: str, *, column: str | None) -> Rule:
    if not isinstance(entry, Mapping):
        raise ConfigError(
            f"a rule must be a mapping, got {shown(entry)}",
            path=path,
            location=location,
            fix="write it as `{rule: not_null}`",
        )
    params = dict(entry)
    name = params.pop("rule", None)
    if not isinstance(name, str):
        raise RuleParameterError(
            "every rule needs `rule: <name>`", path=path, location=location, key="rule"
        )
    cls = get_rule_class(name)
    if cls is None:
        close = difflib.get_close_matches(name, available_rules(), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise UnknownRuleError(
            "unknown rule type",
            path=path,
            location=location,
            rule=name,
            key="rule",
            fix=f"{hint}known rules: {', '.join(available_rules())} (or register_rule your own)",
        )
    if column is not None:
        if "column" in params and params["column"] != column:
            raise RuleParameterError(
                f"says column {shown(params['column'])} but sits under {column!r}",
                path=path,
                location=location,
                rule=name,
                key="column",
            )
        if "column" not in cls.model_fields:
            raise RuleParameterError(
                "is a dataset rule and cannot sit under a column",
                path=path,
                location=location,
                rule=name,
                fix="move it to dataset.rules",
            )
        params["column"] = column
    try:
        return cls.model_validate(params)
    except ValidationError as exc:
        first = exc.errors()[0]
        # For a union field pydantic adds the member type (``min.float``): keep the field name.
        key = str(first["loc"][0]) if first["loc"] else None
        got = f" (got {shown(first['input'])})" if "input" in first and key else ""
        raise RuleParameterError(
            f"{first['msg']}{got}",
            path=path,
            location=location,
            rule=name,
            key=key,
            fix=_param_fix(cls, first["type"]),
        ) from exc


def _param_fix(cls: type[Rule], error_type: str) -> str:
    fields = [f for f in cls.model_fields if f not in ("severity", "mostly")]
    if error_type == "extra_forbidden":
        return f"{cls.name} takes {', '.join(fields)}, severity, mostly"
    return f"see the {cls.name} rule in the README's config reference"


def _string_list(value: Any, path: str, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"must be a list of column names, got {shown(value)}", path=path, key=key)
    return list(value)


def save_config(config: ValidationConfig, path: str | os.PathLike[str]) -> Path:
    """Write the rules to ``path`` (format from the suffix), atomically; returns the path."""
    path = Path(path)
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind not in ("yaml", "json"):
        raise ConfigFileError(
            f"cannot write {path.suffix!r}", path=path, fix="save as .yaml, .yml or .json"
        )
    data = config.to_mapping()
    with atomic_writer(path) as handle:
        if kind == "json":
            json.dump(data, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        else:
            yaml.safe_dump(data, handle, sort_keys=False, allow_unicode=True)
    return path
