"""Problem 1, written the plain way: csv.DictReader, time.time(), print."""

import csv
import functools
import os
import time


class DataValidationError(Exception):
    pass


def timing_decorator(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        start = time.time()
        try:
            return func(*args, **kwargs)
        finally:
            print(f"{func.__name__} took {time.time() - start:.4f}s")

    return wrapper


REQUIRED = ["id", "name", "age", "score"]


def is_int(text):
    try:
        int(text)
        return True
    except ValueError:
        return False


def is_float(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


CHECKS = {"id": is_int, "name": lambda text: True, "age": is_int, "score": is_float}


class CSVProcessor:
    def __init__(self, file_path: str):
        self.file_path = file_path

    @timing_decorator
    def validate_data(self):
        if not os.path.exists(self.file_path):
            raise DataValidationError(f"file not found: {self.file_path}")
        errors = []
        with open(self.file_path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames:
                raise DataValidationError(f"{self.file_path} is empty")
            missing = [col for col in REQUIRED if col not in reader.fieldnames]
            if missing:
                raise DataValidationError(f"missing columns: {', '.join(missing)}")
            for line_number, row in enumerate(reader, start=2):
                for col in REQUIRED:
                    value = (row[col] or "").strip()
                    if value == "":
                        errors.append({"row": line_number, "column": col, "error": "empty"})
                    elif not CHECKS[col](value):
                        errors.append({"row": line_number, "column": col, "error": "type"})
        return errors
