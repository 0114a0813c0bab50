"""The serving side of the registry: which version is champion, and its model, loaded once.

Registry versions are immutable, so a loaded model is cached by version; when the alias moves
(a promotion, a rollback, another process), the next call loads the new version.
"""

from __future__ import annotations

import mlflow
import pandas as pd

from stage3_mlops import registry
from stage3_mlops.errors import RegistryError
from stage3_mlops.models import Recommender
from stage3_mlops.pyfunc import RecommenderPyfunc
from stage3_mlops.tracking import TrackingContext

__all__ = ["ChampionLoader", "seen_interactions"]


class ChampionLoader:
    """Reads the ``champion`` alias and loads its recommender through MLflow, cached by version."""

    def __init__(self, ctx: TrackingContext) -> None:
        self.ctx = ctx
        self._loaded: dict[str, Recommender] = {}

    def version(self) -> str | None:
        """The registry version ``champion`` points to (None before any deployment)."""
        found = registry.get_alias_version(self.ctx.client, self.ctx.model_name, registry.CHAMPION)
        return str(found.version) if found else None

    def load(self) -> Recommender:
        """The champion's recommender (``models:/<name>/<version>``)."""
        name = self.ctx.model_name
        version = self.version()
        if version is None:
            raise RegistryError(f"{name!r} has no champion; run deploy_best_model first")
        if version not in self._loaded:
            model = mlflow.pyfunc.load_model(f"models:/{name}/{version}")
            wrapper = model.unwrap_python_model()
            if not isinstance(wrapper, RecommenderPyfunc):
                raise RegistryError(f"{name!r} v{version} is not a stage3 recommender")
            self._loaded[version] = wrapper.recommender
        return self._loaded[version]


def seen_interactions(model: Recommender) -> pd.DataFrame:
    """The model's training interactions as (user_id, item_id) pairs (what it will not recommend)."""
    rows, cols = model.seen.nonzero()
    return pd.DataFrame({"user_id": model.user_ids[rows], "item_id": model.item_ids[cols]})
