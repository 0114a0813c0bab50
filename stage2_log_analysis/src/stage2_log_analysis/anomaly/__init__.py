"""Anomaly detection on per-minute statistics that may have gaps (see ``detect``).

``config``: the settings and how to load them; ``coverage``: silences and sampling;
``baselines``: rolling, hour-of-day and EWMA baselines over the minutes with data;
``detect``: the detectors; ``events``: flags grouped into pages.
"""

from stage2_log_analysis.anomaly.config import AnomalyConfig, load_anomaly_config
from stage2_log_analysis.anomaly.detect import ANOMALY_COLUMNS, detect_minute_anomalies
from stage2_log_analysis.anomaly.events import anomaly_events, flag_ends, kinds_at

__all__ = [
    "ANOMALY_COLUMNS",
    "AnomalyConfig",
    "anomaly_events",
    "detect_minute_anomalies",
    "flag_ends",
    "kinds_at",
    "load_anomaly_config",
]
