"""Problem 1 with a class-based decorator, a logger of its own and csv.reader by header index.

The header is read once to check the columns and the rows once more to validate them (two
passes over the file, each in its own `with` block).
"""

import csv
import functools
import logging
import time

logger = logging.getLogger("timings")
logger.setLevel(logging.INFO)
logger.propagate = False
_handler = logging.StreamHandler()  # holds the stderr of import time
_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
logger.addHandler(_handler)


class DataValidationError(Exception):
    """The file cannot be validated at all."""


class timing_decorator:  # noqa: N801 (the statement's name)
    """Log how long each call took, in milliseconds."""

    def __init__(self, func):
        functools.update_wrapper(self, func)
        self.func = func

    def __call__(self, *args, **kwargs):
        started = time.monotonic()
        try:
            return self.func(*args, **kwargs)
        finally:
            elapsed_ms = (time.monotonic() - started) * 1000
            logger.info("%s finished in %.2f ms", self.func.__name__, elapsed_ms)

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return functools.partial(self.__call__, instance)


def _integer(value):
    int(value)


def _number(value):
    float(value)


RULES = {"id": _integer, "name": None, "age": _integer, "score": _number}


class CSVProcessor:
    def __init__(self, file_path: str):
        self.file_path = file_path
        try:
            with open(file_path, newline="", encoding="utf-8") as handle:
                self.header = [name.strip() for name in next(csv.reader(handle), [])]
        except FileNotFoundError:
            raise DataValidationError(f"no such file: {file_path}") from None

    def _positions(self):
        if not self.header:
            raise DataValidationError(f"{self.file_path}: empty file, no header")
        absent = [name for name in RULES if name not in self.header]
        if absent:
            raise DataValidationError(f"{self.file_path}: required columns absent: {absent}")
        return {name: self.header.index(name) for name in RULES}

    @timing_decorator
    def validate_data(self):
        positions = self._positions()
        problems = []
        with open(self.file_path, newline="", encoding="utf-8") as handle:
            rows = csv.reader(handle)
            next(rows)
            for row in rows:
                line = rows.line_num
                for name, position in positions.items():
                    cell = row[position].strip() if position < len(row) else ""
                    if not cell:
                        problems.append({"row": line, "column": name, "error": "empty"})
                        continue
                    rule = RULES[name]
                    if rule is None:
                        continue
                    try:
                        rule(cell)
                    except ValueError:
                        problems.append({"row": line, "column": name, "error": "type"})
        return problems
