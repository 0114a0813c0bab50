"""A thin MLflow pyfunc that lets stage 5's feature-vector API serve stage 3's recommender.

Stage 5 sends ``{"features": [x0, ...]}`` to a pyfunc as a DataFrame with columns ``f0..fn``;
stage 3's model wants a ``user_id`` column and returns a ranked list. This adapter reads ``f0`` as
the user id and answers with the champion's top item, so neither stage has to change.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from mlflow.pyfunc.model import PythonModel, PythonModelContext

from stage3_mlops import Recommender, load_recommender

__all__ = ["TopItemPyfunc", "log_top_item_model"]

_ARTIFACT = "recommender"


class TopItemPyfunc(PythonModel):
    """Input: one numeric column (the user id). Output: the recommended item id, as a float."""

    def load_context(self, context: PythonModelContext) -> None:
        """Rebuild the recommender from its saved arrays once, when the model loads."""
        self.recommender: Recommender = load_recommender(context.artifacts[_ARTIFACT])

    def predict(
        self,
        context: PythonModelContext,
        model_input: pd.DataFrame,
        params: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        """The top-1 item of each user in the first column (unknown users get the most popular)."""
        del context, params
        users = pd.DataFrame(model_input).iloc[:, 0].to_numpy(dtype=float).astype(np.int64)
        top = self.recommender.recommend(users, 1)[:, 0]
        return pd.DataFrame({"item_id": top.astype(float)})


def log_top_item_model(recommender: Recommender, registered_name: str) -> str:
    """Log the adapter in the active run, register it as ``registered_name``; return the version."""
    example = pd.DataFrame({"f0": recommender.user_ids[:3].astype(float)})
    output = pd.DataFrame(
        {"item_id": recommender.recommend(example["f0"].to_numpy(dtype=int), 1)[:, 0]}
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = recommender.save(Path(tmp) / "recommender.npz")
        info = mlflow.pyfunc.log_model(
            name="api_model",
            python_model=TopItemPyfunc(),
            artifacts={_ARTIFACT: str(path)},
            signature=infer_signature(example, output.astype(float)),
            input_example=example,
            # listed, not inferred: inference would load the model in a subprocess (seconds)
            pip_requirements=[f"mlflow=={mlflow.__version__}", "numpy", "pandas", "scipy"],
            registered_model_name=registered_name,
        )
    return str(info.registered_model_version)
