"""Start and stop the MLflow processes this stage needs: the tracking server and a model server.

Both bind to loopback by default. Tests and the grader pass port 0 to get a free port, so
concurrent runs on one machine never collide. Ports, readiness and stopping the process tree
come from ``opskit.processes`` (shared with stage 5); ``find_free_port`` is its ``free_port``.

Every server runs as its own process group and is stopped as a group: ``mlflow server``
forwards SIGTERM to its uvicorn child only, so its job runner (a huey consumer and its workers)
would otherwise outlive it. This stage runs no server-side jobs, so :func:`mlflow_env` also
turns job execution off unless you set ``MLFLOW_SERVER_ENABLE_JOB_EXECUTION`` yourself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType, TracebackType

import httpx

from opskit.processes import ProcessStartError, stop_tree, wait_until_answers
from opskit.processes import free_port as find_free_port
from stage3_mlops.errors import ServerError

__all__ = [
    "ModelServer",
    "ServerProcess",
    "TrackingServer",
    "find_free_port",
    "mlflow_env",
    "predict_over_http",
    "run_in_foreground",
    "stop_group",
]


def mlflow_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for an ``mlflow`` child process.

    ``mlflow models serve --env-manager local`` exits 127 unless this interpreter's ``bin``
    folder (where ``mlflow`` and ``uvicorn`` live) is on ``PATH``; we put it first.
    """
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", "")])
    env.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
    env.update(extra or {})
    return env


def backend_store_uri(uri: str) -> str:
    """The SQLAlchemy URI MLflow should get: PostgreSQL through psycopg 3, the repo's one driver.

    ``postgresql://`` alone means psycopg2 to SQLAlchemy; the workspace installs psycopg 3 only
    (stage 4 uses it too), so plain PostgreSQL URIs get the ``+psycopg`` dialect.
    """
    for prefix in ("postgresql://", "postgres://"):
        if uri.startswith(prefix):
            return "postgresql+psycopg://" + uri.removeprefix(prefix)
    return uri


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a member we may not signal still counts as alive
        return True
    return True


