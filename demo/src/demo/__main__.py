"""``python -m demo`` (``make demo``): the whole roadmap end to end on generated data.

Examples::

    uv run --frozen python -m demo                       # DEMO_SCALE=small, output reports/demo
    DEMO_SCALE=tiny uv run --frozen python -m demo       # the reduced demo the tests run
    uv run --frozen python -m demo --scale full --out /tmp/demo --serve
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from demo.config import load_settings
from demo.errors import DemoError
from demo.runner import run_demo
from demo.serve import start_mlflow_ui

__all__ = ["app", "main"]

app = typer.Typer(
    help="The live demo: every stage of the roadmap end to end.", add_completion=False
)


@app.command()
def main(
    out: Annotated[Path, typer.Option("--out", "-o", help="output folder")] = Path("reports/demo"),
    scale: Annotated[
        str | None,
        typer.Option("--scale", "-s", help="tiny | small | full (default: $DEMO_SCALE or small)"),
    ] = None,
    serve: Annotated[
        bool | None,
        typer.Option(
            "--serve/--no-serve",
            help="keep the API and an MLflow UI running until Ctrl-C (default: when run in a terminal)",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="seed of every generator")] = 7,
) -> None:
    """Validate → analyse logs → train and promote → run the pipeline → serve the model."""
    console = Console()
    try:
        settings = load_settings(out, scale, seed=seed)
        run, server = run_demo(settings, console=console)
    except DemoError as exc:
        console.print(f"[red]demo failed:[/] {exc}")
        raise typer.Exit(1) from exc
    keep = sys.stdin.isatty() and sys.stdout.isatty() if serve is None else serve
    if not keep:
        server.stop()
        console.print(
            f"[green]done[/]: every artefact is listed in {settings.out / 'manifest.json'}"
        )
        return
    console.print(f"[bold]API docs[/]      {server.url}/docs")
    console.print(f"[bold]Dashboard[/]     {server.url}/dashboard")
    ui = None
    try:
        console.print("starting the MLflow UI …")
        ui = start_mlflow_ui(settings)
        console.print(f"[bold]MLflow UI[/]     {ui.url if ui else settings.mlflow_tracking_uri}")
        console.print("Press Ctrl-C to stop the servers.")
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if ui is not None:
            ui.stop()
    del run


if __name__ == "__main__":
    app()
