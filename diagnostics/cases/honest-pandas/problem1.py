"""A correct solution in another style (pandas, ms timings): the grader must not favour the reference."""

import functools
import time
from typing import ClassVar

import pandas as pd


class DataValidationError(Exception):
    pass


def timing_decorator(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        t0 = time.time()
        try:
            return func(*args, **kwargs)
        finally:
            print(f"[timing] {func.__qualname__}: {(time.time() - t0) * 1000:.1f} ms")

    return wrapper


class CSVProcessor:
    TYPES: ClassVar[dict[str, type]] = {"id": int, "name": str, "age": int, "score": float}

    def __init__(self, file_path: str):
        self.file_path = file_path

    @timing_decorator
    def validate_data(self):
        try:
            df = pd.read_csv(self.file_path, dtype=str, keep_default_na=False)
        except FileNotFoundError as e:
            raise DataValidationError(f"File not found: {self.file_path}") from e
        except pd.errors.EmptyDataError as e:
            raise DataValidationError("empty file") from e
        missing = set(self.TYPES) - set(df.columns)
        if missing:
            raise DataValidationError(f"Missing columns: {sorted(missing)}")
        errors = []
        for i, row in df.iterrows():
            for col, typ in self.TYPES.items():
                v = row[col].strip()
                if v == "":
                    errors.append({"row": i + 2, "column": col, "error": "empty"})
                    continue
                try:
                    typ(v)
                except ValueError:
                    errors.append({"row": i + 2, "column": col, "error": "type", "value": v})
        return errors