def stop_group(process: subprocess.Popen[bytes], *, timeout_s: float = 5.0) -> int:
    """SIGTERM the process group led by ``process``; SIGKILL whatever is left after ``timeout_s``.

    ``process`` must have been started with ``start_new_session=True``. Members that outlive
    the leader (mlflow's job workers) are waited for and killed too. Returns the leader's code.
    """
    pgid = process.pid
    code = stop_tree(process, timeout_s=timeout_s, group=True)
    deadline = time.monotonic() + timeout_s
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _group_alive(pgid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    return code


def run_in_foreground(args: list[str], env: dict[str, str], *, grace_s: float = 10.0) -> int:
    """Run ``args`` as its own process group until it exits; SIGTERM/SIGINT stop the whole group.

    This is how ``python -m stage3_mlops server`` runs ``mlflow server``: a supervisor that
    sends SIGTERM to it, or a Ctrl-C, leaves no worker behind: the group gets SIGTERM, and
    SIGKILL after ``grace_s``. Returns the child's exit code.
    """
    process = subprocess.Popen(args, env=env, start_new_session=True)
    asked: list[float] = []  # when a stop was asked (the handler only signals; the loop waits)

    def _stop(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        asked.append(time.monotonic())
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while process.poll() is None:
            if asked and time.monotonic() - asked[0] > grace_s:
                break  # stop_group below escalates to SIGKILL
            time.sleep(0.2)
    finally:
        code = stop_group(process, timeout_s=grace_s)  # workers may outlive the leader
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code


class ServerProcess:
    """A child process with a log file and a readiness probe; a context manager."""

    def __init__(
        self, args: list[str], *, url: str, probe: str, log_path: Path, env: dict[str, str]
    ):
        self.args = args
        self.url = url
        self.probe = probe
        self.log_path = log_path
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 240.0) -> ServerProcess:
        """Launch and wait until the probe answers 200 (raises ServerError on exit or timeout)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.args,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                start_new_session=True,
            )
        try:
            wait_until_answers(
                self.url + self.probe, process=self.process, timeout_s=timeout, interval_s=0.5
            )
        except ProcessStartError as exc:
            if exc.returncode is None:
                self.stop()
                message = f"{self.url} did not answer within {timeout:.0f} s"
            else:
                message = f"{self.args[0]} exited with code {exc.returncode} while starting"
            message += f"; its last lines: {self.log_tail()}"
            raise ServerError(message, log_path=str(self.log_path)) from exc
        return self

    def log_tail(self, lines: int = 6) -> str:
        """The last non-empty lines of the log on one line (why a server did not start)."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        kept = [line.strip()[:240] for line in text.splitlines() if line.strip()][-lines:]
        return " | ".join(kept) or "(empty log)"

    def stop(self) -> None:
        """Terminate the process group (the server and its workers) and wait for it.

        mlflow's workers can ignore SIGTERM: after 5 s the whole group gets SIGKILL.
        """
        if self.process is not None:
            stop_group(self.process, timeout_s=5)

    def __enter__(self) -> ServerProcess:
        return self.start() if self.process is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class TrackingServer(ServerProcess):
    """``mlflow server``: SQLite (or any SQLAlchemy URI) backend, artefacts proxied to a folder.

    **Usage**::

        with TrackingServer.sqlite(tmp_path) as server:
            mlops = RecommendationMLOps("exp", tracking_uri=server.url)
    """

    def __init__(
        self,
        backend_uri: str,
        artifacts_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_path: Path | None = None,
    ) -> None:
        port = port or find_free_port(host)
        artifacts_dir.mkdir(parents=True, exist_ok=True)
        args = [
            *(str(Path(sys.executable).parent / "mlflow"),),
            "server",
            "--backend-store-uri",
            backend_store_uri(backend_uri),
            "--artifacts-destination",
            str(artifacts_dir.resolve()),
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            "1",
        ]
        self.backend_uri = backend_uri
        super().__init__(
            args,
            url=f"http://{host}:{port}",
            probe="/health",
            log_path=log_path or artifacts_dir.parent / "mlflow-server.log",
            env=mlflow_env(),
        )

    @classmethod
    def sqlite(cls, folder: Path, *, host: str = "127.0.0.1", port: int = 0) -> TrackingServer:
        """A server whose registry and runs live in ``folder/mlflow.db`` and ``folder/artifacts``."""
        folder.mkdir(parents=True, exist_ok=True)
        return cls(
            f"sqlite:///{(folder / 'mlflow.db').resolve()}",
            folder / "artifacts",
            host=host,
            port=port,
            log_path=folder / "mlflow-server.log",
        )


class ModelServer(ServerProcess):
    """``mlflow models serve --env-manager local`` for a model URI such as ``models:/m@champion``."""

    def __init__(
        self,
        model_uri: str,
        *,
        tracking_uri: str,
        host: str = "127.0.0.1",
        port: int = 0,
        log_path: Path,
    ) -> None:
        port = port or find_free_port(host)
        args = [
            str(Path(sys.executable).parent / "mlflow"),
            "models",
            "serve",
            "-m",
            model_uri,
            "--env-manager",
            "local",
            "-h",
            host,
            "-p",
            str(port),
            "-w",
            "1",
        ]
        super().__init__(
            args,
            url=f"http://{host}:{port}",
            probe="/ping",
            log_path=log_path,
            env=mlflow_env({"MLFLOW_TRACKING_URI": tracking_uri}),
        )


def predict_over_http(url: str, user_ids: list[int], k: int = 10) -> list[list[int]]:
    """POST ``/invocations`` and return each user's ranked item ids (the REST contract)."""
    payload = {
        "dataframe_split": {"columns": ["user_id"], "data": [[u] for u in user_ids]},
        "params": {"k": k},
    }
    response = httpx.post(f"{url}/invocations", json=payload, timeout=60.0)
    if response.status_code != 200:
        raise ServerError(
            f"{url}/invocations answered {response.status_code}: {response.text[:300]}"
        )
    rows = response.json()["predictions"]
    ranked: dict[int, list[tuple[int, int]]] = {u: [] for u in user_ids}
    for row in rows:
        ranked[int(row["user_id"])].append((int(row["rank"]), int(row["item_id"])))
    return [[item for _, item in sorted(ranked[u])] for u in user_ids]
