"""Problem 1 by hand: regex type rules, try/finally around the file, timeit's clock."""

import csv
import re
import timeit
from functools import wraps
from pathlib import Path


class DataValidationError(ValueError):
    """Raised when the CSV cannot be validated at all."""


def timing_decorator(func):
    @wraps(func)
    def timed(*args, **kwargs):
        begin = timeit.default_timer()
        try:
            result = func(*args, **kwargs)
        except Exception:
            print(f"Function {func.__name__} failed after {timeit.default_timer() - begin:.6f} seconds")
            raise
        print(f"Function {func.__name__} executed in {timeit.default_timer() - begin:.6f} seconds")
        return result

    return timed


INTEGER = re.compile(r"[+-]?\d+")


def integer_ok(value):
    return INTEGER.fullmatch(value) is not None


def number_ok(value):
    try:
        float(value)
    except ValueError:
        return False
    return True


TYPES = {"id": integer_ok, "name": None, "age": integer_ok, "score": number_ok}


class CSVProcessor:
    def __init__(self, file_path: str):
        self.path = Path(file_path)

    @timing_decorator
    def validate_data(self):
        if not self.path.is_file():
            raise DataValidationError(f"CSV file {self.path} does not exist")
        handle = self.path.open(newline="", encoding="utf-8")
        try:
            reader = csv.DictReader(handle)
            header = reader.fieldnames
            if header is None:
                raise DataValidationError(f"{self.path} has no header (empty file)")
            header = [h.strip() for h in header]
            reader.fieldnames = header
            lacking = [name for name in TYPES if name not in header]
            if lacking:
                raise DataValidationError("missing required column(s): " + ", ".join(lacking))
            found = []
            for record in reader:
                for name, ok in TYPES.items():
                    cell = (record.get(name) or "").strip()
                    if not cell:
                        found.append({"row": reader.line_num, "column": name, "error": "empty"})
                    elif ok is not None and not ok(cell):
                        found.append({"row": reader.line_num, "column": name, "error": "type"})
            return found
        finally:
            handle.close()
