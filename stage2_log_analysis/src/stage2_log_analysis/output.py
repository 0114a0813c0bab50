"""Write an analysis to disk: Parquet partitioned by date, a PNG chart and a text summary.

Atomic and idempotent: everything is written into a temporary folder next to the target, then
each dataset folder is swapped in with a rename. A re-run over the same input replaces the
previous results; it never appends a duplicate.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from stage2_log_analysis.analysis import AnalysisResult
from stage2_log_analysis.anomaly import anomaly_events

__all__ = ["DATASETS", "render_summary", "write_chart", "write_partitioned", "write_results"]

#: The datasets under ``--out`` (each a Parquet dataset folder).
DATASETS = ("minutes", "hourly", "daily", "top_paths", "anomalies")


def write_partitioned(frame: pd.DataFrame, folder: Path, time_column: str) -> None:
    """Write ``frame`` as ``folder/date=YYYY-MM-DD/part-0.parquet`` (Hive partitioning)."""
    folder.mkdir(parents=True, exist_ok=True)
    if frame.empty:
        frame.to_parquet(folder / "empty.parquet", index=False)
        return
    dates = pd.to_datetime(frame[time_column], utc=True).dt.strftime("%Y-%m-%d")
    for date, part in frame.groupby(dates.to_numpy()):
        target = folder / f"date={date}"
        target.mkdir(parents=True, exist_ok=True)
        part.to_parquet(target / "part-0.parquet", index=False)


def render_summary(result: AnalysisResult) -> str:
    """A short human-readable summary of a run."""
    r = result.report
    m = result.minutes
    lines = [
        f"files: {', '.join(r.files)} ({r.bytes_read / 1e6:,.1f} MB, formats: {', '.join(r.formats)})",
        f"engine: {r.engine} ({r.workers} worker(s)), {r.seconds:.1f} s "
        f"(cluster start-up {r.startup_seconds:.1f} s), {r.mb_per_s:,.1f} MB/s",
        f"lines: {r.lines:,} parsed: {r.parsed:,} rejected: {r.rejected:,}",
    ]
    if not m.empty:
        lines += [
            f"period (UTC): {m.index.min()} .. {m.index.max()} ({len(m):,} minutes)",
            f"requests: {int(m['requests'].sum()):,}, 5xx: {int(m['status_5xx'].sum()):,}, "
            f"peak minute: {int(m['requests'].max()):,} requests at {m['requests'].idxmax()}",
        ]
    events = anomaly_events(result.anomalies)
    lines.append(f"anomalies: {len(result.anomalies)} flagged minutes in {len(events)} events")
    for ev in events.head(20).itertuples():
        lines.append(
            f"  {ev.kind:<14} {ev.start} .. {ev.end} ({ev.minutes} min, score {ev.max_score:.1f})"
        )
    if r.rejected_sample:
        lines.append("sample of rejected lines:")
        lines += [f"  {s[:160]}" for s in r.rejected_sample]
    return "\n".join(lines) + "\n"


def write_chart(result: AnalysisResult, path: Path) -> None:
    """Requests and 5xx rate per minute, anomalies marked by kind."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = result.minutes
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(12, 6), sharex=True)
    ax1.plot(m.index, m["requests"], lw=0.7, color="tab:blue", label="requests / min")
    ax2.plot(m.index, m["error_rate"], lw=0.7, color="tab:red", label="5xx rate")
    colors = {
        "error_spike": "red",
        "traffic_surge": "green",
        "traffic_drop": "purple",
        "client_burst": "orange",
    }
    for kind, group in result.anomalies.groupby("kind") if not result.anomalies.empty else []:
        t = pd.to_datetime(group["minute"])
        y = m["requests"].reindex(t)
        ax1.scatter(t, y, s=12, color=colors.get(str(kind), "black"), label=str(kind), zorder=3)
    ax1.set_ylabel("requests / min")
    ax2.set_ylabel("5xx rate")
    ax1.legend(loc="upper right", fontsize=8)
    ax1.set_title("Requests per minute (UTC) with anomalies")
    fig.tight_layout()
    fd, tmp = tempfile.mkstemp(suffix=".png", dir=path.parent)
    os.close(fd)
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)


def write_results(result: AnalysisResult, out_dir: str | Path, *, chart: bool = True) -> Path:
    """Write every dataset, ``summary.txt``, ``report.json`` and ``chart.png`` under ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    try:
        tables = {
            "minutes": (result.minutes.reset_index(), "minute"),
            "hourly": (result.hourly.reset_index(), "hour"),
            "daily": (result.daily.reset_index(), "day"),
            "top_paths": (result.top_paths, "hour"),
            "anomalies": (result.anomalies, "minute"),
        }
        for name, (frame, column) in tables.items():
            write_partitioned(frame, staging / name, column)
        (staging / "summary.txt").write_text(render_summary(result), encoding="utf-8")
        (staging / "report.json").write_text(result.report.model_dump_json(indent=2), "utf-8")
        if chart and not result.minutes.empty:
            write_chart(result, staging / "chart.png")
        for item in sorted(staging.iterdir()):
            _swap_in(item, out / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out


def _swap_in(new: Path, target: Path) -> None:
    """Replace ``target`` by ``new`` with renames (the old copy is removed afterwards)."""
    if new.is_file():
        os.replace(new, target)
        return
    old = target.with_name(f".old-{target.name}-{os.getpid()}")
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)
