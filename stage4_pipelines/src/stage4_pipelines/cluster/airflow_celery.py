"""Airflow 3 on the CeleryExecutor: metadata DB, api-server, scheduler, dag-processor, N workers.

Redis is the broker (a dedicated db number), PostgreSQL holds Airflow's metadata and Celery's
results, all on loopback. ``up`` migrates and starts what is not running; ``down`` stops it.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from stage4_pipelines.cluster import procs

__all__ = ["AirflowCluster"]

DAGS_FOLDER = Path(__file__).resolve().parents[3] / "dags"


class AirflowCluster(BaseModel):
    """Where the cluster lives and what it talks to (defaults: this machine's services)."""

    run_dir: Path = Path("data/stage4/airflow-celery")
    postgres: str = "postgresql://postgres@127.0.0.1:5432"
    database: str = "s4_airflow"
    redis_url: str = "redis://127.0.0.1:6379/11"
    api_port: int = Field(default=8794, ge=1, le=65535)
    workers: int = Field(default=2, ge=1, le=16)
    heartbeat_timeout_s: int = Field(default=60, ge=10)
    """A task whose worker died is failed (and retried) after this long without a heartbeat."""

    def env(self, worker: str | None = None) -> dict[str, str]:
        """The environment of every process (a worker also gets its name)."""
        run_dir = self.run_dir.resolve()
        secret_file = run_dir / "secret"
        if not secret_file.exists():
            run_dir.mkdir(parents=True, exist_ok=True)
            secret_file.write_text(secrets.token_hex(32))
        secret = secret_file.read_text().strip()
        sql = (
            f"{self.postgres.replace('postgresql://', 'postgresql+psycopg://', 1)}/{self.database}"
        )
        env = dict(os.environ)
        env.update(
            {
                "AIRFLOW_HOME": str(run_dir / "home"),
                "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__CORE__HOSTNAME_CALLABLE": "stage4_pipelines.cluster.worker_hostname",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sql,
                "AIRFLOW__CELERY__BROKER_URL": self.redis_url,
                "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{sql}",
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
                "AIRFLOW__API__BASE_URL": self.api_url,
                "AIRFLOW__API__SECRET_KEY": secret,
                "AIRFLOW__API_AUTH__JWT_SECRET": secret,
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(run_dir / "logs"),
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(
                    self.heartbeat_timeout_s
                ),
                "PYTHONUNBUFFERED": "1",
            }
        )
        if worker is not None:
            env["STAGE4_WORKER_NAME"] = worker
        return env

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def worker_names(self) -> list[str]:
        return [f"worker{i}" for i in range(1, self.workers + 1)]

    def airflow(self, *args: str, timeout_s: float = 600) -> str:
        """Run an ``airflow`` command against the cluster; its stdout (CalledProcessError if it fails)."""
        return procs.run_command([sys.executable, "-m", "airflow", *args], self.env(), timeout_s)

    def sql(self, query: str, params: Any = None) -> list[tuple[Any, ...]]:
        """Rows of a query on the metadata database (tests and the bench read task instances)."""
        import psycopg

        with psycopg.connect(f"{self.postgres}/{self.database}") as conn:
            return list(conn.execute(query, params).fetchall())

    def up(self, *, timeout_s: float = 600) -> None:
        """Migrate, then start every service that is not running, and wait until all answer."""
        import httpx

        procs.ensure_database(self.postgres, self.database)
        self.airflow("db", "migrate", timeout_s=timeout_s)
        airflow = [sys.executable, "-m", "airflow"]
        run_dir = self.run_dir.resolve()
        procs.start(
            run_dir,
            "api-server",
            [*airflow, "api-server", "--host", "127.0.0.1", "--port", str(self.api_port)],
            self.env(),
        )
        procs.start(run_dir, "scheduler", [*airflow, "scheduler"], self.env())
        procs.start(run_dir, "dag-processor", [*airflow, "dag-processor"], self.env())
        for name in self.worker_names():
            argv = [*airflow, "celery", "worker", "--concurrency", "1", "--skip-serve-logs",
                    "--celery-hostname", f"{name}@%h", "--without-gossip"]  # fmt: skip
            procs.start(run_dir, name, argv, self.env(worker=name))
        procs.wait_until(
            lambda: (
                httpx.get(f"{self.api_url}/api/v2/monitor/health", timeout=5).status_code == 200
            ),
            timeout_s=timeout_s,
            what=f"Airflow api-server on {self.api_url} (log: {run_dir / 'api-server.log'})",
        )
        procs.wait_until(
            lambda: bool(self.sql("SELECT 1 FROM serialized_dag WHERE dag_id = 'ecommerce_etl'")),
            timeout_s=timeout_s,
            what=f"the DAG parsed by the dag-processor (log: {run_dir / 'dag-processor.log'})",
        )
        for name in self.worker_names():
            log = run_dir / f"{name}.log"
            procs.wait_until(
                lambda log=log: " ready." in log.read_text(errors="replace"),  # type: ignore[misc]
                timeout_s=timeout_s,
                what=f"Celery worker {name} (log: {log})",
            )

    def running(self) -> dict[str, int | None]:
        """Service name → pid (None when not running)."""
        names = ["api-server", "scheduler", "dag-processor", *self.worker_names()]
        return {name: procs.pid_of(self.run_dir.resolve(), name) for name in names}

    def down(self) -> None:
        """Stop the workers first (they finish or give back their task), then the rest."""
        run_dir = self.run_dir.resolve()
        names = sorted(p.stem for p in run_dir.glob("worker*.pid"))
        for name in [*names, "scheduler", "dag-processor", "api-server"]:
            procs.stop(run_dir, name)
