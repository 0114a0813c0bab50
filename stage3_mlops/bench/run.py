"""Stage 3 benchmark: training time and ranking quality of the four recommenders, plus the
drift detector's false-alarm rate and the A/B simulations. Writes JSON + PNG.

    uv run --frozen python stage3_mlops/bench/run.py                      # generated data
    uv run --frozen python stage3_mlops/bench/run.py --movielens ~/ml-100k/u.data

Protocol (MovieLens, as in the issue's reference points): ratings ≥ 4 are positives, per-user
random 80/20 split (seed 0), NDCG@10. Hyperparameters are tuned on a validation split carved
from the training part (never on test), then the model is refit on the full training part.
Times: each model is fitted ``--repeats`` times, models interleaved (A B C D A B C D ...);
the median is reported with its ratio to the popularity baseline measured in the same loop.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import track
from rich.table import Table

from stage3_mlops.abtest import sample_size_means
from stage3_mlops.data import DriftSpec, GeneratorConfig, generate_interactions, load_movielens
from stage3_mlops.drift import (
    item_popularity_js_excess,
    profile_window,
    user_activity_ks,
    user_activity_psi,
)
from stage3_mlops.metrics import evaluate_recommender, relevant_items
from stage3_mlops.models import create_recommender
from stage3_mlops.preprocess import build_matrix, random_split_per_user
from stage3_mlops.simulations import simulate_aa, simulate_peeking, simulate_power

console = Console()
HERE = Path(__file__).resolve().parent
SEARCH: dict[str, list[dict[str, Any]]] = {
    "popularity": [{}],
    "item_knn": [{"neighbors": n} for n in (20, 50, 100, 200)],
    "ease": [{"l2": v} for v in (50.0, 200.0, 500.0, 1000.0)],
    "svd": [{"factors": f} for f in (8, 16, 32, 64)],
}


def tune(train: pd.DataFrame, seed: int) -> dict[str, dict[str, Any]]:
    """Best settings per model on a validation split carved from ``train`` (test untouched)."""
    inner, valid = random_split_per_user(train, 0.2, seed=seed + 1)
    matrix = build_matrix(inner)
    best: dict[str, dict[str, Any]] = {}
    for name, grid in track(list(SEARCH.items()), description="tuning on validation"):
        scores = [
            (
                evaluate_recommender(create_recommender(name, **p).fit(matrix), inner, valid)[
                    10
                ].ndcg,
                i,
            )
            for i, p in enumerate(grid)
        ]
        best[name] = grid[max(scores)[1]]
    return best


def per_user_ndcg(model: Any, train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """NDCG@10 of each test user (for the A/B power calculation)."""
    relevant = relevant_items(test, train)
    users = np.array(sorted(relevant))
    recs = model.recommend(users, 10)
    disc = 1 / np.log2(np.arange(2, 12))
    out = []
    for row, user in zip(recs, users, strict=True):
        rel = relevant[int(user)]
        hits = np.array([i in rel for i in row])
        out.append(disc[hits].sum() / disc[: min(10, len(rel))].sum())
    return np.array(out)


def bench_models(name: str, frame: pd.DataFrame, seed: int, repeats: int) -> dict[str, Any]:
    train, test = random_split_per_user(frame, 0.2, seed=seed)
    params = tune(train, seed)
    matrix = build_matrix(train)
    times: dict[str, list[float]] = {m: [] for m in SEARCH}
    fitted: dict[str, Any] = {}
    for _ in track(range(repeats + 1), description=f"timing on {name}"):
        for model_name in SEARCH:  # interleaved: A B C D, A B C D, ...
            started = time.perf_counter()
            fitted[model_name] = create_recommender(model_name, **params[model_name]).fit(matrix)
            times[model_name].append(time.perf_counter() - started)
    rows = {}
    base = statistics.median(times["popularity"][1:])
    per_user = {}
    for model_name, model in fitted.items():
        m = evaluate_recommender(model, train, test)[10]
        median = statistics.median(times[model_name][1:])  # first round is the warm-up
        rows[model_name] = {
            "params": params[model_name],
            "fit_seconds_median": median,
            "fit_time_vs_popularity": median / base if base > 0 else None,
            **m.as_mlflow(),
            "evaluated_users": m.users,
        }
        per_user[model_name] = per_user_ndcg(model, train, test)
    power = {}
    for a, b in (("popularity", "ease"), ("item_knn", "ease"), ("svd", "ease")):
        delta = float(per_user[b].mean() - per_user[a].mean())
        sd = float(np.sqrt((per_user[a].var(ddof=1) + per_user[b].var(ddof=1)) / 2))
        power[f"{a}_vs_{b}"] = {
            "ndcg_difference": delta,
            "per_user_sd": sd,
            "users_per_arm_80pct_power": sample_size_means(sd, abs(delta)) if delta else None,
        }
    return {
        "dataset": name,
        "rows": len(frame),
        "users": int(frame["user_id"].nunique()),
        "items": int(frame["item_id"].nunique()),
        "split": f"per-user random 80/20, seed {seed}",
        "models": rows,
        "ab_power": power,
    }


def drift_false_alarms(seeds: int, thresholds: dict[str, float]) -> dict[str, Any]:
    """Alarms per statistic on stable weekly windows vs drifted ones (no MLflow needed)."""
    counts = {"stable": dict.fromkeys(["js_excess", "psi", "ks_p<0.05"], 0), "drift": {}}
    counts["drift"] = dict.fromkeys(["js_excess", "psi", "ks_p<0.05"], 0)
    windows = 0
    for seed in track(range(seeds), description="drift false-alarm rate"):
        for scenario, spec in (
            ("stable", None),
            ("drift", DriftSpec(start_day=28, taste_shift=0.5, new_items=20)),
        ):
            data = generate_interactions(GeneratorConfig(n_days=56, seed=100 + seed, drift=spec))
            day = (data["timestamp"] - data["timestamp"].min()).dt.days
            ref = profile_window(data[(day >= 21) & (day < 28)])
            for week in range(4):
                cur = profile_window(data[(day >= 28 + 7 * week) & (day < 35 + 7 * week)])
                c = counts[scenario]
                c["js_excess"] += item_popularity_js_excess(ref, cur) > thresholds["js_excess"]
                c["psi"] += user_activity_psi(ref, cur) > thresholds["psi"]
                c["ks_p<0.05"] += user_activity_ks(ref, cur)[1] < 0.05
                windows += scenario == "stable"
    return {
        "seeds": seeds,
        "windows_per_scenario": windows,
        "thresholds": thresholds,
        "alarm_rate": {s: {k: v / windows for k, v in c.items()} for s, c in counts.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movielens", type=Path, help="u.data or ratings.csv (never downloaded)")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--days", type=int, default=56)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sims", type=int, default=4000, help="A/B simulation count")
    parser.add_argument("--drift-seeds", type=int, default=10)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()

    generated = generate_interactions(
        GeneratorConfig(n_users=args.users, n_items=args.items, n_days=args.days, seed=args.seed)
    )
    datasets = [bench_models("generated", generated, args.seed, args.repeats)]
    if args.movielens:
        ml = load_movielens(args.movielens, min_rating=4)
        datasets.append(
            bench_models(f"movielens:{args.movielens.name}", ml, args.seed, args.repeats)
        )
    from stage3_mlops.config import DriftThresholds

    t = DriftThresholds()
    drift = drift_false_alarms(
        args.drift_seeds, {"js_excess": t.item_popularity_js_excess, "psi": t.user_activity_psi}
    )
    n = 1774  # users per arm for 10% → 13% at 80% power (sample_size_two_proportions)
    ab = {
        "aa_false_positive_rate": simulate_aa(args.sims, n, 0.10, seed=args.seed),
        "power_10_to_13pct_at_1774_per_arm": simulate_power(
            args.sims, n, 0.10, 0.13, seed=args.seed
        ),
        "peeking_20_looks": simulate_peeking(args.sims, n, 0.10, seed=args.seed).model_dump(),
        "sims": args.sims,
    }
    versions = {
        p: metadata.version(p) for p in ("numpy", "scipy", "scikit-learn", "pandas", "mlflow")
    }
    result = {
        "seed": args.seed,
        "generator": {"users": args.users, "items": args.items, "days": args.days},
        "repeats": args.repeats,
        "datasets": datasets,
        "drift": drift,
        "ab_simulations": ab,
        "versions": {"python": sys.version.split()[0], **versions},
        "machine": {
            "platform": platform.platform(),
            "note": "shared 2-core machine, other jobs running",
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = args.out / "stage3_bench.json.tmp"
    tmp.write_text(json.dumps(result, indent=2, default=float))
    tmp.replace(args.out / "stage3_bench.json")
    chart(datasets, args.out / "stage3_bench.png")
    for d in datasets:
        table = Table(
            title=f"{d['dataset']}: {d['users']} users × {d['items']} items, {d['rows']} rows"
        )
        for col in ("model", "params", "NDCG@10", "recall@10", "coverage", "fit s", "× popularity"):
            table.add_column(col)
        for name, r in d["models"].items():
            table.add_row(
                name,
                json.dumps(r["params"]),
                f"{r['ndcg_at_10']:.3f}",
                f"{r['recall_at_10']:.3f}",
                f"{r['coverage_at_10']:.3f}",
                f"{r['fit_seconds_median']:.4f}",
                f"{r['fit_time_vs_popularity']:.1f}",
            )
        console.print(table)
    console.print(json.dumps({"drift": drift, "ab": ab}, indent=1, default=float))
    console.print(f"wrote {args.out / 'stage3_bench.json'} and stage3_bench.png")


def chart(datasets: list[dict[str, Any]], path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    width = 0.8 / len(datasets)
    names = list(SEARCH)
    x = np.arange(len(names))
    for i, d in enumerate(datasets):
        axes[0].bar(
            x + i * width, [d["models"][m]["ndcg_at_10"] for m in names], width, label=d["dataset"]
        )
        axes[1].bar(
            x + i * width,
            [d["models"][m]["fit_time_vs_popularity"] for m in names],
            width,
            label=d["dataset"],
        )
    for ax, title in zip(
        axes, ("NDCG@10 on the test split", "fit time ÷ popularity fit time"), strict=True
    ):
        ax.set_xticks(x + width * (len(datasets) - 1) / 2, names)
        ax.set_title(title)
        ax.legend()
    axes[1].set_yscale("log")
    fig.tight_layout()
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=110)
    tmp.replace(path)
    plt.close(fig)


if __name__ == "__main__":
    main()
