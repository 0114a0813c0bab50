"""Problem 1: classes and decorators (30 minutes). 문제 1: 클래스와 데코레이터 (30분).

Write code that satisfies these requirements (statement: diagnostics/problems/problem1.en.md):
1. A class that reads a CSV file and validates the data
2. A decorator that measures execution time
3. Custom exception handling

The CSV has a header row and the columns id (integer), name (text), age (integer) and
score (decimal number), in any order; other columns are ignored.
validate_data() returns a list of {"row": int, "column": str, "error": "empty" | "type"}
(row = line number in the file, header = line 1; [] for a clean file) and raises
DataValidationError when the file is missing, empty or lacks a required column.
"""


class DataValidationError(Exception):
    pass


def timing_decorator(func):
    # TODO: implement — print or log "<function name> took <seconds>s" for every call
    pass


class CSVProcessor:
    def __init__(self, file_path: str):
        # TODO: implement
        pass

    @timing_decorator
    def validate_data(self):
        # TODO: data validation logic
        # check empty values, type errors, etc.
        pass
