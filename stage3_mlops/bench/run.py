"""Stage 3 benchmark: ranking quality (mean ± sd over 5 seeds) and fit time of the recommenders,
the drift detector's false-alarm rate and the A/B simulations. Writes JSON + PNG.

    uv run --frozen python stage3_mlops/bench/run.py                      # generated data
    uv run --frozen python stage3_mlops/bench/run.py --movielens ~/ml-100k/u.data
    uv run --frozen python stage3_mlops/bench/run.py --protocol project   # the earlier split

The protocol (``protocol.py``): positives are ratings ≥ 4 on MovieLens (every event on the
generated data); each user's ceil(20 %) random positives are the test, so every user with a
positive is evaluated; seeds 0-4; NDCG@10 etc. as mean ± sd; hyperparameters tuned per seed on
a validation split carved from the training part. iALS and BPR come from the ``implicit``
package (the ``bench`` extra) and are skipped, with the reason in the output, without it.
Fit time: the tuned model's fit on the whole training part, once per seed with the models
interleaved; the median is reported with its ratio to EASE's median from the same loop.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from implicit_models import implicit_missing
from protocol import PROTOCOLS, run_protocol
from rich.console import Console
from rich.progress import Progress, track
from rich.table import Table

from opskit.machine import machine_facts
from stage3_mlops.abtest import sample_size_means
from stage3_mlops.config import DriftThresholds
from stage3_mlops.data import DriftSpec, GeneratorConfig, generate_interactions, load_movielens
from stage3_mlops.drift import (
    item_popularity_js_excess,
    profile_window,
    user_activity_ks,
    user_activity_psi,
)
from stage3_mlops.simulations import simulate_aa, simulate_peeking, simulate_power

console = Console()
HERE = Path(__file__).resolve().parent
BASE_MODELS = ("popularity", "item_knn", "ease", "svd")
LABELS = {
    "popularity": "popularity",
    "item_knn": "item-kNN",
    "ease": "EASE",
    "svd": "SVD",
    "ials": "iALS (implicit)",
    "bpr": "BPR (implicit)",
}


def bench_models(
    name: str, frame: pd.DataFrame, *, protocol: str, seeds: list[int], models: list[str]
) -> dict[str, Any]:
    """Every model over every seed on one dataset, summarised for the JSON and the README."""
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"{name}", total=len(seeds) * len(models))

        def step(label: str) -> None:
            progress.update(task, advance=1, description=f"{name}: {label}")

        runs = run_protocol(frame, protocol=protocol, seeds=seeds, models=models, on_step=step)
    summary = {model: r.summary() for model, r in runs.items()}
    anchor = summary.get("ease", {}).get("fit_seconds", {}).get("median")
    for result in summary.values():
        median = result["fit_seconds"]["median"]
        result["fit_time_vs_ease"] = median / anchor if anchor else None
    power = {}
    first = {model: r.per_user_ndcg[0] for model, r in runs.items()}
    for a in [m for m in models if m != "ease"]:
        if "ease" not in first:
            break
        delta = float(first["ease"].mean() - first[a].mean())
        sd = float(np.sqrt((first[a].var(ddof=1) + first["ease"].var(ddof=1)) / 2))
        power[f"{a}_vs_ease"] = {
            "ndcg_difference": delta,
            "per_user_sd": sd,
            "users_per_arm_80pct_power": sample_size_means(sd, abs(delta)) if delta else None,
        }
    result = {
        "dataset": name,
        "rows": len(frame),
        "users": int(frame["user_id"].nunique()),
        "items": int(frame["item_id"].nunique()),
        "protocol": protocol,
        "protocol_description": PROTOCOLS[protocol][1],
        "seeds": seeds,
        "models": summary,
        "ab_power_seed0": power,
    }
    result["readme_table"] = readme_table(result)
    result["power_table"] = power_table(result)
    return result


def readme_table(d: dict[str, Any]) -> str:
    """One dataset's models as a Markdown table (the README renders it from the JSON)."""
    rows = [
        "| model | NDCG@10 | precision@10 | recall@10 | MAP@10 | coverage | users evaluated "
        "| fit ms (median) | × EASE | tuned settings (seed 0) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for model, r in d["models"].items():

        def pm(metric: str, r: dict[str, Any] = r) -> str:
            return f"{r[metric]['mean']:.3f} ± {r[metric]['sd']:.3f}"

        ratio = r["fit_time_vs_ease"]
        users = r["evaluated_users"]["values"]
        users_text = (
            str(int(users[0])) if len(set(users)) == 1 else f"{min(users):.0f}-{max(users):.0f}"
        )
        rows.append(
            f"| {LABELS.get(model, model)} | {pm('ndcg_at_10')} | {pm('precision_at_10')} "
            f"| {pm('recall_at_10')} | {pm('map_at_10')} | {pm('coverage_at_10')} | {users_text} "
            f"| {1000 * r['fit_seconds']['median']:.1f} | {'-' if ratio is None else f'{ratio:.3g}'} "
            f"| {json.dumps(r['params_per_seed'][0]) if r['params_per_seed'][0] else '-'} |"
        )
    return "\n".join(rows)


def drift_table(drift: dict[str, Any]) -> str:
    """Alarm counts per statistic on stable and drifted windows, as a Markdown table."""
    n = drift["windows_per_scenario"]
    rates = drift["alarm_rate"]
    names = {
        "js_excess": f"item-popularity JS excess (> {drift['thresholds']['js_excess']})",
        "psi": f"user-activity PSI (> {drift['thresholds']['psi']})",
        "ks_p<0.05": "user-activity KS (p < 0.05), reported only",
    }
    rows = [
        "| statistic (threshold) | alarms on stable windows | alarms on drifted windows |",
        "|---|---|---|",
    ]
    for key, label in names.items():
        stable, drifted = (round(rates[s][key] * n) for s in ("stable", "drift"))
        rows.append(f"| {label} | {stable} / {n} | {drifted} / {n} |")
    return "\n".join(rows)


def ab_table(ab: dict[str, Any]) -> str:
    """The A/B simulations as a Markdown table."""
    peek = ab["peeking_20_looks"]
    return "\n".join(
        [
            "| check | result | expected |",
            "|---|---|---|",
            f"| A/A false-positive rate of the z-test (α = 0.05) | {ab['aa_false_positive_rate']:.3f} | ≈ 0.05 |",
            f"| power for 10 % → 13 % | {ab['power_10_to_13pct_at_1774_per_arm']:.3f} | 0.80 |",
            f"| A/A peeked at {peek['looks']} looks, naive z-test | {peek['naive_z_fpr']:.3f} | inflated (why not to peek) |",
            f"| A/A peeked at {peek['looks']} looks, mSPRT | {peek['msprt_fpr']:.3f} | ≤ 0.05 |",
        ]
    )


def power_table(d: dict[str, Any]) -> str:
    """Users per arm an A/B test would need to tell each model from EASE (per-user NDCG@10)."""
    rows = [
        "| comparison | NDCG@10 of EASE − model | per-user sd | users per arm for 80 % power |",
        "|---|---|---|---|",
    ]
    for key, p in d["ab_power_seed0"].items():
        users = p["users_per_arm_80pct_power"]
        label = f"{LABELS.get(key.removesuffix('_vs_ease'), key)} vs EASE"
        rows.append(
            f"| {label} | {p['ndcg_difference']:+.3f} | {p['per_user_sd']:.3f} "
            f"| {'-' if users is None else f'{users:,}'} |"
        )
    return "\n".join(rows)


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


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--movielens", type=Path, help="u.data, ratings.dat or ratings.csv (never downloaded)"
    )
    parser.add_argument("--protocol", choices=sorted(PROTOCOLS), default="standard")
    parser.add_argument("--seeds", type=int, default=5, help="splits 0..N-1 (mean ± sd)")
    parser.add_argument("--models", default="all", help="comma-separated, or 'all'")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--days", type=int, default=56)
    parser.add_argument("--seed", type=int, default=0, help="generator and simulation seed")
    parser.add_argument("--sims", type=int, default=4000, help="A/B simulation count")
    parser.add_argument("--drift-seeds", type=int, default=10)
    parser.add_argument("--no-generated", action="store_true", help="MovieLens only")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()

    missing = implicit_missing()
    wanted = [*BASE_MODELS, "ials", "bpr"] if args.models == "all" else args.models.split(",")
    models = [m for m in wanted if m in BASE_MODELS or missing is None]
    if missing and len(models) < len(wanted):
        console.print(f"[yellow]iALS/BPR skipped:[/] {missing}")
    seeds = list(range(args.seeds))
    datasets = []
    if not args.no_generated:
        generated = generate_interactions(
            GeneratorConfig(
                n_users=args.users, n_items=args.items, n_days=args.days, seed=args.seed
            )
        )
        datasets.append(
            bench_models("generated", generated, protocol=args.protocol, seeds=seeds, models=models)
        )
    if args.movielens:
        ml = load_movielens(args.movielens, min_rating=4)
        datasets.append(
            bench_models(
                f"movielens:{args.movielens.name}",
                ml,
                protocol=args.protocol,
                seeds=seeds,
                models=models,
            )
        )
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
    packages = ("numpy", "scipy", "scikit-learn", "pandas", "mlflow", "implicit")
    versions = {}
    for package in packages:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    command = "python stage3_mlops/bench/run.py" + "".join(
        f" {a}" for a in (argv if argv is not None else sys.argv[1:])
    )
    result = {
        "command": command,
        "seed": args.seed,
        "generator": {"users": args.users, "items": args.items, "days": args.days},
        "implicit": {"available": missing is None, "reason": missing},
        "datasets": datasets,
        "drift": drift,
        "drift_table": drift_table(drift),
        "ab_simulations": ab,
        "ab_table": ab_table(ab),
        "versions": {"python": sys.version.split()[0], **versions},
        "machine": machine_facts(load_before=load_before),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = args.out / "stage3_bench.json.tmp"
    tmp.write_text(json.dumps(result, indent=2, default=float) + "\n")
    tmp.replace(args.out / "stage3_bench.json")
    if datasets:
        chart(datasets, args.out / "stage3_bench.png")
    for d in datasets:
        table = Table(
            title=f"{d['dataset']}: {d['users']} users × {d['items']} items, {d['rows']} rows, "
            f"{d['protocol']} protocol, seeds {d['seeds']}"
        )
        for col in ("model", "NDCG@10 mean ± sd", "recall@10", "users", "fit ms", "× EASE"):
            table.add_column(col)
        for model, r in d["models"].items():
            ratio = r["fit_time_vs_ease"]
            table.add_row(
                LABELS.get(model, model),
                f"{r['ndcg_at_10']['mean']:.4f} ± {r['ndcg_at_10']['sd']:.4f}",
                f"{r['recall_at_10']['mean']:.3f}",
                f"{r['evaluated_users']['mean']:.0f}",
                f"{1000 * r['fit_seconds']['median']:.1f}",
                "-" if ratio is None else f"{ratio:.2f}",
            )
        console.print(table)
    console.print(json.dumps({"drift": drift, "ab": ab}, indent=1, default=float))
    console.print(
        f"wrote {args.out / 'stage3_bench.json'}" + (" and stage3_bench.png" if datasets else "")
    )
    return result


def chart(datasets: list[dict[str, Any]], path: Path) -> None:
    """NDCG@10 with its sd over seeds, and fit time relative to EASE, per model and dataset."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    names = list(datasets[0]["models"])
    width = 0.8 / len(datasets)
    x = np.arange(len(names))
    for i, d in enumerate(datasets):
        ndcg = [d["models"][m]["ndcg_at_10"] for m in names]
        axes[0].bar(
            x + i * width,
            [v["mean"] for v in ndcg],
            width,
            yerr=[v["sd"] for v in ndcg],
            capsize=3,
            label=d["dataset"],
        )
        axes[1].bar(
            x + i * width,
            [d["models"][m]["fit_time_vs_ease"] or 0 for m in names],
            width,
            label=d["dataset"],
        )
    titles = (
        f"NDCG@10, mean ± sd over {len(datasets[0]['seeds'])} seeds ({datasets[0]['protocol']})",
        "fit time ÷ EASE fit time (median)",
    )
    for ax, title in zip(axes, titles, strict=True):
        ax.set_xticks(x + width * (len(datasets) - 1) / 2, [LABELS.get(m, m) for m in names])
        ax.tick_params(axis="x", labelsize=8)
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
