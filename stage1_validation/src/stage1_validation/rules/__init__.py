"""The rule classes and their registry (importing this registers the built-in rules)."""

from stage1_validation.rules.base import (
    ColumnRule,
    DatasetRule,
    Rule,
    Severity,
    available_rules,
    get_rule_class,
    register_rule,
    unregister_rule,
)
from stage1_validation.rules.column import (
    AllowedValuesRule,
    DateFormatRule,
    DtypeRule,
    NotNullRule,
    RangeRule,
    RegexRule,
    StrLengthRule,
)
from stage1_validation.rules.dataset import CompareRule, RowCountRule, UniqueRule

__all__ = [
    "AllowedValuesRule",
    "ColumnRule",
    "CompareRule",
    "DatasetRule",
    "DateFormatRule",
    "DtypeRule",
    "NotNullRule",
    "RangeRule",
    "RegexRule",
    "RowCountRule",
    "Rule",
    "Severity",
    "StrLengthRule",
    "UniqueRule",
    "available_rules",
    "get_rule_class",
    "register_rule",
    "unregister_rule",
]
