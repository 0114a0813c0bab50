"""Errors of the log analyser, grouped by what the caller can do about them.

LogAnalysisError                  base of every error raised here
 ├── LogInputError (ValueError)    the input file is wrong: fix the path or the file
 │    ├── LogFileNotFound          the path does not exist or is not a file
 │    └── NotALogError             the first MBs are not an access log (binary, other format)
 ├── AnalysisConfigError (ValueError)  an option is out of range: fix the argument
 └── OutputDirError (OSError)      --out cannot take the results: choose another folder
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AnalysisConfigError",
    "LogAnalysisError",
    "LogFileNotFound",
    "LogInputError",
    "NotALogError",
    "OutputDirError",
]


class LogAnalysisError(Exception):
    """Raised for any failure of the log analyser; the base of this module's errors."""


class LogInputError(LogAnalysisError, ValueError):
    """Raised when an input log cannot be analysed."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class LogFileNotFound(LogInputError, FileNotFoundError):
    """Raised when a log path does not exist or is not a regular file."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(path, "no such file; pass the path of an access log (plain or .gz)")


class NotALogError(LogInputError):
    """Raised when the start of a file does not look like any supported access-log format."""


class AnalysisConfigError(LogAnalysisError, ValueError):
    """Raised when an option is out of range (the message names the option and the fix)."""


class OutputDirError(LogAnalysisError, OSError):
    """Raised when the output folder cannot take the results (checked before the analysis)."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"
