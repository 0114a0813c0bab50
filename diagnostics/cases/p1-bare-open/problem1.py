"""Problem 1 with the file opened without `with` (CPython closes it when the function returns)."""

import csv
import functools
import os
import time


class DataValidationError(Exception):
    pass


def timing_decorator(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            print(f"{func.__name__} took {time.perf_counter() - start:.4f}s")

    return wrapper


PARSERS = {"id": int, "name": str, "age": int, "score": float}


class CSVProcessor:
    def __init__(self, file_path: str):
        self.file_path = file_path

    @timing_decorator
    def validate_data(self):
        if not os.path.isfile(self.file_path):
            raise DataValidationError(f"{self.file_path} does not exist")
        f = open(self.file_path, newline="", encoding="utf-8")
        reader = csv.DictReader(f)
        if reader.fieldnames is None:
            raise DataValidationError("empty file")
        missing = [c for c in PARSERS if c not in reader.fieldnames]
        if missing:
            raise DataValidationError(f"missing columns: {missing}")
        errors = []
        for row in reader:
            for column, parse in PARSERS.items():
                value = (row[column] or "").strip()
                if not value:
                    errors.append({"row": reader.line_num, "column": column, "error": "empty"})
                    continue
                try:
                    parse(value)
                except ValueError:
                    errors.append({"row": reader.line_num, "column": column, "error": "type"})
        return errors
