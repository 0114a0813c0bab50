"""Write the generated orders dataset (12 columns, labelled errors) and its rules file.

Examples::

    uv run --frozen python stage1_validation/bench/make_data.py --rows 100000 --out data/generated/stage1/orders.csv
    uv run --frozen python stage1_validation/bench/make_data.py --rows 1000000 --out /tmp/orders.parquet
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml

from stage1_validation.synthetic import make_orders
from stage1_validation.writers import atomic_path, atomic_writer


def main(
    rows: Annotated[int, typer.Option(help="rows to generate (>= 200)")] = 100_000,
    out: Annotated[Path, typer.Option(help="output .csv or .parquet")] = Path("orders.csv"),
    rules_out: Annotated[Path | None, typer.Option(help="also write the rules (.yaml)")] = None,
    seed: Annotated[int, typer.Option(help="generator seed")] = 7,
    sample_size: Annotated[int, typer.Option(help="failing rows listed per rule")] = 5,
) -> None:
    """Generate the orders and write them (and optionally their rules)."""
    data = make_orders(rows, seed=seed)
    data.rules["sample_size"] = sample_size
    out.parent.mkdir(parents=True, exist_ok=True)  # the library itself never creates folders
    with atomic_path(out) as tmp:
        if out.suffix == ".parquet":
            data.frame.astype({"quantity": "str"}).to_parquet(tmp, index=False)
        else:
            data.frame.to_csv(tmp, index=False)
    typer.echo(f"wrote {rows} rows to {out}")
    if rules_out is not None:
        rules_out.parent.mkdir(parents=True, exist_ok=True)
        with atomic_writer(rules_out) as handle:
            yaml.safe_dump(data.rules, handle, sort_keys=False)
        typer.echo(f"wrote rules to {rules_out}")


if __name__ == "__main__":
    typer.run(main)
