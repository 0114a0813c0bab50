"""Command line of stage 3 (what the make targets call).

Examples::

    python -m stage3_mlops server                     # tracking server on 127.0.0.1:5000
    python -m stage3_mlops train-grid                 # 12 runs + promote the best
    python -m stage3_mlops serve-champion             # what the Docker image runs
    python -m stage3_mlops ab-simulate --sims 2000    # A/A false-positive rate and power
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

__all__ = ["app", "main"]

app = typer.Typer(help="Stage 3: recommender MLOps on MLflow.", no_args_is_help=True)
console = Console()

DEFAULT_BACKEND = "sqlite:///mlruns/mlflow.db"
TrackingUri = Annotated[
    str,
    typer.Option("--tracking-uri", "-t", envvar="MLFLOW_TRACKING_URI", help="MLflow server URL"),
]


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


@contextmanager
def _user_errors(action: str) -> Iterator[None]:
    """A failure the user can fix (server unreachable, no champion) is one line and exit 1."""
    from stage3_mlops.errors import Stage3Error

    try:
        yield
    except Stage3Error as exc:
        typer.echo(f"{action} failed: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command()
def server(
    backend_uri: Annotated[
        str, typer.Option("--backend-uri", envvar="MLFLOW_BACKEND_URI", help="SQLAlchemy URI")
    ] = DEFAULT_BACKEND,
    artifacts: Annotated[Path, typer.Option("--artifacts", help="artefact folder")] = Path(
        "mlruns/artifacts"
    ),
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p")] = 5000,
) -> None:
    """Run the tracking server in the foreground (SQLite by default, PostgreSQL via env).

    SIGTERM or Ctrl-C stops the server's whole process group (workers included).
    """
    from stage3_mlops.servers import backend_store_uri, mlflow_env, run_in_foreground

    if backend_uri.startswith("sqlite:///"):
        Path(backend_uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    args = [_bin("mlflow"), "server", "--backend-store-uri", backend_store_uri(backend_uri)]
    args += [
        "--artifacts-destination",
        str(artifacts.resolve()),
        "--host",
        host,
        "--port",
        str(port),
    ]
    console.print(f"MLflow tracking server on http://{host}:{port} (backend {backend_uri})")
    raise typer.Exit(run_in_foreground(args, mlflow_env()))


@app.command()
def ui(
    backend_uri: Annotated[
        str, typer.Option("--backend-uri", envvar="MLFLOW_BACKEND_URI", help="SQLAlchemy URI")
    ] = DEFAULT_BACKEND,
    port: Annotated[int, typer.Option("--port", "-p")] = 5001,
) -> None:
    """Browse the same store with ``mlflow ui`` (read-mostly; artefacts need the server)."""
    from stage3_mlops.servers import backend_store_uri, mlflow_env, run_in_foreground

    args = [_bin("mlflow"), "ui", "--backend-store-uri", backend_store_uri(backend_uri)]
    args += ["--host", "127.0.0.1"]
    args += ["--port", str(port)]
    console.print(f"MLflow UI on http://127.0.0.1:{port}")
    raise typer.Exit(run_in_foreground(args, mlflow_env()))


@app.command("train-grid")
def train_grid(
    tracking_uri: TrackingUri = "http://127.0.0.1:5000",
    experiment: Annotated[str, typer.Option("--experiment", "-e")] = "recsys",
    movielens: Annotated[
        Path | None,
        typer.Option("--movielens", help="u.data, ratings.dat or ratings.csv (ratings ≥ 4 kept)"),
    ] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    metric: Annotated[str, typer.Option("--metric")] = "ndcg_at_10",
) -> None:
    """Train the 12-run grid in one experiment, then promote the best run to champion."""
    from stage3_mlops.data import GeneratorConfig, generate_interactions, load_movielens
    from stage3_mlops.grid import run_grid
    from stage3_mlops.mlops import RecommendationMLOps

    with _user_errors("train-grid"):
        data = (
            load_movielens(movielens, min_rating=4)
            if movielens
            else generate_interactions(GeneratorConfig(seed=seed))
        )
        mlops = RecommendationMLOps(experiment, tracking_uri=tracking_uri)
        results = run_grid(mlops, data)
    table = Table(title=f"{experiment}: {len(results)} runs")
    for column in ("run", "model", "params", metric, "train s"):
        table.add_column(column)
    for r in results:
        table.add_row(
            r.run_id[:8],
            r.model_type,
            str(r.hyperparams),
            f"{r.metrics[metric]:.4f}",
            f"{r.train_seconds:.2f}",
        )
    console.print(table)
    with _user_errors("deploy"):
        decision = mlops.deploy_best_model(metric=metric)
    console.print(f"[bold]deploy:[/] {decision.reason} → champion v{decision.champion_version}")


@app.command()
def rollback(
    tracking_uri: TrackingUri = "http://127.0.0.1:5000",
    experiment: Annotated[str, typer.Option("--experiment", "-e")] = "recsys",
) -> None:
    """Point the champion alias back at the previous champion (one command)."""
    from stage3_mlops.mlops import RecommendationMLOps

    with _user_errors("rollback"):
        decision = RecommendationMLOps(experiment, tracking_uri=tracking_uri).rollback()
    console.print(decision.reason)


@app.command("serve-champion")
def serve_champion() -> None:
    """Serve ``MODEL_URI`` (default ``models:/recsys-recommender@champion``) on HOST:PORT.

    This is the Docker image's CMD. It replaces itself with ``mlflow models serve --env-manager
    local`` after putting this interpreter's ``bin`` on PATH (without it mlflow exits 127).
    """
    from stage3_mlops.servers import mlflow_env

    model_uri = os.environ.get("MODEL_URI", "models:/recsys-recommender@champion")
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8080")
    args = [_bin("mlflow"), "models", "serve", "-m", model_uri, "--env-manager", "local"]
    args += ["-h", host, "-p", port, "-w", os.environ.get("WORKERS", "1")]
    console.print(f"serving {model_uri} on http://{host}:{port}/invocations")
    os.execve(args[0], args, mlflow_env())


@app.command("ab-simulate")
def ab_simulate(
    sims: Annotated[int, typer.Option("--sims")] = 2000,
    rate: Annotated[float, typer.Option("--rate", help="control conversion rate")] = 0.10,
    lift: Annotated[float, typer.Option("--lift", help="absolute lift to detect")] = 0.03,
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """A/A false-positive rate, power at the planned size, and peeking with/without mSPRT."""
    from stage3_mlops.abtest import sample_size_two_proportions
    from stage3_mlops.simulations import simulate_aa, simulate_peeking, simulate_power

    n = sample_size_two_proportions(rate, lift)
    console.print(f"planned users per arm for {rate:.2f} → {rate + lift:.2f} at 80% power: {n}")
    console.print(
        f"A/A false-positive rate (alpha 0.05): {simulate_aa(sims, n, rate, seed=seed):.3f}"
    )
    power = simulate_power(sims, n, rate, rate + lift, seed=seed)
    console.print(f"simulated power: {power:.3f}")
    peek = simulate_peeking(sims, n, rate, seed=seed)
    console.print(
        f"A/A peeked {peek.looks}×: naive z-test FPR {peek.naive_z_fpr:.3f}, mSPRT FPR {peek.msprt_fpr:.3f}"
    )


def main() -> None:
    """Entry point of ``python -m stage3_mlops``."""
    app()
