"""The benchmark's standard protocol on a small file in the real MovieLens-100K formats.

Nothing is downloaded: the files are generated here in the u.data / u.item layouts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from stage3_mlops.data import GeneratorConfig, generate_interactions, load_movielens_items

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def bench() -> Any:
    sys.path.insert(0, str(BENCH))
    try:
        import run  # the bench's entry point (bench/run.py)

        yield run
    finally:
        sys.path.remove(str(BENCH))


@pytest.fixture(scope="module")
def movielens_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """u.data (tab-separated, ratings 1-5, Unix seconds) and u.item (Latin-1, ``|``-separated)."""
    folder = tmp_path_factory.mktemp("ml-100k")
    events = generate_interactions(GeneratorConfig(n_users=120, n_items=80, n_days=21, seed=5))
    rng = np.random.default_rng(5)
    ratings = rng.choice([1, 2, 3, 4, 5], size=len(events), p=[0.06, 0.11, 0.27, 0.34, 0.22])
    data = pd.DataFrame(
        {
            "user": events["user_id"] + 1,
            "item": events["item_id"] + 1,
            "rating": ratings,
            "ts": events["timestamp"].astype("datetime64[s]").astype("int64"),  # Unix seconds
        }
    )
    data.to_csv(folder / "u.data", sep="\t", header=False, index=False)
    flags = "|".join(["0"] * 18)
    lines = [
        f"{i}|Café {i} (1997)|01-Jan-1997||http://example.invalid|0|{flags}" for i in range(1, 81)
    ]
    (folder / "u.item").write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    return folder


def test_standard_protocol_evaluates_every_user_with_a_positive(
    bench: Any, movielens_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "results"
    models = "popularity,ease,ials" if bench.implicit_missing() is None else "popularity,ease"
    result = bench.main(
        [
            "--no-generated",
            "--movielens",
            str(movielens_dir / "u.data"),
            "--seeds",
            "2",
            "--models",
            models,
            "--sims",
            "50",
            "--drift-seeds",
            "1",
            "--out",
            str(out),
        ]
    )
    saved = json.loads((out / "stage3_bench.json").read_text())
    assert saved["command"].startswith("python stage3_mlops/bench/run.py --no-generated")
    (dataset,) = saved["datasets"]
    assert dataset["protocol"] == "standard" and dataset["seeds"] == [0, 1]
    raw = pd.read_csv(movielens_dir / "u.data", sep="\t", header=None)
    users_with_positive = raw[raw[2] >= 4][0].nunique()
    for name in models.split(","):
        summary = dataset["models"][name]
        assert summary["evaluated_users"]["values"] == [users_with_positive] * 2
        ndcg = summary["ndcg_at_10"]
        assert len(ndcg["values"]) == 2 and ndcg["sd"] >= 0
        assert len(summary["fit_seconds"]["values"]) == 2
    assert "± " in dataset["readme_table"]
    assert result["implicit"]["available"] == (bench.implicit_missing() is None)
    titles = load_movielens_items(movielens_dir)
    assert titles["title"].iloc[0] == "Café 1 (1997)"


def test_project_protocol_leaves_users_with_few_positives_unevaluated(
    bench: Any, movielens_dir: Path
) -> None:
    from protocol import run_protocol

    from stage3_mlops.data import load_movielens

    frame = load_movielens(movielens_dir / "u.data", min_rating=4)
    common = {"seeds": [0], "models": ["popularity"]}
    standard = run_protocol(frame, protocol="standard", **common)["popularity"]
    project = run_protocol(frame, protocol="project", **common)["popularity"]
    few = int((frame.groupby("user_id").size() < 5).sum())
    assert few > 0
    assert standard.metrics[0].users == frame["user_id"].nunique()
    assert project.metrics[0].users <= frame["user_id"].nunique() - few
