"""stage2_log_analysis: 10GB+ access-log analytics in bounded memory, on one core or on Dask.

The roadmap's interface is ``LogAnalyzer`` and ``process_large_log``; ``analyze`` runs a whole
analysis, ``generate_log`` writes a realistic log with its ground truth.

Imports are lazy (PEP 562): Dask worker processes import this package to run one small task,
and should not pay for pandas, dask.dataframe and matplotlib they never use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stage2_log_analysis.analysis import AnalysisReport, AnalysisResult, analyze
    from stage2_log_analysis.anomaly import (
        AnomalyConfig,
        anomaly_events,
        detect_minute_anomalies,
        load_anomaly_config,
    )
    from stage2_log_analysis.errors import (
        AnalysisConfigError,
        LogAnalysisError,
        LogFileNotFound,
        LogInputError,
        NotALogError,
        OutputDirError,
    )
    from stage2_log_analysis.formats import LogFormat, detect_format
    from stage2_log_analysis.generator import (
        GeneratorConfig,
        GroundTruth,
        generate_log,
        shape_config,
    )
    from stage2_log_analysis.log_analyzer import LogAnalyzer, process_large_log
    from stage2_log_analysis.output import write_results

__all__ = [
    "AnalysisConfigError",
    "AnalysisReport",
    "AnalysisResult",
    "AnomalyConfig",
    "GeneratorConfig",
    "GroundTruth",
    "LogAnalysisError",
    "LogAnalyzer",
    "LogFileNotFound",
    "LogFormat",
    "LogInputError",
    "NotALogError",
    "OutputDirError",
    "analyze",
    "anomaly_events",
    "detect_format",
    "detect_minute_anomalies",
    "generate_log",
    "load_anomaly_config",
    "process_large_log",
    "shape_config",
    "write_results",
]

_EXPORTS = {
    "AnalysisConfigError": "stage2_log_analysis.errors",
    "AnalysisReport": "stage2_log_analysis.analysis",
    "AnalysisResult": "stage2_log_analysis.analysis",
    "analyze": "stage2_log_analysis.analysis",
    "anomaly_events": "stage2_log_analysis.anomaly",
    "AnomalyConfig": "stage2_log_analysis.anomaly",
    "detect_format": "stage2_log_analysis.formats",
    "detect_minute_anomalies": "stage2_log_analysis.anomaly",
    "generate_log": "stage2_log_analysis.generator",
    "GeneratorConfig": "stage2_log_analysis.generator",
    "GroundTruth": "stage2_log_analysis.generator",
    "LogAnalysisError": "stage2_log_analysis.errors",
    "LogAnalyzer": "stage2_log_analysis.log_analyzer",
    "LogFileNotFound": "stage2_log_analysis.errors",
    "LogFormat": "stage2_log_analysis.formats",
    "LogInputError": "stage2_log_analysis.errors",
    "NotALogError": "stage2_log_analysis.errors",
    "OutputDirError": "stage2_log_analysis.errors",
    "load_anomaly_config": "stage2_log_analysis.anomaly",
    "shape_config": "stage2_log_analysis.generator",
    "process_large_log": "stage2_log_analysis.log_analyzer",
    "write_results": "stage2_log_analysis.output",
}


def __getattr__(name: str) -> Any:
    """Import a public name's module the first time the name is used."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'stage2_log_analysis' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
