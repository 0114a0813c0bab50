"""Errors of the prediction service, grouped by what the caller can do about them.

Stage5Error
 ├── ModelNotFound        the requested ``model_version`` does not exist: ask for another (404)
 ├── FeatureCountError    the request has the wrong number of features for the model (422)
 ├── RegistryUnavailable  the model registry did not answer and no cached model can: retry (503)
 ├── Overloaded           the batching queue is full: retry after ``Retry-After`` seconds (503)
 ├── UnsafePathError      a batch input path escapes the data directory or holds bytes no file
 │                        name can (NUL, control characters, lone surrogates): fix the path (400)
 ├── BatchInputError      a batch input file is missing or unreadable: fix the file (job fails)
 └── JobLimitError        a batch job over a limit: too many running (429), input too big (413)
"""

from __future__ import annotations

__all__ = [
    "BatchInputError",
    "FeatureCountError",
    "JobLimitError",
    "ModelNotFound",
    "Overloaded",
    "RegistryUnavailable",
    "Stage5Error",
    "UnsafePathError",
]


class Stage5Error(Exception):
    """Raised for any failure of the prediction service; the base of this module's errors."""


class ModelNotFound(Stage5Error, LookupError):
    """Raised when ``model_version`` names no version, number or alias of the served model."""

    def __init__(self, model_version: str, known: str = "") -> None:
        self.model_version = model_version
        hint = f" (known: {known})" if known else ""
        super().__init__(f"model_version {model_version!r} not found{hint}")


class FeatureCountError(Stage5Error, ValueError):
    """Raised when a request carries a different number of features than the model expects."""

    def __init__(self, expected: int, got: int) -> None:
        self.expected = expected
        self.got = got
        super().__init__(f"features: expected {expected} values for this model, got {got}")


class RegistryUnavailable(Stage5Error):
    """Raised when the model registry cannot be asked (down, refusing, timing out)."""

    def __init__(self, model_version: str, reason: str) -> None:
        self.model_version = model_version
        super().__init__(
            f"model_version {model_version!r}: the model registry did not answer ({reason}); "
            "retry later"
        )


class Overloaded(Stage5Error):
    """Raised when the batching queue is at its admission limit; the client should retry later."""

    def __init__(self, depth: int, limit: int, retry_after_s: int = 1) -> None:
        self.depth = depth
        self.limit = limit
        self.retry_after_s = retry_after_s
        super().__init__(f"queue depth {depth} reached the admission limit {limit}")


class UnsafePathError(Stage5Error, ValueError):
    """Raised when a batch input path is absolute, contains ``..`` or resolves outside data_dir."""

    def __init__(
        self, path: str, reason: str, fix: str = "pass a path relative to the data directory"
    ) -> None:
        self.path = path
        super().__init__(f"file_path {path!r} rejected: {reason}; {fix}")


class BatchInputError(Stage5Error, ValueError):
    """Raised when a batch input file is missing, of an unknown type or has unusable columns."""


class JobLimitError(Stage5Error):
    """Raised when a batch job would pass a limit; ``status`` is the HTTP answer (413 or 429)."""

    def __init__(self, status: int, message: str, *, retry_after_s: int | None = None) -> None:
        self.status = status
        self.retry_after_s = retry_after_s
        super().__init__(message)
