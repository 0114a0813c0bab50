"""Generate realistic access logs fast, with a ground-truth file to grade an analyser against.

The log is built with NumPy (who, when, what status: ``traffic``) and Polars (string assembly,
in Rust: ``render``), an hour of traffic at a time, so it writes well over 100 MB/s. The
truth (``truth``) is counted from the same arrays *before* the text exists, so it is
independent of any parser:

* per minute (UTC): requests and 2xx/3xx/4xx/5xx counts, bytes, distinct client IPs;
* labelled incidents (``schedule``): ``error_spike``, ``traffic_surge``, ``traffic_drop``,
  ``client_burst`` and ``outage`` (scheduled at random after a warm-up, or where
  ``incident_plan`` says);
* malformed lines (an unclosed quote in the user agent, as seen in real logs), which an
  analyser must count as rejected and never as requests.

``shapes`` names the shapes real logs have (sampled, low traffic, a year long, gaps, bots,
skewed clocks); ``write.generate_log`` writes any of them.
"""

from stage2_log_analysis.generator.config import (
    INCIDENT_KINDS,
    ClockStep,
    DailyStep,
    GeneratorConfig,
    PlannedIncident,
    Sampling,
    parse_size,
    span_days,
)
from stage2_log_analysis.generator.shapes import SHAPES, Shape, shape_config
from stage2_log_analysis.generator.truth import (
    GroundTruth,
    Incident,
    truth_path_for,
    write_truth_json,
)
from stage2_log_analysis.generator.write import generate_log

IncidentKind = str  # one of INCIDENT_KINDS, or "outage"

__all__ = [
    "INCIDENT_KINDS",
    "SHAPES",
    "ClockStep",
    "DailyStep",
    "GeneratorConfig",
    "GroundTruth",
    "Incident",
    "IncidentKind",
    "PlannedIncident",
    "Sampling",
    "Shape",
    "generate_log",
    "parse_size",
    "shape_config",
    "span_days",
    "truth_path_for",
    "write_truth_json",
]
