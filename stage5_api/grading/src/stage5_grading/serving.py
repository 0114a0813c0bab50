"""Start the graded server for one probe, and the requests every probe sends it.

The server runs as its own process (never in the grader's): the command from the
implementation's Dockerfile when it starts here, else the grader's default — the evidence says
which. It gets a private Redis (``REDIS_URL``), an empty ``PROMETHEUS_MULTIPROC_DIR`` and
``PORT``; it is ready when ``/ready`` (or ``/health``) answers 200, and must then answer
``POST /predict`` with ``{"features": [10 floats]}`` by 200 and a JSON object with a numeric
``prediction``.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from gradekit.result import Measurement
from gradekit.stages import GradeContext
from opskit.processes import ProcessStartError, free_port
from stage5_grading.launch import LaunchPlan, default_plan, dockerfile_plan
from stage5_grading.layout import ImplFiles, impl_files
from stage5_grading.loadtest.lb import RedisServer
from stage5_grading.loadtest.server import ServerProcess, StartTimeout
from stage5_grading.options import Options

__all__ = [
    "N_FEATURES",
    "READY_PATHS",
    "MachineBusy",
    "Running",
    "ServerProblem",
    "prediction_of",
    "rows",
    "running_server",
    "server_env",
    "smoke",
]

N_FEATURES = 10
READY_PATHS = ("/ready", "/health")
STARTUP_S = 180.0  # a server may take this long to start (imports, model); more is a hang


class ServerProblem(Exception):
    """The graded server did not start or did not answer a prediction: the learner's fault."""


class MachineBusy(Exception):
    """The server could not start in time because the machine starved it: inconclusive."""

    def measurement(self) -> Measurement:
        """The inconclusive verdict that says so."""
        return Measurement(
            value=None,
            inconclusive=f"the machine was too busy to start the server in time ({self}); run "
            "it again on a quiet machine",
            evidence="",
        )


def rows(n: int, seed: int = 5) -> list[str]:
    """``n`` request bodies, each a different row of 10 features in [-2, 2]."""
    rng = random.Random(seed)
    return [
        json.dumps({"features": [round(rng.uniform(-2, 2), 3) for _ in range(N_FEATURES)]})
        for _ in range(n)
    ]


def prediction_of(body: bytes | str) -> dict[str, float] | None:
    """``prediction`` (and ``confidence`` when numeric) of an answer, or None if not a prediction."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("prediction"), int | float):
        return None
    out = {"prediction": float(data["prediction"])}
    if isinstance(data.get("confidence"), int | float):
        out["confidence"] = float(data["confidence"])
    return out


def server_env(redis_url: str, port: int) -> dict[str, str]:
    """What every graded server gets: its private Redis and its port."""
    return {
        "REDIS_URL": redis_url,
        "STAGE5_REDIS_URL": redis_url,
        "STAGE5_CACHE_PREFIX": "stage5grade:",
        "PORT": str(port),
    }


def smoke(url: str, wait_s: float = 20.0) -> None:
    """One prediction: 200 with a numeric ``prediction`` (503s retried while the model loads)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            response = httpx.post(
                url + "/predict",
                content=rows(1)[0],
                headers={"Content-Type": "application/json"},
                timeout=30,
            )
        except httpx.HTTPError as exc:
            raise ServerProblem(f"POST /predict failed: {type(exc).__name__}: {exc}") from exc
        if response.status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.5)
            continue
        if response.status_code != 200 or prediction_of(response.content) is None:
            raise ServerProblem(
                f"POST /predict with 10 features answered {response.status_code} "
                f"{response.text[:200]!r}; expected 200 and a JSON object with a numeric "
                "'prediction' (the roadmap's PredictionResponse)"
            )
        return


@dataclass
class Running:
    """A started server, the plan it was started with, and what the evidence should say."""

    server: ServerProcess
    plan: LaunchPlan
    files: ImplFiles
    notes: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The server's base URL."""
        return self.server.url

    def describe(self) -> str:
        """How the server was started, for the evidence."""
        extra = "; ".join([*self.plan.notes, *self.notes])
        return f"server: {self.plan.describe()}" + (f"; {extra}" if extra else "")


def start_plan(
    plan: LaunchPlan, *, redis_url: str, log_path: Path, ready_paths: tuple[str, ...]
) -> ServerProcess:
    """Start one server of ``plan`` on a free port (raises ProcessStartError)."""
    port = free_port()
    server = ServerProcess(
        plan.argv_for(port),
        port=port,
        cwd=plan.cwd,
        env=server_env(redis_url, port),
        ready_paths=ready_paths,
        startup_timeout_s=STARTUP_S,
        log_path=log_path,
        listeners=plan.workers if "stage5_api.serve" in plan.argv else 1,
    )
    return server.start()


@contextmanager
def running_server(
    ctx: GradeContext,
    redis: RedisServer,
    *,
    name: str,
    ready_paths: tuple[str, ...] = READY_PATHS,
) -> Iterator[Running]:
    """The graded server, started as its Dockerfile says (or by default), smoke-tested.

    Raises ServerProblem (with the log tail) when neither command gives a working server.
    """
    files = impl_files(ctx)
    options = Options.of(ctx)
    plan, why_not = dockerfile_plan(files)
    notes: list[str] = []
    server: ServerProcess | None = None
    if plan is not None:
        try:
            server = start_plan(
                plan,
                redis_url=redis.url,
                log_path=ctx.work_dir / f"{name}-server.log",
                ready_paths=ready_paths,
            )
        except StartTimeout as exc:
            if exc.starved:
                raise MachineBusy(str(exc)) from exc
            notes.append(f"the Dockerfile's command did not start here ({exc}); see cicd")
        except ProcessStartError as exc:
            notes.append(f"the Dockerfile's command did not start here ({exc}); see cicd")
    if server is None or plan is None:
        why = why_not or "the Dockerfile's command did not start"
        plan = default_plan(files, options.workers, why)
        try:
            server = start_plan(
                plan,
                redis_url=redis.url,
                log_path=ctx.work_dir / f"{name}-server-default.log",
                ready_paths=ready_paths,
            )
        except StartTimeout as exc:
            if exc.starved:
                raise MachineBusy(str(exc)) from exc
            raise ServerProblem(f"the server did not start: {exc}") from exc
        except ProcessStartError as exc:
            raise ServerProblem(f"the server did not start: {exc}") from exc
    running = Running(server=server, plan=plan, files=files, notes=notes)
    try:
        smoke(server.url)
        yield running
    finally:
        server.stop()
