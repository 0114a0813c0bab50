"""Errors of the validation library, grouped by what the caller can do about each.

DataQualityError                      base: catch this to catch everything below
 ├── ConfigError (ValueError)         the rules file is wrong: fix the file named in the message
 │    ├── ConfigFileError             unreadable, empty, not UTF-8, or not valid YAML/JSON/TOML
 │    ├── UnknownRuleError            ``rule:`` names no registered rule class
 │    ├── RuleParameterError          a rule's parameter is missing, unknown or of the wrong type
 │    └── MissingColumnError          a rule names a column the data does not have
 ├── DataFileError (OSError)          the data file cannot be read: fix the path or the file
 ├── ReportFormatError (ValueError)   a report path has a suffix no writer handles
 ├── OutputPathError (OSError)        a report or quarantine path cannot be written
 └── DataValidationError              the data broke error-severity rules; ``.report`` says where
"""

from __future__ import annotations

import reprlib
from pathlib import Path
from typing import Any

__all__ = [
    "ConfigError",
    "ConfigFileError",
    "DataFileError",
    "DataQualityError",
    "DataValidationError",
    "MissingColumnError",
    "OutputPathError",
    "ReportFormatError",
    "RuleParameterError",
    "UnknownRuleError",
]


_SHORT = reprlib.Repr()  # keyword arguments only from Python 3.12
_SHORT.maxstring = _SHORT.maxother = 60
_SHORT.maxlist = _SHORT.maxdict = _SHORT.maxtuple = _SHORT.maxset = 5
_SHORT.maxlevel = 2


def shown(value: Any) -> str:
    """A short repr of a user's value for messages: never the whole of a huge entry."""
    return _SHORT.repr(value)


class DataQualityError(Exception):
    """Raised for any failure of this library; the base of every error below."""


class ConfigError(DataQualityError, ValueError):
    """Raised when a rules file cannot be turned into rules.

    Carries the ``path`` of the file, the ``location`` inside it (``columns.amount[0]``), the
    ``rule`` name and the offending ``key``, so the message can point at the exact line to fix.
    """

    def __init__(
        self,
        problem: str,
        *,
        path: str | Path | None = None,
        location: str | None = None,
        rule: str | None = None,
        key: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.path = str(path) if path is not None else None
        self.location = location
        self.rule = rule
        self.key = key
        self.fix = fix
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = [self.path or "<rules>"]
        if self.location:
            where.append(self.location)
        parts = [": ".join(where)]
        if self.rule:
            parts.append(f"rule {shown(self.rule)}")
        if self.key:
            parts.append(f"key {shown(self.key)}")
        text = ", ".join(parts) + f": {self.problem}"
        if self.fix:
            text += f" Fix: {self.fix}"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only context would be lost by Exception's default pickling; orchestrators
        # (Airflow, Prefect) pickle errors across processes, so keep all of it.
        fields = {
            "path": self.path,
            "location": self.location,
            "rule": self.rule,
            "key": self.key,
            "fix": self.fix,
        }
        return (_rebuild, (type(self), (self.problem,), fields))


class ConfigFileError(ConfigError):
    """Raised when the rules file is unreadable, empty, not UTF-8 or not parseable."""


class UnknownRuleError(ConfigError):
    """Raised when ``rule:`` names no registered rule class."""


class RuleParameterError(ConfigError):
    """Raised when a rule parameter is missing, unknown or has the wrong type."""


class MissingColumnError(ConfigError):
    """Raised when rules name columns that the validated data does not have."""


class _PathProblem(DataQualityError, OSError):
    """A problem with one file or folder: the message is ``<path>: <problem> Fix: <fix>``."""

    def __init__(self, path: str | Path, problem: str, fix: str | None = None) -> None:
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        message = f"{self.path}: {problem}"
        if fix:
            message += f" Fix: {fix}"
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0])

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), (self.path, self.problem), {"fix": self.fix}))


class DataFileError(_PathProblem):
    """Raised when a data file is missing, empty, undecodable or malformed."""


class OutputPathError(_PathProblem):
    """Raised when a report or quarantine path cannot be written.

    The folder is missing (nothing here creates parent folders), is a file, is read-only, or
    the disk filled up while writing. Nothing half-written is left behind when it is raised.
    """


class ReportFormatError(DataQualityError, ValueError):
    """Raised when a report path ends in a suffix that no writer handles."""


class DataValidationError(DataQualityError):
    """Raised by ``validate_dataset(..., raise_on_error=True)`` when an error-severity rule fails.

    ``report`` holds the whole report (every rule, not only the first failure).
    """

    def __init__(self, message: str, *, report: dict[str, Any] | None = None) -> None:
        self.report: dict[str, Any] = report or {}
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), (str(self),), {"report": self.report}))

    @classmethod
    def from_report(cls, report: dict[str, Any]) -> DataValidationError:
        """Build the error with a message that lists the failed rules."""
        failed = [
            r for r in report.get("rules", []) if not r["passed"] and r["severity"] == "error"
        ]
        names = ", ".join(
            f"{r['rule']}({_column_text(r['column'])}): {r['failing_count']} row(s)" for r in failed
        )
        source = report.get("source") or "dataset"
        return cls(f"{source}: {len(failed)} error rule(s) failed: {names}", report=report)


def _rebuild(cls: type[Exception], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Exception:
    """Unpickle an error of this module with its keyword-only context."""
    return cls(*args, **kwargs)


def _column_text(column: Any) -> str:
    if isinstance(column, list):
        return ",".join(str(c) for c in column)
    return "" if column is None else str(column)
