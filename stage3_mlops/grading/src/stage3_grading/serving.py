"""Serve a registered model the way MLflow deploys it and compare its answers with the model's own."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gradekit.stages import GradeContext
from stage3_grading.lab import Lab
from stage3_grading.recommendations import UnreadableOutput, distinct_lists, query_server
from stage3_grading.steps import fail, step
from stage3_mlops.errors import ServerError
from stage3_mlops.servers import ModelServer

__all__ = ["K", "Served", "compare_served", "personal", "serve_and_query"]

K = 10
SERVER_START_S = 300.0


@dataclass(frozen=True)
class Served:
    """What a server answered next to what the registered model itself predicts."""

    served: list[list[int]]
    expected: list[list[int]]

    @property
    def equal(self) -> bool:
        """True when every user's served list is the model's own."""
        return self.served == self.expected

    def first_difference(self, users: list[int]) -> str:
        """The first user whose lists differ, for the evidence."""
        for user, got, want in zip(users, self.served, self.expected, strict=True):
            if got != want:
                return f"user {user}: served {got[:5]}…, the model predicts {want[:5]}…"
        return "none"


def serve_and_query(
    ctx: GradeContext, lab: Lab, model_uri: str, users: list[int], log: Path
) -> list[list[int]]:
    """Start ``mlflow models serve`` of ``model_uri``, ask /invocations, stop the server."""
    server = ModelServer(model_uri, tracking_uri=lab.url, log_path=log)
    try:
        server.start(timeout=SERVER_START_S)
    except ServerError as exc:
        raise fail(f"`mlflow models serve -m {model_uri}` did not start: {exc}") from exc
    with server:
        try:
            return query_server(server.url, users, k=K)
        except UnreadableOutput as exc:
            raise fail(f"{model_uri} served over /invocations: {exc}") from exc


def compare_served(
    ctx: GradeContext, lab: Lab, served: list[list[int]], version_uri: str, users: list[int]
) -> Served:
    """The served lists next to ``version_uri``'s own predictions (loaded with mlflow.pyfunc)."""
    expected = step(
        ctx,
        f"mlflow.pyfunc.load_model({version_uri!r}).predict",
        lab.predictions,
        version_uri,
        users,
        k=K,
    )
    return Served(served=served, expected=expected)


def personal(lists: list[list[int]]) -> bool:
    """True when the users did not all get the same list."""
    return distinct_lists(lists) > 1
