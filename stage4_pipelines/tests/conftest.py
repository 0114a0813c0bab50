"""Shared fixtures. Airflow and Prefect configure themselves at import, so their homes are set
here, before any test module imports them."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

_HOME = Path(tempfile.mkdtemp(prefix="stage4-tests-"))
STAGE_DIR = Path(__file__).resolve().parents[1]
os.environ.update(
    {
        "AIRFLOW_HOME": str(_HOME / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(STAGE_DIR / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_HOME / 'airflow' / 'airflow.db'}",
        "PREFECT_HOME": str(_HOME / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_TO_API_ENABLED": "false",
    }
)
for _name in [n for n in os.environ if n.startswith("STAGE4_")]:  # isolate from the shell
    del os.environ[_name]

PG_DSN = "postgresql://postgres@127.0.0.1:5432/stage4_test"


@pytest.fixture
def work_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """``airflow db migrate`` once per session into a temporary AIRFLOW_HOME."""
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True
    )
    return Path(os.environ["AIRFLOW_HOME"])


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):  # the shared machine is slow
        yield


def _ensure_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = 'stage4_test'").fetchone()
        if not exists:
            conn.execute("CREATE DATABASE stage4_test")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL warehouse URL with its own schema, dropped afterwards."""
    from stage4_pipelines.warehouse import PostgresWarehouse

    _ensure_database()
    schema = f"t_{uuid.uuid4().hex[:10]}"
    yield f"{PG_DSN}?schema={schema}"
    PostgresWarehouse(PG_DSN, schema=schema).drop_schema()
