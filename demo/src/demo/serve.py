"""The MLflow UI over the demo's SQLite store, for ``--serve`` (a real ``mlflow ui`` process)."""

from __future__ import annotations

import sys
from pathlib import Path

from demo.config import DemoSettings
from demo.step_mlops import tracking_uri_for
from stage3_mlops.servers import ServerProcess, find_free_port, mlflow_env

__all__ = ["start_mlflow_ui"]


def start_mlflow_ui(settings: DemoSettings) -> ServerProcess | None:
    """Start ``mlflow ui`` on a free loopback port; None when a remote server is in use."""
    if settings.mlflow_tracking_uri:
        return None  # the learner's own server already has a UI
    uri, store_dir = tracking_uri_for(settings)
    port = find_free_port()
    args = [
        str(Path(sys.executable).parent / "mlflow"),
        "ui",
        "--backend-store-uri",
        uri,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",  # MLflow's default of 4 workers takes minutes to start on 2 busy cores
    ]
    log = Path(store_dir or settings.out) / "mlflow-ui.log"
    ui = ServerProcess(
        args, url=f"http://127.0.0.1:{port}", probe="/health", log_path=log, env=mlflow_env()
    )
    try:
        return ui.start()
    except BaseException:  # Ctrl-C while it starts: it runs in its own session, so stop it here
        ui.stop()
        raise
