"""stage2_log_analysis: 10GB+ access-log analytics in bounded memory, on one core or on Dask.

The roadmap's interface is ``LogAnalyzer`` and ``process_large_log``; ``analyze`` runs a whole
analysis, ``generate_log`` writes a realistic log with its ground truth.
"""

from stage2_log_analysis.analysis import AnalysisReport, AnalysisResult, analyze
from stage2_log_analysis.anomaly import AnomalyConfig, anomaly_events, detect_minute_anomalies
from stage2_log_analysis.errors import (
    AnalysisConfigError,
    LogAnalysisError,
    LogFileNotFound,
    LogInputError,
    NotALogError,
)
from stage2_log_analysis.formats import LogFormat, detect_format
from stage2_log_analysis.generator import GeneratorConfig, GroundTruth, generate_log
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
    "analyze",
    "anomaly_events",
    "detect_format",
    "detect_minute_anomalies",
    "generate_log",
    "process_large_log",
    "write_results",
]
