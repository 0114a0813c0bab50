"""Errors of the e-commerce ETL, grouped by what the orchestrator should do about them.

Stage4Error
 ├── TransientError            retry it: the next attempt may well succeed
 │    ├── UpstreamUnavailable  the source answered 5xx or could not be reached
 │    ├── UpstreamTimeout      the source did not answer in time
 │    ├── TruncatedPayload     the source sent an incomplete file
 │    ├── WarehouseBusy        another process holds the DuckDB file (one writer at a time)
 │    └── SimulatedCrash       a fault injected on purpose ("the worker died mid-load")
 └── PermanentError            do not retry blindly: a person (or a fixed upstream) must act
      ├── ConfigError          a setting is wrong: fix the named setting
      ├── SchemaDriftError     a column the pipeline needs is missing from the feed
      └── QualityGateError     the day breached the quality SLA: read the report it names
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ConfigError",
    "PermanentError",
    "QualityGateError",
    "SchemaDriftError",
    "SimulatedCrash",
    "Stage4Error",
    "TransientError",
    "TruncatedPayload",
    "UpstreamTimeout",
    "UpstreamUnavailable",
    "WarehouseBusy",
]


class Stage4Error(Exception):
    """Raised for any failure of the ETL; ``step`` names the pipeline step that failed."""

    step: str = "pipeline"

    def __init__(self, message: str, *, step: str | None = None) -> None:
        super().__init__(message)
        if step is not None:
            self.step = step

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r}, step={self.step!r})"


class TransientError(Stage4Error):
    """Raised when a retry may succeed (network, upstream hiccup, killed worker)."""


class UpstreamUnavailable(TransientError):
    """Raised when the upstream answers 5xx or refuses the connection."""

    step = "extract"


class UpstreamTimeout(TransientError):
    """Raised when the upstream does not answer within the request timeout."""

    step = "extract"


class TruncatedPayload(TransientError):
    """Raised when a downloaded file is incomplete (cannot be parsed or rows are missing)."""

    step = "extract"


class WarehouseBusy(TransientError):
    """Raised when another process holds the DuckDB warehouse file (DuckDB has one writer)."""

    step = "load"


class SimulatedCrash(TransientError):
    """Raised by an injected fault that stands for a worker killed in the middle of a step."""


class PermanentError(Stage4Error):
    """Raised when retrying the same input cannot help."""


class ConfigError(PermanentError, ValueError):
    """Raised when a setting (URL, path, timezone) is invalid; the message names the fix."""

    step = "config"


class SchemaDriftError(PermanentError):
    """Raised when the feed lacks a column the pipeline needs, even under its known aliases."""

    step = "transform"


class QualityGateError(PermanentError):
    """Raised when a day breaches the quality SLA; nothing of that day reaches the marts."""

    step = "quality_gate"

    def __init__(self, message: str, *, report_path: Path, failed_rules: list[str]) -> None:
        super().__init__(message)
        self.report_path = report_path
        self.failed_rules = failed_rules
