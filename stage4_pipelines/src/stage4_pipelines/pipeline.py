"""The graded interface of stage 4: the roadmap's ``create_etl_dag`` and ``etl_pipeline``, and the
four step functions both of them call (the grader drives those directly in its simulation).

``make check-stage4`` imports these names from here (or from a learner's ``pipeline.py``).
"""

from __future__ import annotations

from stage4_pipelines.airflow_dag import create_etl_dag
from stage4_pipelines.prefect_flow import (
    etl_pipeline,
    extract_data,
    load_data,
    quality_gate,
    transform_data,
)

__all__ = [
    "create_etl_dag",
    "etl_pipeline",
    "extract_data",
    "load_data",
    "quality_gate",
    "transform_data",
]
