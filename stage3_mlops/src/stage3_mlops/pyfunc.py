"""The MLflow pyfunc wrapper: any fitted recommender served as ``user_id`` in, top-k items out.

Input: a DataFrame with an integer ``user_id`` column. Parameter ``k`` (default 10) is declared
in the signature — MLflow silently drops request parameters the signature does not declare.
Output: one row per (user_id, rank, item_id).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature, infer_signature
from mlflow.models.model import ModelInfo
from mlflow.pyfunc.model import PythonModel, PythonModelContext

from stage3_mlops.models import Recommender, load_recommender

__all__ = ["RecommenderPyfunc", "log_recommender", "model_signature"]

_ARTIFACT = "recommender"


class RecommenderPyfunc(PythonModel):
    """Loads the saved recommender from the model's artifacts and ranks items for users."""

    def load_context(self, context: PythonModelContext) -> None:
        """Rebuild the recommender from its ``.npz`` artifact (runs once when the model loads)."""
        self.recommender: Recommender = load_recommender(context.artifacts[_ARTIFACT])

    def predict(
        self,
        context: PythonModelContext,
        model_input: pd.DataFrame,
        params: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        """Top-k item ids per requested user (unknown users get the popularity ranking)."""
        del context
        frame = pd.DataFrame(model_input)
        if "user_id" not in frame.columns:
            raise ValueError("input needs a 'user_id' column, e.g. {'user_id': [1, 2]}")
        k = int((params or {}).get("k", 10))
        users = frame["user_id"].to_numpy(dtype=np.int64)
        return self.recommender.recommend_frame(users, k)


def model_signature(recommender: Recommender, example: pd.DataFrame, k: int) -> ModelSignature:
    """Signature with the ``k`` parameter declared, inferred from a real prediction."""
    output = recommender.recommend_frame(example["user_id"].to_numpy(), k)
    return infer_signature(example, output, params={"k": k})


def log_recommender(recommender: Recommender, *, k: int = 10) -> ModelInfo:
    """Log ``recommender`` as the active run's pyfunc model ``model``, with signature and example.

    Requirements are pinned explicitly: letting MLflow infer them loads the model in a subprocess,
    which costs seconds per run.
    """
    example = pd.DataFrame({"user_id": recommender.user_ids[:3].astype(np.int64)})
    with tempfile.TemporaryDirectory() as tmp:
        path = recommender.save(Path(tmp) / "recommender.npz")
        info: ModelInfo = mlflow.pyfunc.log_model(
            name="model",
            python_model=RecommenderPyfunc(),
            artifacts={_ARTIFACT: str(path)},
            signature=model_signature(recommender, example, k),
            input_example=example,
            pip_requirements=[
                f"mlflow=={mlflow.__version__}",
                "numpy",
                "pandas",
                "scipy",
                "scikit-learn",
            ],
        )
        return info
