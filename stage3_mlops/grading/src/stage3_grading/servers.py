"""The MLflow processes the grader starts: its own tracking server and ``mlflow models serve``.

Both are started from this interpreter's ``bin`` (where ``mlflow`` lives), log to a file and are
stopped with their whole process tree. A model server inherits ``PYTHONPATH`` from the probe's
child, so a learner's own pyfunc class (pickled by reference to their module) is importable.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import TracebackType

from opskit.processes import ProcessStartError, free_port, stop_tree, wait_until_answers

__all__ = ["MlflowProcess", "ServerStartError", "model_server", "tracking_server"]


class ServerStartError(RuntimeError):
    """Raised when an MLflow process exits or does not answer in time (message has the log tail)."""


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    # `mlflow models serve --env-manager local` execs uvicorn by name: our bin must be on PATH
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(extra or {})
    return env


def _mlflow() -> str:
    return str(Path(sys.executable).parent / "mlflow")


class MlflowProcess:
    """A started MLflow process with a readiness URL; a context manager that stops it."""

    def __init__(self, args: list[str], *, url: str, probe: str, log: Path, env: dict[str, str]):
        self.args = args
        self.url = url
        self.probe = probe
        self.log = log
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float) -> MlflowProcess:
        """Launch and wait for ``probe`` to answer 200; raises ServerStartError with the log tail."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as fh:
            self.process = subprocess.Popen(
                self.args,
                stdout=fh,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                start_new_session=True,
            )
        try:
            wait_until_answers(
                self.url + self.probe, process=self.process, timeout_s=timeout_s, interval_s=0.5
            )
        except ProcessStartError as exc:
            self.stop()
            raise ServerStartError(f"{exc}; last lines of {self.log}: {self.tail()}") from exc
        return self

    def tail(self, lines: int = 6) -> str:
        """The last non-empty lines of the log, joined on one line."""
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        kept = [ln.strip()[:240] for ln in text.splitlines() if ln.strip()][-lines:]
        return " | ".join(kept) or "(empty log)"

    def stop(self) -> None:
        """Terminate the process group; SIGKILL the tree after 5 s (mlflow workers linger)."""
        if self.process is not None:
            stop_tree(self.process, timeout_s=5, group=True)

    def __enter__(self) -> MlflowProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def tracking_server(folder: Path, *, host: str = "127.0.0.1") -> MlflowProcess:
    """``mlflow server`` on a free port: SQLite in ``folder``, artefacts proxied to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "artifacts").mkdir(exist_ok=True)
    port = free_port(host)
    args = [
        _mlflow(),
        "server",
        "--backend-store-uri",
        f"sqlite:///{(folder / 'mlflow.db').resolve()}",
        "--artifacts-destination",
        str((folder / "artifacts").resolve()),
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    # MLflow's server-side job runner (a runner and 7 huey consumers, ~2 GB) serves nothing the
    # grader asks; the product's server turns it off the same way
    env = _env({"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"})
    return MlflowProcess(
        args, url=f"http://{host}:{port}", probe="/health", log=folder / "server.log", env=env
    )


def model_server(model_uri: str, *, tracking_uri: str, log: Path) -> MlflowProcess:
    """``mlflow models serve --env-manager local`` of ``model_uri`` on a free loopback port."""
    port = free_port()
    args = [
        _mlflow(),
        "models",
        "serve",
        "-m",
        model_uri,
        "--env-manager",
        "local",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-w",
        "1",
    ]
    env = _env({"MLFLOW_TRACKING_URI": tracking_uri})
    return MlflowProcess(args, url=f"http://127.0.0.1:{port}", probe="/ping", log=log, env=env)
