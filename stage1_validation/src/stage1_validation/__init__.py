"""stage1_validation: a data-quality library with rules in config files and honest reports.

**Usage**::

    from stage1_validation import DataValidator
    report = DataValidator("rules.yaml").validate_dataset(df)
"""

from stage1_validation.chunks import CsvDialect
from stage1_validation.config import (
    ConfigLimits,
    ValidationConfig,
    load_config,
    parse_config,
    save_config,
)
from stage1_validation.csv_processor import CSVProcessor
from stage1_validation.errors import (
    ConfigError,
    ConfigFileError,
    DataFileError,
    DataQualityError,
    DataValidationError,
    MissingColumnError,
    OutputPathError,
    ReportFormatError,
    RuleParameterError,
    UnknownRuleError,
)
from stage1_validation.large import process_large_dataset
from stage1_validation.monitor import (
    PerformanceRecord,
    clear_records,
    get_records,
    last_record,
    performance_monitor,
    timing_decorator,
)
from stage1_validation.quarantine import split_dataset
from stage1_validation.rules import (
    ColumnRule,
    DatasetRule,
    Rule,
    Severity,
    available_rules,
    register_rule,
    unregister_rule,
)
from stage1_validation.validator import DataValidator
from stage1_validation.writers import atomic_writer, write_report

__all__ = [
    "CSVProcessor",
    "ColumnRule",
    "ConfigError",
    "ConfigFileError",
    "ConfigLimits",
    "CsvDialect",
    "DataFileError",
    "DataQualityError",
    "DataValidationError",
    "DataValidator",
    "DatasetRule",
    "MissingColumnError",
    "OutputPathError",
    "PerformanceRecord",
    "ReportFormatError",
    "Rule",
    "RuleParameterError",
    "Severity",
    "UnknownRuleError",
    "ValidationConfig",
    "atomic_writer",
    "available_rules",
    "clear_records",
    "get_records",
    "last_record",
    "load_config",
    "parse_config",
    "performance_monitor",
    "process_large_dataset",
    "register_rule",
    "save_config",
    "split_dataset",
    "timing_decorator",
    "unregister_rule",
    "write_report",
]
