"""Errors of the stage-3 MLOps package, grouped by what the caller can do about them.

Stage3Error
 ├── DataError            bad interactions (missing columns, empty window): fix the input frame
 ├── ModelError           unknown model name or bad hyperparameters: fix the hyperparams dict
 ├── RegistryError        no champion to serve/roll back, or no run to deploy: train/deploy first
 ├── ServerError          a tracking/model server did not start: read its log file
 └── TrackingError        the tracking URI refuses, hangs or fails: start the server or fix the URI
"""

from __future__ import annotations

__all__ = [
    "DataError",
    "ModelError",
    "RegistryError",
    "ServerError",
    "Stage3Error",
    "TrackingError",
]


class Stage3Error(Exception):
    """Raised for any stage-3 failure; the base of this module's errors."""


class DataError(Stage3Error, ValueError):
    """Raised when an interactions frame or a data file is not usable as given."""


class ModelError(Stage3Error, ValueError):
    """Raised when a model name or its hyperparameters are not valid."""


class RegistryError(Stage3Error):
    """Raised when the model registry lacks what an operation needs (a run, a champion, history)."""


class ServerError(Stage3Error, RuntimeError):
    """Raised when an MLflow server process fails to start or answer."""

    def __init__(self, message: str, *, log_path: str | None = None) -> None:
        self.log_path = log_path
        hint = f" (see its log: {log_path})" if log_path else ""
        super().__init__(f"{message}{hint}")


class TrackingError(Stage3Error, ConnectionError):
    """Raised when the MLflow tracking server cannot be reached or does not answer in time."""

    def __init__(self, message: str, *, tracking_uri: str) -> None:
        self.tracking_uri = tracking_uri
        super().__init__(message)
