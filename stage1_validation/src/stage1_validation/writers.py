"""Report writers (JSON, Markdown, self-contained HTML) and the atomic file writer under them.

Every file goes through ``atomic_writer``: text is written to a temporary file beside the
target and renamed over it only when writing finished, so a reader never sees half a report
and a failure midway leaves no file behind. A temporary left by a killed run (its name holds
the writer's process id) is removed by the next write of the same target.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import opskit.files as files
from stage1_validation.errors import OutputPathError, ReportFormatError
from stage1_validation.output_paths import output_errors

__all__ = [
    "atomic_path",
    "atomic_writer",
    "check_report_format",
    "render_html",
    "render_markdown",
    "write_report",
]


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temp path beside ``path``; rename it to ``path`` on success, delete it on error.

    For writers that want a file name rather than a handle (Parquet, ``DataFrame.to_csv``).
    The folder must exist: parent folders are never created (OutputPathError names it).
    The mechanics (temp file, fsync, rename, stale temporaries of killed runs removed) are
    ``opskit.files.atomic_path``; this layer turns OS errors into the library's own.
    """
    target = Path(path)
    if not target.parent.is_dir():
        raise OutputPathError(
            target.parent,
            "folder does not exist (parent folders are never created)",
            f"create it first: mkdir -p {target.parent}",
        )
    with output_errors(target), files.atomic_path(target) as tmp:
        yield tmp


@contextmanager
def atomic_writer(path: str | os.PathLike[str], *, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """Open a temp file for writing; on success rename it to ``path``, on error delete it.

    **Usage**::

        with atomic_writer("report.json") as handle:
            json.dump(report, handle)     # an exception here leaves no report.json behind
    """
    target = Path(path)
    with (
        atomic_path(target) as tmp,
        tmp.open("w", encoding=encoding, newline="") as handle,
        output_errors(target),
    ):
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


def write_report(report: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write ``report`` as JSON, Markdown or HTML, chosen by the suffix of ``path``."""
    target = Path(path)
    suffix = check_report_format(target)
    with atomic_writer(target) as handle:
        if suffix == ".json":
            # json.dump streams into the temp file: a bad value fails midway, and the
            # context manager then removes the half-written temp file.
            json.dump(report, handle, indent=2, ensure_ascii=False, allow_nan=False)
            handle.write("\n")
        elif suffix == ".md":
            handle.write(render_markdown(report))
        else:
            handle.write(render_html(report))
    return target


def check_report_format(path: str | os.PathLike[str]) -> str:
    """The report's suffix (``.json``, ``.md``, ``.html``); ReportFormatError for any other."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".json", ".md", ".html", ".htm"):
        raise ReportFormatError(
            f"{target}: cannot write a report as {suffix or 'no suffix'!r}; "
            "use a path ending in .json, .md or .html"
        )
    return suffix


def _column_text(column: Any) -> str:
    if isinstance(column, list):
        return ", ".join(str(c) for c in column)
    return "" if column is None else str(column)


def _sample_text(samples: list[dict[str, Any]]) -> str:
    parts = []
    for sample in samples:
        label = sample.get("key") or sample.get("index")
        parts.append(f"{label}: {sample.get('value')!r}")
    return "; ".join(parts)


def render_markdown(report: dict[str, Any]) -> str:
    """The report as a Markdown page: a verdict line, the summary and one table row per rule."""
    summary = report["summary"]
    verdict = "PASSED" if report["passed"] else "FAILED"
    lines = [
        f"# Data validation report — {verdict}",
        "",
        f"Source: `{report.get('source') or 'dataframe'}`; rules: `{report.get('rules_file') or '-'}`",
        "",
        "| rows | columns | rules run | passed | failed (error) | warnings | duration (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {summary['rows']} | {summary['columns']} | {summary['rules_run']} | "
        f"{summary['passed']} | {summary['failed']} | {summary['warnings']} | "
        f"{summary['duration_s']:.3f} |",
        "",
        "| result | severity | rule | column | failing | ratio | sample failing rows |",
        "|---|---|---|---|---:|---:|---|",
    ]
    for rule in report["rules"]:
        mark = "pass" if rule["passed"] else "**FAIL**"
        samples = _sample_text(rule["samples"]).replace("|", "\\|")
        lines.append(
            f"| {mark} | {rule['severity']} | {rule['rule']} | {_column_text(rule['column'])} | "
            f"{rule['failing_count']} | {rule['failing_ratio']:.4%} | {samples} |"
        )
    return "\n".join(lines) + "\n"


_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
h1 .pass{color:#1a7f37}h1 .fail{color:#cf222e}
table{border-collapse:collapse;margin:1rem 0;width:100%}table.summary{width:auto}
th,td{border:1px solid #d0d7de;padding:.35rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}tr.fail td{background:#fff1f0}tr.warn td{background:#fff8e5}
td.num{text-align:right;font-variant-numeric:tabular-nums}code{font-size:.9em}
details summary{cursor:pointer}
"""


def render_html(report: dict[str, Any]) -> str:
    """The report as one self-contained HTML page (inline CSS, no scripts or external assets)."""
    esc = html.escape
    summary = report["summary"]
    verdict = "pass" if report["passed"] else "fail"
    rows = []
    for rule in report["rules"]:
        css = "" if rule["passed"] else ("fail" if rule["severity"] == "error" else "warn")
        samples = "".join(
            f"<li><code>{esc(str(s.get('key') or s.get('index')))}</code>: "
            f"<code>{esc(repr(s.get('value')))}</code></li>"
            for s in rule["samples"]
        )
        detail = (
            f"<details><summary>{len(rule['samples'])} sample(s)</summary><ul>{samples}</ul></details>"
            if samples
            else ""
        )
        rows.append(
            f'<tr class="{css}"><td>{"pass" if rule["passed"] else "FAIL"}</td>'
            f"<td>{esc(rule['severity'])}</td><td>{esc(rule['rule'])}</td>"
            f"<td>{esc(_column_text(rule['column']))}</td>"
            f"<td><code>{esc(json.dumps(rule['params'], ensure_ascii=False, default=str))}</code></td>"
            f'<td class="num">{rule["failing_count"]}</td>'
            f'<td class="num">{rule["failing_ratio"]:.4%}</td><td>{detail}</td></tr>'
        )
    head = "".join(
        f"<th>{h}</th>"
        for h in ("result", "severity", "rule", "column", "params", "failing", "ratio", "samples")
    )
    stats = "".join(
        f'<tr><th>{esc(k)}</th><td class="num">{esc(str(v))}</td></tr>' for k, v in summary.items()
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Data validation report</title><style>{_CSS}</style></head><body>"
        f'<h1>Data validation report: <span class="{verdict}">{verdict.upper()}</span></h1>'
        f"<p>Source <code>{esc(str(report.get('source') or 'dataframe'))}</code>, rules "
        f"<code>{esc(str(report.get('rules_file') or '-'))}</code></p>"
        f'<table class="summary">{stats}</table><table><tr>{head}</tr>{"".join(rows)}</table>'
        "</body></html>\n"
    )
