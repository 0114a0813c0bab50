"""``gradekit progress``: where a learner stands against the roadmap's five checkpoints.

Reads ``reports/history/<stage>.jsonl`` (one line per ``make check-stageN``), keeps the runs of
implementations under ``--impl-root`` (e.g. ``workspace``), judges each checkpoint on the latest
run of its stage, and writes a small self-contained HTML page with the criteria history.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from gradekit.checkpoints import CHECKPOINTS, judge_checkpoint
from gradekit.scorecard import write_atomic

__all__ = ["load_history", "render_progress"]

_STAGES = ("stage1", "stage2", "stage3", "stage4", "stage5")
_MARK = {"pass": "✅", "fail": "❌", "inconclusive": "❔", "info": "ℹ️", "skipped": "·"}


def load_history(out: Path, stage: str, impl_root: str = "") -> list[dict[str, Any]]:
    """The stage's grading runs, oldest first, of implementations under ``impl_root``."""
    path = out / "history" / f"{stage}.jsonl"
    if not path.exists():
        return []
    root = Path(impl_root).resolve() if impl_root else None
    runs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut short by a crash: skip it, keep the rest
        if root is None or _under(str(entry.get("implementation", "")), root, impl_root):
            runs.append(entry)
    return runs


def _under(implementation: str, root: Path, raw: str) -> bool:
    if implementation.startswith(raw.rstrip("/")):
        return True
    try:
        path = Path(implementation).resolve()
    except OSError:
        return False
    return path == root or root in path.parents


def render_progress(out: Path, impl_root: str, console: Console, page: Path) -> Path:
    """Print the checkpoint table and write the HTML page; returns the page's path."""
    history = {stage: load_history(out, stage, impl_root) for stage in _STAGES}
    table = Table(
        title=f"Roadmap checkpoints (학습 체크포인트) — {impl_root or 'all implementations'}"
    )
    for column in ("week", "checkpoint", "stage", "met", "why"):
        table.add_column(column)
    rows = []
    for point in CHECKPOINTS:
        runs = history[point.stage]
        met, why = judge_checkpoint(point, runs[-1] if runs else None)
        rows.append((point, met, why))
        table.add_row(
            str(point.week),
            f"{point.title}\n[dim]{point.title_ko}[/]",
            point.stage,
            "[green]yes[/]" if met else "[red]not yet[/]",
            why,
        )
    console.print(table)
    return write_atomic(page, _html(rows, history, impl_root))


def _html(rows: list[Any], history: dict[str, list[dict[str, Any]]], impl_root: str) -> str:
    e = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Roadmap progress</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;"
        "text-align:left}.yes{color:#070}.no{color:#a00}</style></head><body>",
        f"<h1>Roadmap progress — {e(impl_root or 'all implementations')}</h1>",
        "<h2>Checkpoints (학습 체크포인트)</h2><table><tr><th>week</th><th>checkpoint</th>"
        "<th>stage</th><th>met</th><th>why</th></tr>",
    ]
    for point, met, why in rows:
        cls, word = ("yes", "yes") if met else ("no", "not yet")
        parts.append(
            f"<tr><td>{point.week}</td><td>{e(point.title)}<br><small>{e(point.title_ko)}</small>"
            f"</td><td>{point.stage}</td><td class='{cls}'>{word}</td><td>{e(why)}</td></tr>"
        )
    parts.append("</table>")
    for stage, runs in history.items():
        parts.append(f"<h2>{stage}: criteria history</h2>")
        if not runs:
            parts.append(f"<p>No scorecard yet: <code>make check-{stage}</code>.</p>")
            continue
        ids = list(dict.fromkeys(cid for run in runs for cid in run.get("criteria", {})))
        parts.append(
            "<table><tr><th>graded</th><th>implementation</th><th>verdict</th>"
            + "".join(f"<th>{e(cid)}</th>" for cid in ids)
            + "</tr>"
        )
        for run in runs[-30:]:
            cells = "".join(
                f"<td title='{e(str(run['criteria'].get(cid, {}).get('measured')))}'>"
                f"{_MARK.get(run['criteria'].get(cid, {}).get('status', ''), '')}</td>"
                for cid in ids
            )
            parts.append(
                f"<tr><td>{e(run.get('created_at', ''))}</td><td>{e(run.get('implementation', ''))}"
                f"</td><td>{e(run.get('verdict', ''))}</td>{cells}</tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
