"""Stage 1 exercise: a data validation system (데이터 검증 시스템).

Fill in the TODOs, then grade your work from the repository root:

    make check-stage1 IMPL=workspace/stage1

The grader imports this file and uses only the names below, so keep them. Read README.md
beside this file for what each criterion measures, the rules-file format, the report's shape
and how the decorator reports its figures.
"""

from typing import Any, Dict

import pandas as pd


# --- custom exceptions (커스텀 예외 클래스) ------------------------------------------------
class DataValidationError(Exception):
    """Raised when the data breaks error-severity rules."""

    # TODO: carry the report (self.report) so callers can see what failed


class ConfigError(Exception):
    """Raised when a rules file cannot be used."""

    # TODO: one base class of your own for all your errors; name the file, rule and key in
    #       the message; a missing rules file or data file raises one of yours too


# --- rules (클래스 상속과 다형성) -------------------------------------------------------------
# TODO: an abstract base class Rule with one abstract method, and one subclass per rule type
#       (not_null, unique, dtype, range, allowed_values, regex, str_length, date_format,
#       compare, row_count), each with its config name as a class attribute
#       (name = "not_null"). A registry maps the config name to the class; the validator
#       only calls the rule objects' methods (no isinstance checks, no table of names).


def register_rule(rule_class):
    # TODO: add a user-defined rule class to the registry, so config files can use it
    pass


# --- the validator ---------------------------------------------------------------------------
class DataValidator:
    def __init__(self, config_path: str):
        # TODO: read the configuration file
        pass

    @property
    def validation_rules(self):
        # TODO: return the validation rules
        pass

    def validate_dataset(self, df: pd.DataFrame) -> Dict[str, Any]:
        # TODO: validate the dataset and build the report dict (README: "The report");
        #       leave df unchanged
        pass


def write_report(report: Dict[str, Any], path: str) -> None:
    # TODO: write the report as JSON (or .md/.html) safely: a failure midway must leave no file
    pass


# --- decorator exercise (성능 측정 데코레이터) ------------------------------------------------
def performance_monitor(func):
    # TODO: measure the function's execution time (wall seconds) and peak memory (MiB);
    #       keep them where the grader reads them (README: "How the decorator reports its
    #       figures"); return the function's result, let its exceptions through, keep its name
    pass


@performance_monitor
def process_large_dataset(file_path: str, rules_path: str = None, chunk_size: int = 100_000):
    # TODO: large-dataset processing function (read in chunks, validate, merge the reports);
    #       a failing row's "index" is its 0-based position among the file's data rows
    pass
