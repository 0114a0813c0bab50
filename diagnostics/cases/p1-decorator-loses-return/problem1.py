"""FLAWED on purpose (the timing wrapper calls the function but forgets to return its result). Otherwise: a CSV validator class, a timing decorator and a custom exception."""

from __future__ import annotations

import csv
import functools
import logging
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

__all__ = ["COLUMNS", "CSVProcessor", "DataValidationError", "timing_decorator"]

logger = logging.getLogger("timing")

P = ParamSpec("P")
R = TypeVar("R")

#: The required columns and the parser that decides whether a value has the right type.
COLUMNS: dict[str, Callable[[str], object]] = {"id": int, "name": str, "age": int, "score": float}


class DataValidationError(Exception):
    """Raised when a file cannot be validated at all (missing file, no header, missing columns)."""


def timing_decorator(func: Callable[P, R]) -> Callable[P, R]:
    """Print how long each call of ``func`` took, in seconds; the call itself is unchanged."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        started = time.perf_counter()
        try:
            func(*args, **kwargs)  # FLAW: the result is dropped
        finally:  # time failed calls too, and let their exception through untouched
            elapsed = time.perf_counter() - started
            print(f"{func.__name__} took {elapsed:.6f}s")

    return wrapper


class CSVProcessor:
    """Validate a CSV file with the columns id (int), name (text), age (int), score (number)."""

    def __init__(self, file_path: str) -> None:
        self.file_path = file_path

    @timing_decorator
    def validate_data(self) -> list[dict[str, object]]:
        """Every empty cell and type error as {row, column, error}; rows are file line numbers."""
        try:
            with open(self.file_path, newline="", encoding="utf-8") as fh:
                reader = csv.DictReader(fh)
                missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
                if reader.fieldnames is None:
                    raise DataValidationError(f"{self.file_path}: the file is empty (no header)")
                if missing:
                    raise DataValidationError(
                        f"{self.file_path}: missing required column(s) {', '.join(missing)}; "
                        f"expected {', '.join(COLUMNS)}"
                    )
                return [error for row in reader for error in _check_row(row, reader.line_num)]
        except FileNotFoundError as exc:
            raise DataValidationError(f"{self.file_path}: no such file") from exc


def _check_row(row: dict[str, str | None], line: int) -> list[dict[str, object]]:
    errors: list[dict[str, object]] = []
    for column, parse in COLUMNS.items():
        value = (row.get(column) or "").strip()
        if not value:
            errors.append({"row": line, "column": column, "error": "empty"})
            continue
        try:
            parse(value)
        except ValueError:
            errors.append({"row": line, "column": column, "error": "type"})
    return errors
