"""The MLflow pyfunc wrapper: any fitted recommender served as ``user_id`` in, top-k items out.

Input: a DataFrame with an integer ``user_id`` column. Parameter ``k`` (default 10) is declared
in the signature — MLflow silently drops request parameters the signature does not declare.
Output: one row per (user_id, rank, item_id).

A request's work grows with users × k, so both are capped (:class:`~stage3_mlops.config.
ServingLimits`, 1,000 users and k ≤ 100 by default). A request over a cap, or with k < 1, is
refused with an ``MlflowException`` (``INVALID_PARAMETER_VALUE``): the model server answers 400
with the message only — any other exception becomes a 400 that carries the server's traceback.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature, infer_signature
from mlflow.models.model import ModelInfo
from mlflow.pyfunc.model import PythonModel, PythonModelContext

from stage3_mlops.config import ServingLimits
from stage3_mlops.models import Recommender, load_recommender

__all__ = [
    "RecommenderPyfunc",
    "check_request",
    "log_recommender",
    "model_signature",
    "save_recommender",
]

_ARTIFACT = "recommender"


class RecommenderPyfunc(PythonModel):
    """Loads the saved recommender from the model's artifacts and ranks items for users."""

    def load_context(self, context: PythonModelContext) -> None:
        """Rebuild the recommender from its ``.npz`` artifact (runs once when the model loads)."""
        self.recommender: Recommender = load_recommender(context.artifacts[_ARTIFACT])
        self.limits = ServingLimits.from_env()

    def predict(
        self,
        context: PythonModelContext,
        model_input: pd.DataFrame,
        params: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        """Top-k item ids per requested user (unknown users get the popularity ranking)."""
        del context
        frame = pd.DataFrame(model_input)
        limits = getattr(self, "limits", None) or ServingLimits.from_env()
        k = check_request(frame, (params or {}).get("k", 10), limits)
        users = frame["user_id"].to_numpy(dtype=np.int64)
        return self.recommender.recommend_frame(users, k)


def check_request(frame: pd.DataFrame, k: object, limits: ServingLimits) -> int:
    """The request's ``k`` as an int, or an ``MlflowException`` (400) naming the limit broken."""
    if "user_id" not in frame.columns:
        raise MlflowException.invalid_parameter_value(
            "input needs a 'user_id' column, e.g. "
            '{"dataframe_split": {"columns": ["user_id"], "data": [[1], [2]]}}'
        )
    if len(frame) > limits.max_users:
        raise MlflowException.invalid_parameter_value(
            f"{len(frame)} users in one request; at most {limits.max_users} are served per "
            "request: split the request (the server's STAGE3_MAX_USERS_PER_REQUEST sets the cap)"
        )
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise MlflowException.invalid_parameter_value(f"k must be an integer, got {k!r}")
    if not 1 <= int(k) <= limits.max_k:
        raise MlflowException.invalid_parameter_value(
            f"k={k} is out of range: ask for 1 to {limits.max_k} items per user "
            "(the server's STAGE3_MAX_K sets the cap)"
        )
    return int(k)


def model_signature(recommender: Recommender, example: pd.DataFrame, k: int) -> ModelSignature:
    """Signature with the ``k`` parameter declared, inferred from a real prediction."""
    output = recommender.recommend_frame(example["user_id"].to_numpy(), k)
    return infer_signature(example, output, params={"k": k})


def _model_arguments(recommender: Recommender, folder: Path, k: int) -> dict[str, Any]:
    """What both log_recommender and save_recommender pass to MLflow.

    Requirements are pinned explicitly: letting MLflow infer them loads the model in a
    subprocess, which costs seconds per run.
    """
    example = pd.DataFrame({"user_id": recommender.user_ids[:3].astype(np.int64)})
    path = recommender.save(folder / "recommender.npz")
    return {
        "python_model": RecommenderPyfunc(),
        "artifacts": {_ARTIFACT: str(path)},
        "signature": model_signature(recommender, example, k),
        "input_example": example,
        "pip_requirements": [
            f"mlflow=={mlflow.__version__}",
            "numpy",
            "pandas",
            "scipy",
            "scikit-learn",
        ],
    }


def log_recommender(recommender: Recommender, *, k: int = 10) -> ModelInfo:
    """Log ``recommender`` as the active run's pyfunc model ``model``, with signature and example."""
    with tempfile.TemporaryDirectory() as tmp:
        info: ModelInfo = mlflow.pyfunc.log_model(
            name="model", **_model_arguments(recommender, Path(tmp), k)
        )
    return info


def save_recommender(recommender: Recommender, path: str | Path, *, k: int = 10) -> Path:
    """Save ``recommender`` as a pyfunc model folder at ``path`` (no tracking server needed)."""
    target = Path(path)
    with tempfile.TemporaryDirectory() as tmp:
        mlflow.pyfunc.save_model(str(target), **_model_arguments(recommender, Path(tmp), k))
    return target
