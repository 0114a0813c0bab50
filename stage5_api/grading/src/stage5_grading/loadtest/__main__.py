"""``python -m stage5_grading.loadtest serve-lb``: replicas behind nginx until Ctrl-C."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from stage5_grading.loadtest.lb import LoadBalancedCluster
from stage5_grading.loadtest.server import AppTarget

app = typer.Typer(help="Stage 5 load-test rigs.", no_args_is_help=True)


@app.command()
def serve_lb(
    replicas: Annotated[int, typer.Option(help="uvicorn replicas")] = 3,
    port: Annotated[int, typer.Option(help="nginx port on 127.0.0.1")] = 8080,
    target: Annotated[str, typer.Option(help="module:app")] = "stage5_api.main:app",
) -> None:
    """Start REPLICAS uvicorn processes and nginx in front of them, on loopback."""
    with LoadBalancedCluster.of_target(AppTarget(target), replicas=replicas, port=port) as lb:
        ports = ", ".join(str(r.port) for r in lb.replicas)
        typer.echo(f"nginx on {lb.url} -> replicas on ports {ports}; config in {lb.work_dir}")
        typer.echo("Ctrl-C stops nginx and drains the replicas.")
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            typer.echo("stopping")


@app.command()
def version() -> None:
    """Print the grader's version (a second command keeps typer's subcommand syntax)."""
    from importlib.metadata import version as dist_version

    typer.echo(dist_version("stage5-grading"))


if __name__ == "__main__":
    app()
