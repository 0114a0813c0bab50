"""stage4_pipelines: a daily e-commerce ETL orchestrated by Airflow 3 and Prefect 3.

The engine-agnostic core (``etl``, ``extract``, ``transform``, ``quality``, ``warehouse``) imports
neither engine. The graded names below import Airflow and Prefect, which configure themselves
at import, so they are loaded on first access only.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "create_etl_dag",
    "etl_pipeline",
    "extract_data",
    "load_data",
    "quality_gate",
    "transform_data",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from stage4_pipelines import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'stage4_pipelines' has no attribute {name!r}")
