"""The grader of stage 4 (``make check-stage4``): the learner's pipeline run for real on
Airflow 3 and Prefect 3, its own four steps driven through a 3000-day simulation, and every
verdict counted in the warehouse it loaded. Learner code runs only in child processes.

The interface it grades is in :mod:`stage4_grading.interface`; options in
:mod:`stage4_grading.options`; the stage README's grading section has the whole contract.
"""

from stage4_grading.checks import build_checks
from stage4_grading.criteria import CRITERIA

__all__ = ["CRITERIA", "DEFAULT_IMPL", "IMPORT_CHECK", "MODULE_HINT", "TITLE", "build_checks"]

TITLE = "Stage 4 — Data pipelines: e-commerce ETL on Airflow & Prefect"
DEFAULT_IMPL = "stage4_pipelines.pipeline"
MODULE_HINT = "pipeline"
IMPORT_CHECK = False
"""The grader imports the implementation itself, once the engines' homes are set (importing
Airflow writes into AIRFLOW_HOME)."""
