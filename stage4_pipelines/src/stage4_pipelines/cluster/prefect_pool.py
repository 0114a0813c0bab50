"""Prefect 3 on a process work pool: a server on PostgreSQL, a deployment, N workers.

``up`` starts ``prefect server start`` (its database in PostgreSQL), creates the process work
pool, registers the deployment from code (``flow.deploy`` with a module-path entrypoint: each
worker imports the installed ``stage4_pipelines``, so every host needs the same package
version), creates the automation that hands a dead worker's run to a live one, and starts
``prefect worker start --pool ... --limit 1`` N times. ``down`` stops the workers, then the server.

A worker that dies (SIGKILL, the host gone) leaves its flow run ``Running`` with nobody behind
it. Flow runs send a heartbeat event every ``heartbeat_s`` seconds; the automation sees a run
whose heartbeats stopped for ``zombie_after_s`` and puts it back to ``Scheduled``
(``AwaitingRetry``), so a live worker runs it again from the start. Every task is idempotent
(content-addressed staging, a load that replaces its day in one transaction), so the re-run
duplicates nothing; the dead attempt's load never committed.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from stage4_pipelines.cluster import procs

__all__ = ["DEPLOYMENT_NAME", "POOL_NAME", "PrefectPool"]

POOL_NAME = "stage4-process"
DEPLOYMENT_NAME = "ecommerce-etl-pool"
ZOMBIE_AUTOMATION = "stage4: re-run flow runs whose worker died"
FINAL_STATES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


class PrefectPool(BaseModel):
    """Where the pool lives and what it talks to (defaults: this machine's services)."""

    run_dir: Path = Path("data/stage4/cluster/prefect")
    postgres: str = "postgresql://postgres@127.0.0.1:5432"
    database: str = "s4_prefect"
    api_port: int = Field(default=4210, ge=1, le=65535)
    workers: int = Field(default=2, ge=1, le=16)
    pool: str = POOL_NAME
    heartbeat_s: int = Field(default=30, ge=30)
    """How often a flow run says it is alive (Prefect's minimum is 30 s)."""
    zombie_after_s: int = Field(default=75, ge=31)
    """A run silent this long is handed to another worker."""
    poll_s: int = Field(default=2, ge=1)
    """How often an idle worker asks the server for scheduled runs."""
    scheduled: bool = True
    """Give the deployment the daily cron (tests and the bench run it on demand only)."""

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}/api"

    @property
    def deployment(self) -> str:
        from stage4_pipelines.prefect_flow import FLOW_NAME

        return f"{FLOW_NAME}/{DEPLOYMENT_NAME}"

    def env(self, worker: str | None = None) -> dict[str, str]:
        """The environment of every process (a worker also gets its name)."""
        db = self.postgres.replace("postgresql://", "postgresql+asyncpg://", 1)
        env = dict(os.environ)
        env.update(
            {
                "PREFECT_HOME": str(self.run_dir.resolve() / "home"),
                "PREFECT_API_URL": self.api_url,
                "PREFECT_API_DATABASE_CONNECTION_URL": f"{db}/{self.database}",
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(self.heartbeat_s),
                "PREFECT_WORKER_QUERY_SECONDS": str(self.poll_s),
                "PYTHONUNBUFFERED": "1",
            }
        )
        if worker is not None:
            env["STAGE4_WORKER_NAME"] = worker
        return env

    def worker_names(self) -> list[str]:
        return [f"worker{i}" for i in range(1, self.workers + 1)]

    def _prefect(self) -> list[str]:
        return [sys.executable, "-m", "prefect"]

    def up(self, *, timeout_s: float = 600) -> None:
        """Start the server, register pool, deployment and automation, start the workers."""
        import httpx

        procs.ensure_database(self.postgres, self.database)
        run_dir = self.run_dir.resolve()
        argv = [*self._prefect(), "server", "start", "--host", "127.0.0.1",
                "--port", str(self.api_port)]  # fmt: skip
        procs.start(run_dir, "server", argv, self.env())
        procs.wait_until(
            lambda: httpx.get(f"{self.api_url}/health", timeout=5).status_code == 200,
            timeout_s=timeout_s,
            what=f"Prefect server on {self.api_url} (log: {run_dir / 'server.log'})",
        )
        self._register()
        for name in self.worker_names():
            argv = [*self._prefect(), "worker", "start", "--pool", self.pool, "--type",
                    "process", "--name", name, "--limit", "1"]  # fmt: skip
            procs.start(run_dir, name, argv, self.env(worker=name))
        procs.wait_until(
            lambda: set(self.online_workers()) >= set(self.worker_names()),
            timeout_s=timeout_s,
            what=f"{self.workers} workers online in pool {self.pool} (logs in {run_dir})",
        )

    def _register(self) -> None:
        """Work pool, deployment and the dead-worker automation (each created once)."""
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: self.api_url}):
            self._create_pool()
            self._deploy()
            self._create_automation()

    def _create_pool(self) -> None:
        from prefect import get_client
        from prefect.client.schemas.actions import WorkPoolCreate
        from prefect.exceptions import ObjectAlreadyExists
        from prefect.workers.process import ProcessWorker

        with get_client(sync_client=True) as client, contextlib.suppress(ObjectAlreadyExists):
            client.create_work_pool(
                WorkPoolCreate(
                    name=self.pool,
                    type="process",
                    base_job_template=ProcessWorker.get_default_base_job_template(),
                )
            )

    def _deploy(self) -> None:
        from prefect.schedules import Cron
        from prefect.types.entrypoint import EntrypointType

        from stage4_pipelines.config import get_settings
        from stage4_pipelines.prefect_flow import etl_pipeline

        settings = get_settings()
        schedule = Cron(settings.schedule, timezone=settings.timezone) if self.scheduled else None
        etl_pipeline.deploy(
            name=DEPLOYMENT_NAME,
            work_pool_name=self.pool,
            build=False,
            push=False,
            entrypoint_type=EntrypointType.MODULE_PATH,  # workers import the installed package
            schedule=schedule,
            tags=["stage4", "ecommerce"],
            print_next_steps=False,
            ignore_warnings=True,
        )

    def _create_automation(self) -> None:
        from prefect.automations import Automation
        from prefect.client.schemas.objects import StateType
        from prefect.events.actions import ChangeFlowRunState
        from prefect.events.schemas.automations import EventTrigger, Posture
        from prefect.events.schemas.events import ResourceSpecification

        automations: Any = Automation  # read/create are sync here (async only when awaited)
        try:
            automations.read(name=ZOMBIE_AUTOMATION)
            return
        except ValueError:
            pass
        zombie_rule: Any = Automation(
            name=ZOMBIE_AUTOMATION,
            description="A flow run whose heartbeats stopped lost its worker: schedule it again.",
            trigger=EventTrigger(
                after={"prefect.flow-run.heartbeat"},
                expect={
                    "prefect.flow-run.heartbeat",
                    "prefect.flow-run.Completed",
                    "prefect.flow-run.Failed",
                    "prefect.flow-run.Cancelled",
                    "prefect.flow-run.Crashed",
                },
                match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
                for_each={"prefect.resource.id"},
                posture=Posture.Proactive,
                threshold=1,
                within=timedelta(seconds=self.zombie_after_s),
            ),
            actions=[
                ChangeFlowRunState(
                    state=StateType.SCHEDULED,
                    name="AwaitingRetry",
                    message=f"no heartbeat for {self.zombie_after_s} s: its worker died",
                    force=True,
                )
            ],
        )
        zombie_rule.create()

    def online_workers(self) -> list[str]:
        """Names of the pool's workers the server sees as online."""
        return [w["name"] for w in self._api("POST", f"/work_pools/{self.pool}/workers/filter",
                {"workers": {"status": {"any_": ["ONLINE"]}}}) ]  # fmt: skip

    def _api(self, method: str, path: str, body: Any = None) -> Any:
        import httpx

        response = httpx.request(method, f"{self.api_url}{path}", json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    def submit_days(self, days: Iterable[date]) -> dict[date, str]:
        """One flow run of the deployment per day (not waited for); day → flow run id."""
        deployment = self._api("GET", f"/deployments/name/{self.deployment}")
        runs: dict[date, str] = {}
        for day in days:
            run = self._api(
                "POST",
                f"/deployments/{deployment['id']}/create_flow_run",
                {"parameters": {"day": day.isoformat()}, "tags": ["stage4"]},
            )
            runs[day] = run["id"]
        return runs

    def flow_run(self, run_id: str) -> dict[str, Any]:
        """The server's record of one flow run (state, run_count, times, ...)."""
        return dict(self._api("GET", f"/flow_runs/{run_id}"))

    def wait(self, run_ids: Iterable[str], *, timeout_s: float = 1800) -> dict[str, str]:
        """Wait until every run is final; run id → state type (COMPLETED, FAILED, ...)."""
        pending = set(run_ids)
        states: dict[str, str] = {}
        deadline = time.monotonic() + timeout_s
        while pending:
            for run_id in sorted(pending):
                state = (self.flow_run(run_id).get("state") or {}).get("type", "")
                if state in FINAL_STATES:
                    states[run_id] = state
                    pending.discard(run_id)
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"flow runs still not final after {timeout_s:.0f} s: {pending}")
            if pending:
                time.sleep(1.0)
        return states

    def submitted_by(self) -> dict[str, list[str]]:
        """Flow run id → the workers that picked it up, in order (from the server's
        ``prefect.worker.submitted-flow-run`` events: the record of who ran what)."""
        body: dict[str, Any] = {
            "filter": {"event": {"name": ["prefect.worker.submitted-flow-run"]}, "order": "ASC"},
            "limit": 50,
        }
        page = self._api("POST", "/events/filter", body)
        events = list(page["events"])
        while page.get("next_page"):
            import httpx

            response = httpx.get(page["next_page"], timeout=30)
            response.raise_for_status()
            page = response.json()
            events.extend(page["events"])
        by_run: dict[str, list[str]] = {}
        for event in sorted(events, key=lambda e: e["occurred"]):
            worker = event["resource"].get("prefect.resource.name", "")
            for related in event.get("related", []):
                if related.get("prefect.resource.role") == "flow-run":
                    run_id = related["prefect.resource.id"].removeprefix("prefect.flow-run.")
                    by_run.setdefault(run_id, []).append(worker)
        return by_run

    def running(self) -> dict[str, int | None]:
        """Service name → pid (None when not running)."""
        names = ["server", *self.worker_names()]
        return {name: procs.pid_of(self.run_dir.resolve(), name) for name in names}

    def down(self) -> None:
        """Stop the workers first, then the server."""
        run_dir = self.run_dir.resolve()
        names = sorted(p.stem for p in run_dir.glob("worker*.pid"))
        for name in [*names, "server"]:
            procs.stop(run_dir, name)

    def prefect(self, *args: str, timeout_s: float = 300) -> str:
        """Run a ``prefect`` CLI command against the server; its stdout."""
        return procs.run_command([*self._prefect(), *args], self.env(), timeout_s)
