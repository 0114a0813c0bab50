"""Problem 1 without the csv module: each line split on commas."""

import functools
import time


class DataValidationError(Exception):
    pass


def timing_decorator(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            print(f"{func.__name__} took {time.perf_counter() - t:.4f}s")

    return wrapper


class CSVProcessor:
    def __init__(self, file_path: str):
        self.file_path = file_path

    @timing_decorator
    def validate_data(self):
        try:
            with open(self.file_path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            raise DataValidationError(f"{self.file_path} not found")
        if not lines:
            raise DataValidationError("empty file")
        header = [h.strip() for h in lines[0].split(",")]
        missing = [c for c in ("id", "name", "age", "score") if c not in header]
        if missing:
            raise DataValidationError(f"missing columns {missing}")
        errors = []
        for number, line in enumerate(lines[1:], start=2):
            values = dict(zip(header, (v.strip() for v in line.split(","))))
            for column, kind in (("id", int), ("name", str), ("age", int), ("score", float)):
                value = values.get(column, "")
                if not value:
                    errors.append({"row": number, "column": column, "error": "empty"})
                    continue
                try:
                    kind(value)
                except ValueError:
                    errors.append({"row": number, "column": column, "error": "type"})
        return errors
