"""Where models come from: the bundled model, or an MLflow model registry.

Both answer two questions: which version does a reference (``latest``, ``3``, ``champion``)
name right now, and what is the model of that version. Caching lives in ``model_store``.

The references mean what they mean to MLflow users: ``champion`` (or any alias) is the version
the alias points to — stage 3 moves it on promotion and rollback, and it is the service's
default; ``latest`` is what ``models:/<name>/latest`` loads, the highest version number,
promoted or not (stage 3 registers rejected candidates too); digits name one version.
"""

from __future__ import annotations

from typing import Any, Protocol

from stage5_api.errors import ModelNotFound, RegistryUnavailable
from stage5_api.services.bundled_model import BUNDLED_VERSION, train_bundled_model

__all__ = ["BundledRegistry", "MlflowRegistry", "ModelRegistry"]


class ModelRegistry(Protocol):
    """What the model store needs from a registry (all calls are blocking)."""

    def resolve(self, ref: str) -> str:
        """The concrete version a reference names now; raises ModelNotFound."""
        ...

    def load(self, version: str) -> Any:
        """The model object of a concrete version (a scikit-learn estimator or a pyfunc model)."""
        ...


class BundledRegistry:
    """One version, ``1``, reachable as ``latest``, ``1`` or the alias ``champion``.

    ``kind`` picks the bundled model (``logreg`` or ``forest``, see ``bundled_model``).
    """

    ALIASES = ("latest", BUNDLED_VERSION, "champion")

    def __init__(self, kind: str = "logreg") -> None:
        self.kind = kind

    def resolve(self, ref: str) -> str:
        """Map the three known references to version 1."""
        if ref not in self.ALIASES:
            raise ModelNotFound(ref, known=", ".join(self.ALIASES))
        return BUNDLED_VERSION

    def load(self, version: str) -> Any:
        """Train the bundled model (deterministic, so every worker gets the same one)."""
        if version != BUNDLED_VERSION:
            raise ModelNotFound(version, known=BUNDLED_VERSION)
        return train_bundled_model(self.kind)


# MLflow error codes that mean "no such model, version or alias" (anything else: unreachable)
_NOT_FOUND_CODES = frozenset({"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"})


class MlflowRegistry:
    """A registered model in MLflow: ``latest`` is the highest version number, as in MLflow."""

    def __init__(self, tracking_uri: str, model_name: str) -> None:
        from mlflow import MlflowClient  # imported here: MLflow is slow to import

        self.tracking_uri = tracking_uri
        self.model_name = model_name
        self._client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)

    def resolve(self, ref: str) -> str:
        """``latest`` → newest version, digits → that version, anything else → an alias."""
        from mlflow.exceptions import MlflowException

        try:
            if ref == "latest":
                versions = self._client.search_model_versions(f"name='{self.model_name}'")
                if not versions:
                    raise ModelNotFound(ref, known=f"no versions of {self.model_name!r}")
                return str(max(int(v.version) for v in versions))
            if ref.isdigit():
                return str(self._client.get_model_version(self.model_name, ref).version)
            return str(self._client.get_model_version_by_alias(self.model_name, ref).version)
        except MlflowException as exc:
            if exc.error_code in _NOT_FOUND_CODES:
                known = f"versions and aliases of {self.model_name!r}"
                raise ModelNotFound(ref, known=known) from exc
            raise RegistryUnavailable(ref, exc.error_code) from exc
        except OSError as exc:  # a refused or dropped connection that MLflow did not wrap
            raise RegistryUnavailable(ref, type(exc).__name__) from exc

    def load(self, version: str) -> Any:
        """Load the scikit-learn flavour when the model has one, else the generic pyfunc."""
        import mlflow.pyfunc
        import mlflow.sklearn
        from mlflow.exceptions import MlflowException

        uri = f"models:/{self.model_name}/{version}"
        try:
            return mlflow.sklearn.load_model(uri)
        except MlflowException:
            return mlflow.pyfunc.load_model(uri)
