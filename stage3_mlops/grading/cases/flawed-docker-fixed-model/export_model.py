"""Export a model once, into the image (the mistake: the registry's champion is never used)."""

import sys
import tempfile
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd

from mlops import TopKRecommender, fit

rng = np.random.default_rng(0)
frame = pd.DataFrame({"user_id": rng.integers(0, 300, 5000), "item_id": rng.integers(0, 150, 5000)})
model = fit(frame, {"model": "item_knn", "neighbors": 50})
with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "model.npz"
    np.savez(path, **model)
    mlflow.pyfunc.save_model(sys.argv[1], python_model=TopKRecommender(), artifacts={"model": str(path)})
