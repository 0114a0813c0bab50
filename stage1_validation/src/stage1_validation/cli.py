"""Command line: ``validate DATA --rules RULES [--report out.html] [--quarantine DIR]``.

Examples::

    python -m stage1_validation validate orders.csv --rules rules.yaml
    python -m stage1_validation validate orders.parquet -r rules.yaml --report report.html
    python -m stage1_validation validate orders.csv -r rules.yaml --quarantine quarantine/
    python -m stage1_validation rules                 # list the rule types you can use

Exit status: 0 when no error-severity rule failed, 1 when one did, 2 for bad input
(a rules file or data file that cannot be used; the message says which and why), 3 when an
output cannot be written (a report or quarantine folder that is missing, a file, read-only,
or a disk that filled up; nothing half-written is left, and no folder is created but the
quarantine folder itself).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from stage1_validation.chunks import CsvDialect
from stage1_validation.errors import DataQualityError, OutputPathError
from stage1_validation.large import process_large_dataset
from stage1_validation.rules import available_rules, get_rule_class

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_OUTPUT", "app", "main", "rules", "validate"]

EXIT_FAILED = 1  # an error-severity rule failed
EXIT_BAD_INPUT = 2  # the rules file or the data file cannot be used
EXIT_OUTPUT = 3  # a report or quarantine path cannot be written

app = typer.Typer(
    help="Validate CSV/Parquet files against rules in a YAML/JSON file.", no_args_is_help=True
)
console = Console(stderr=True)


def validate(
    data: Annotated[Path, typer.Argument(help="CSV or Parquet file to validate")],
    rules: Annotated[
        Path, typer.Option("--rules", "-r", help="rules file (.yaml, .yml, .json, .toml)")
    ],
    report: Annotated[
        Path | None,
        typer.Option("--report", help="also write the report: out.json, out.md or out.html"),
    ] = None,
    quarantine: Annotated[
        Path | None,
        typer.Option(
            "--quarantine", "-q", help="write valid and rejected rows (with reasons) to DIR"
        ),
    ] = None,
    chunk_size: Annotated[
        int, typer.Option("--chunk-size", min=1, help="rows per chunk (bounds memory)")
    ] = 250_000,
    sep: Annotated[
        str | None,
        typer.Option("--sep", help="CSV separator, e.g. ';' or '\\t' (default: from the header)"),
    ] = None,
    encoding: Annotated[
        str, typer.Option("--encoding", help="CSV encoding, e.g. cp949 or latin-1")
    ] = "utf-8-sig",
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    """Validate DATA against RULES; exit 1 when an error-severity rule fails."""
    try:
        result = process_large_dataset(
            data,
            rules,
            chunk_size=chunk_size,
            report_path=report,
            quarantine_dir=quarantine,
            progress=progress,
            csv_dialect=CsvDialect(sep=_unescape(sep), encoding=encoding),
        )
    except DataQualityError as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        code = EXIT_OUTPUT if isinstance(exc, OutputPathError) else EXIT_BAD_INPUT
        raise typer.Exit(code) from None
    _print_summary(result)
    if report is not None:
        console.print(f"report written to {report}")
    raise typer.Exit(0 if result["passed"] else EXIT_FAILED)


def _unescape(sep: str | None) -> str | None:
    """``\\t`` typed on a command line (a backslash and a t) means a tab."""
    return "\t" if sep in ("\\t", "tab") else sep


def rules() -> None:
    """List every registered rule type with its parameters."""
    table = Table(title="rule types")
    table.add_column("rule")
    table.add_column("parameters")
    table.add_column("what it checks")
    for name in available_rules():
        cls = get_rule_class(name)
        if cls is None:
            continue
        params = ", ".join(f for f in cls.model_fields if f not in ("severity", "mostly"))
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        table.add_row(name, params, escape(doc))
    Console().print(table)


def _print_summary(report: dict[str, Any]) -> None:
    summary = report["summary"]
    verdict = "[green]PASSED[/]" if report["passed"] else "[red]FAILED[/]"
    table = Table(title=f"{report.get('source')}: {verdict}")
    for column in ("result", "severity", "rule", "column", "failing", "ratio", "first failing"):
        table.add_column(column)
    for rule in report["rules"]:
        label = _sample_label(rule["samples"][0]) if rule["samples"] else ""
        column = rule["column"]
        table.add_row(
            "pass" if rule["passed"] else "[red]FAIL[/]",
            rule["severity"],
            rule["rule"],
            ",".join(column) if isinstance(column, list) else str(column or ""),
            str(rule["failing_count"]),
            f"{rule['failing_ratio']:.4%}",
            label,
        )
    out = Console()
    out.print(table)
    out.print(
        f"rows {summary['rows']}, rules {summary['rules_run']}: {summary['passed']} passed, "
        f"{summary['failed']} failed, {summary['warnings']} warning(s) "
        f"in {summary['duration_s']:.2f} s"
    )
    if "quarantine" in report:
        q = report["quarantine"]
        out.print(
            f"quarantine: {q['valid_rows']} valid -> {q['valid_path']}, "
            f"{q['rejected_rows']} rejected -> {q['rejected_path']}"
        )


def _sample_label(sample: dict[str, Any]) -> str:
    """``order_id=18 line_no=2 -> -5.0``: the row's key (or index), then the failing value."""
    key = sample.get("key")
    where = " ".join(f"{k}={v}" for k, v in key.items()) if key else f"row {sample['index']}"
    return f"{where} -> {sample['value']!r}"


app.command()(validate)
app.command()(rules)


def main() -> None:
    """Entry point of the ``stage1-validate`` script."""
    app()
