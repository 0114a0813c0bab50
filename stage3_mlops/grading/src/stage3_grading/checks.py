"""One isolated check per criterion, all against one tracking server that the grader owns.

The server runs in the grader's process tree (it is the grader's instrument, not the learner's
code) and listens on the Docker bridge's address when an engine is there, so the container of
criterion ``docker`` reaches it as the other checks do; otherwise on loopback.
"""

from __future__ import annotations

import atexit
import shutil

import psutil

from gradekit.result import Measurement
from gradekit.runner import Check
from gradekit.stages import GradeContext
from stage3_grading.criteria import CRITERIA
from stage3_grading.docker_check import measure_docker
from stage3_grading.probe_drift import judge
from stage3_mlops.errors import ServerError
from stage3_mlops.servers import TrackingServer

__all__ = ["TrackingHub", "build_checks"]

UI_S = 900.0
ROLLBACK_S = 900.0
DRIFT_S = 900.0
TRACKING_START_S = 300.0
_PROBES = "stage3_grading"


def _bridge_address() -> str | None:
    """docker0's IPv4 address (containers reach the host there), if the bridge exists."""
    for addr in psutil.net_if_addrs().get("docker0", []):
        if addr.family.name == "AF_INET":
            return str(addr.address)
    return None


class TrackingHub:
    """The grader's MLflow tracking server, started on first use from an empty store."""

    def __init__(self, ctx: GradeContext) -> None:
        self.folder = ctx.work_dir / "mlflow"
        self.server: TrackingServer | None = None
        self.problem = ""

    def url(self) -> str:
        """The server's URL (raises ServerError, with its log's last lines, when it cannot start)."""
        if self.server is None:
            shutil.rmtree(self.folder, ignore_errors=True)  # every grade starts from an empty store
            server = TrackingServer.sqlite(self.folder, host=_bridge_address() or "127.0.0.1")
            atexit.register(server.stop)
            self.server = server
            server.start(timeout=TRACKING_START_S)
        return self.server.url

    def stop(self) -> None:
        """Stop the server (idempotent)."""
        if self.server is not None:
            self.server.stop()


def build_checks(ctx: GradeContext) -> list[Check]:
    """The four checks; the learner's code runs only in their children."""
    hub = TrackingHub(ctx)

    def isolated(target: str, timeout_s: float, name: str, **kwargs: str) -> Measurement:
        try:
            url = hub.url()
        except ServerError as exc:
            return Measurement(
                value=None,
                passed=False,
                inconclusive=f"the grader's tracking server did not start: {exc}",
                evidence="",
            )
        return ctx.isolated(
            f"{_PROBES}.{target}", timeout_s=timeout_s, name=name, tracking_uri=url, **kwargs
        )()

    def drift() -> Measurement:
        stable = isolated("probe_drift:probe_drift", DRIFT_S, "drift_stable", scenario="stable")
        drifted = isolated("probe_drift:probe_drift", DRIFT_S, "drift_drifted", scenario="drift")
        return judge(stable, drifted)

    def docker() -> Measurement:
        try:
            return measure_docker(ctx, hub.url)
        except ServerError as exc:
            return Measurement(
                value=None,
                passed=False,
                inconclusive=f"the grader's tracking server did not start: {exc}",
                evidence="",
            )
        finally:
            hub.stop()

    return [
        Check(CRITERIA["mlflow_ui"], lambda: isolated("probe_ui:probe_ui", UI_S, "mlflow_ui")),
        Check(
            CRITERIA["rollback"],
            lambda: isolated("probe_rollback:probe_rollback", ROLLBACK_S, "rollback"),
        ),
        Check(CRITERIA["drift"], drift),
        Check(CRITERIA["docker"], docker),
    ]
