"""Connect to the MLflow tracking server: a wrong URI fails in seconds, naming the URI and the fix.

MLflow's own client retries a refused connection 7 times with exponential back-off (about
4 minutes) and waits 120 s per request, so a typo in the URI looks like a hang. Before any
MLflow call, :func:`connect` asks ``GET /health`` with a short timeout, and bounds MLflow's
retries and request timeout for the rest of the process (``MLFLOW_HTTP_REQUEST_MAX_RETRIES``,
``MLFLOW_HTTP_REQUEST_TIMEOUT``; values you set yourself are kept).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import httpx
import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from stage3_mlops.config import MLOpsConfig
from stage3_mlops.errors import TrackingError

__all__ = ["TrackingContext", "bound_http_retries", "check_tracking_server", "connect"]

DEFAULT_HTTP_TIMEOUT_S = 60
DEFAULT_HTTP_MAX_RETRIES = 2
_REFUSED_TRIES = 3  # a server started a moment ago may not listen yet: retry briefly
_FIX = (
    "start it with `make serve-mlflow-stage3` (or `python -m stage3_mlops server`), "
    "or pass the server's URL as tracking_uri / --tracking-uri / MLFLOW_TRACKING_URI"
)


@dataclass(frozen=True)
class TrackingContext:
    """Where a :class:`~stage3_mlops.mlops.RecommendationMLOps` records: server, experiment, model."""

    client: MlflowClient
    tracking_uri: str
    experiment_name: str
    experiment_id: str
    model_name: str


def bound_http_retries(config: MLOpsConfig) -> tuple[int, float]:
    """Set MLflow's REST retry count and timeout for this process; returns (retries, timeout).

    An explicit ``config`` value wins, then a value already in the environment, then our bound.
    """
    retries = config.http_max_retries
    if retries is None:
        retries = int(os.environ.get("MLFLOW_HTTP_REQUEST_MAX_RETRIES", DEFAULT_HTTP_MAX_RETRIES))
    timeout = config.http_timeout_s
    if timeout is None:
        timeout = float(os.environ.get("MLFLOW_HTTP_REQUEST_TIMEOUT", DEFAULT_HTTP_TIMEOUT_S))
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = str(retries)
    os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = str(int(max(1, round(timeout))))
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    return retries, timeout


def check_tracking_server(uri: str, *, timeout_s: float = 10.0) -> None:
    """Raise :class:`TrackingError` unless the server at ``uri`` answers ``GET /health``.

    Only ``http(s)://`` URIs are checked (a local ``sqlite:``/``file:`` store has no server).
    """
    if not uri.startswith(("http://", "https://")):
        return
    url = uri.rstrip("/") + "/health"
    started = time.monotonic()
    for attempt in range(1, _REFUSED_TRIES + 1):
        try:
            response = httpx.get(url, timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5)))
        except httpx.ConnectError as exc:
            if attempt < _REFUSED_TRIES:
                time.sleep(attempt * 0.5)
                continue
            waited = time.monotonic() - started
            raise TrackingError(
                f"MLflow tracking server {uri} refused the connection ({attempt} tries over "
                f"{waited:.0f} s: {exc}); {_FIX}",
                tracking_uri=uri,
            ) from None
        except httpx.TimeoutException:
            raise TrackingError(
                f"MLflow tracking server {uri} did not answer GET /health within {timeout_s:g} s; "
                "check that the URI points at an MLflow server (not another service) and that "
                "the server is not stuck, or allow more time with "
                "MLOpsConfig(connect_timeout_s=...)",
                tracking_uri=uri,
            ) from None
        except httpx.HTTPError as exc:
            raise TrackingError(
                f"MLflow tracking server {uri} could not be asked GET /health ({exc}); {_FIX}",
                tracking_uri=uri,
            ) from None
        if response.status_code != 200:
            raise TrackingError(
                f"{url} answered {response.status_code}, not 200: the URI does not point at a "
                f"healthy MLflow tracking server; {_FIX}",
                tracking_uri=uri,
            )
        return


def connect(
    experiment_name: str,
    *,
    tracking_uri: str | None,
    registered_model_name: str | None,
    config: MLOpsConfig,
) -> TrackingContext:
    """Check the server, bound MLflow's retries, and create (or reuse) the experiment."""
    if not experiment_name:
        raise ValueError("experiment_name must be a non-empty string, e.g. 'recsys'")
    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
    uri = mlflow.get_tracking_uri()
    retries, timeout = bound_http_retries(config)
    check_tracking_server(uri, timeout_s=config.connect_timeout_s)
    try:
        experiment_id = mlflow.set_experiment(experiment_name).experiment_id
    except MlflowException as exc:
        if not exc.message.startswith("API request to"):  # a store-side answer: keep its words
            raise
        raise TrackingError(
            f"MLflow tracking server {uri} failed to set experiment {experiment_name!r} "
            f"({retries} retries, {timeout:g} s per request): {exc.message[:500]}",
            tracking_uri=uri,
        ) from exc
    return TrackingContext(
        client=MlflowClient(tracking_uri=uri),
        tracking_uri=uri,
        experiment_name=experiment_name,
        experiment_id=experiment_id,
        model_name=registered_model_name or f"{experiment_name}-recommender",
    )
