"""What the grader's child processes find in their environment, set before they start.

Airflow and Prefect configure themselves when imported, and a learner's module may read its
settings at import too, so everything is in place before the child imports anything: private
engine homes under the work folder, and the ``STAGE4_*`` variables of the interface — the
upstream URL, the warehouse, the Slack webhook (ports chosen here, bound by the child).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from opskit.processes import free_port

__all__ = ["engine_homes", "exported", "fresh_warehouse", "pipeline_env"]


def engine_homes(root: Path) -> dict[str, str]:
    """Private, empty Airflow and Prefect homes under ``root`` (wiped first)."""
    shutil.rmtree(root, ignore_errors=True)
    airflow = root / "airflow"
    airflow.mkdir(parents=True)
    return {
        "AIRFLOW_HOME": str(airflow),
        "AIRFLOW__CORE__DAGS_FOLDER": str(root / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow / 'airflow.db'}",
        "PREFECT_HOME": str(root / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_TO_API_ENABLED": "false",
    }


def pipeline_env(run_dir: Path, warehouse_url: str) -> dict[str, str]:
    """The ``STAGE4_*`` interface for one child: where to read, write and alert."""
    slack = f"http://127.0.0.1:{free_port()}/services/T000/B000/XXX"
    return {
        "STAGE4_SOURCE_URL": f"http://127.0.0.1:{free_port()}",
        "STAGE4_WAREHOUSE_URL": warehouse_url,
        "STAGE4_STAGING_DIR": str(run_dir / "staging"),
        "STAGE4_REPORTS_DIR": str(run_dir / "quality_reports"),
        "STAGE4_SLACK_WEBHOOK_URL": slack,
        "STAGE4_RETRY_DELAY_SECONDS": "0.1",
        "STAGE4_REQUEST_TIMEOUT_SECONDS": "20",
        "AIRFLOW_CONN_SLACK_WEBHOOK": json.dumps({"conn_type": "slackwebhook", "password": slack}),
    }


def fresh_warehouse(server: str, run_dir: Path, name: str) -> str:
    """An empty warehouse: a new DuckDB file, or a new PostgreSQL database on ``server``."""
    if not server:
        path = (run_dir / "warehouse.duckdb").resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob("warehouse.duckdb*"):
            stale.unlink()
        return f"duckdb:///{path}"
    import psycopg

    database = re.sub(r"[^a-z0-9_]", "_", f"stage4_grade_{name}".lower())
    base = server.rstrip("/")
    admin = base if base.count("/") > 2 else f"{base}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {database}")
    root = base.rsplit("/", 1)[0] if base.count("/") > 2 else base
    return f"{root}/{database}"


@contextmanager
def exported(values: dict[str, str]) -> Iterator[None]:
    """``values`` in ``os.environ`` inside the block (other ``STAGE4_*`` variables removed)."""
    saved = dict(os.environ)
    for name in [n for n in os.environ if n.startswith("STAGE4_")]:
        del os.environ[name]
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
