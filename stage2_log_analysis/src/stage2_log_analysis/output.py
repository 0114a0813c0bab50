"""Write an analysis to disk: Parquet partitioned by date, a PNG chart and a text summary.

All or nothing. ``--out DIR`` is checked before the analysis starts (its parent must exist
and be writable with some space free; ``DIR`` must be new, a result folder of ours, or a
link to one). Every result of a run is written into a fresh sibling folder
``.DIR.run-<time>-<random>``, and ``DIR`` is then switched to it by renaming a symbolic link
over it, one atomic step: a reader, or a run killed at any moment, sees the old results or
the new ones, never a mix. The folder replaced, and any left by a killed run, are removed
by the next run. A re-run replaces the results; it never appends duplicates.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from opskit.files import atomic_path
from stage2_log_analysis.analysis import AnalysisResult
from stage2_log_analysis.anomaly import anomaly_events
from stage2_log_analysis.errors import OutputDirError
from stage2_log_analysis.phases import PhaseTimer

__all__ = [
    "DATASETS",
    "RESULT_FILES",
    "prepare_output",
    "render_summary",
    "write_chart",
    "write_partitioned",
    "write_results",
]

#: The datasets under ``--out`` (each a Parquet dataset folder).
DATASETS = ("minutes", "hourly", "daily", "top_paths", "anomalies")
#: Everything a run writes under ``--out``.
RESULT_FILES = frozenset({*DATASETS, "summary.txt", "report.json", "chart.png"})
MIN_FREE_BYTES = 32 << 20  # refuse to start with less free space than this next to --out
_LEGACY_TEMPS = (".staging-", ".old-")  # temporaries of the per-dataset swaps of old versions


def _run_prefix(out: Path) -> str:
    return f".{out.name}.run-"


def prepare_output(out_dir: str | Path) -> Path:
    """Check that ``out_dir`` can take results (before any work) and clean stale temporaries.

    Raises ``OutputDirError`` naming the folder and the fix: a missing parent, a file in the
    way, a folder holding files that are not ours, no write permission, a full disk.
    """
    out = Path(out_dir).expanduser().absolute()
    parent = out.parent
    if not parent.is_dir():
        raise OutputDirError(
            out, f"its parent folder {parent} does not exist; create it or choose another --out"
        )
    if out.is_symlink():
        if not os.readlink(out).startswith(_run_prefix(out)):
            raise OutputDirError(out, "is a link logan did not make; choose another --out")
    elif out.is_file():
        raise OutputDirError(out, "is a file; --out takes a folder (a new one is created)")
    elif out.is_dir():
        foreign = sorted(
            p.name
            for p in out.iterdir()
            if p.name not in RESULT_FILES and not p.name.startswith(_LEGACY_TEMPS)
        )
        if foreign:
            listed = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
            raise OutputDirError(
                out,
                f"holds files logan did not write ({listed}); results replace the whole "
                "folder, so choose a new or empty --out",
            )
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{out.name}.probe-", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputDirError(
            out, f"cannot write in {parent} ({exc.strerror}); choose a writable --out"
        ) from None
    free = shutil.disk_usage(parent).free
    if free < MIN_FREE_BYTES:
        raise OutputDirError(
            out,
            f"only {free / 2**20:.1f} MB free on the disk of {parent} (at least "
            f"{MIN_FREE_BYTES >> 20} MB needed); free some space or choose another --out",
        )
    _clean_stale(out)
    return out


def _clean_stale(out: Path) -> None:
    """Remove what killed runs left: run folders not linked, stray links, old temporaries."""
    if not out.is_symlink() and not out.exists():
        # A run killed between moving an older version's in-place results aside and linking
        # the new ones: put the old results back rather than clean them away.
        legacy = sorted(out.parent.glob(f"{_run_prefix(out)}legacy-*"))
        if legacy:
            os.replace(legacy[-1], out)
    current = os.readlink(out) if out.is_symlink() else None
    for p in out.parent.glob(f".{out.name}.*"):
        name = p.name
        stale_run = name.startswith(_run_prefix(out)) and name != current
        if stale_run or name.startswith((f".{out.name}.link-", f".{out.name}.probe-")):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
    if out.is_dir() and not out.is_symlink():
        for p in out.iterdir():
            if p.name.startswith(_LEGACY_TEMPS):
                shutil.rmtree(p, ignore_errors=True)


def write_partitioned(frame: pd.DataFrame, folder: Path, time_column: str) -> None:
    """Write ``frame`` as ``folder/month=YYYY-MM/*.parquet`` (Hive partitioning, UTC months).

    One Polars sink writes every month's file. Months, not days: a log spanning years
    would otherwise leave thousands of tiny files (a day of minutes is 1,440 rows), and
    writing them, and removing them when results are replaced, cost more than the analysis.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if frame.empty:
        frame.to_parquet(folder / "empty.parquet", index=False)
        return
    data = _to_polars(frame).lazy()
    month = pl.col(time_column).dt.convert_time_zone("UTC").dt.strftime("%Y-%m").alias("month")
    data.with_columns(month).sink_parquet(pl.PartitionBy(folder, key="month", include_key=False))


def _to_polars(frame: pd.DataFrame) -> pl.DataFrame:
    """``pl.from_pandas``, with tz-aware columns passed as naive UTC and marked UTC again.

    (Converting a tz-aware column directly trips a pandas 3 deprecation in pyarrow.)
    """
    aware = [c for c in frame.columns if isinstance(frame[c].dtype, pd.DatetimeTZDtype)]
    naive = frame.assign(**{c: frame[c].dt.tz_convert(None) for c in aware})
    return pl.from_pandas(naive).with_columns(pl.col(c).dt.replace_time_zone("UTC") for c in aware)


def render_summary(result: AnalysisResult) -> str:
    """A short human-readable summary of a run."""
    r = result.report
    s = r.summary
    lines = [
        f"files: {', '.join(r.files)} ({r.bytes_read / 1e6:,.1f} MB on disk, "
        f"{r.uncompressed_bytes / 1e6:,.1f} MB of lines; formats: {', '.join(r.formats)})",
        f"engine: {r.engine} ({r.workers} worker(s)), {r.seconds:.1f} s "
        f"(cluster start-up {r.startup_seconds:.1f} s), {r.mb_per_s:,.1f} MB/s over the run",
        f"lines: {r.lines:,} parsed: {r.parsed:,} rejected: {r.rejected:,}",
        f"requests: {s.requests:,} from {s.distinct_clients:,} distinct clients; "
        f"2xx {s.status_2xx:,} 3xx {s.status_3xx:,} 4xx {s.status_4xx:,} 5xx {s.status_5xx:,} "
        f"other {s.status_other:,}; {s.bytes / 1e6:,.1f} MB sent",
    ]
    if s.first_minute is not None:
        lines.append(
            f"span (UTC): {s.first_minute:%Y-%m-%d %H:%M} .. {s.last_minute:%Y-%m-%d %H:%M} "
            f"({s.span_minutes:,} minutes, {s.minutes_with_data:,} with traffic, coverage "
            f"{s.coverage:.1%} with days-long gaps left out)"
        )
    if s.sampled:
        lines.append(
            f"sampled log: about one minute of traffic every {s.sample_every_minutes} minutes; "
            "the silences between samples are missing data, not outages"
        )
    lines.append(
        f"gaps of {s.gap_minutes}+ minutes without a request: {s.gaps_total:,} "
        f"({s.gaps_minutes_total:,} minutes)"
    )
    for g in s.gaps[:10]:
        lines.append(f"  {g.start:%Y-%m-%d %H:%M} .. {g.end:%Y-%m-%d %H:%M} ({g.minutes:,} min)")
    events = anomaly_events(result.anomalies)
    lines.append(f"anomalies: {len(result.anomalies)} flags in {len(events)} events")
    first_reason: dict[str, str] = (
        {str(k): str(v) for k, v in result.anomalies.groupby("kind")["reason"].first().items()}
        if not result.anomalies.empty
        else {}
    )
    for ev in events.head(20).itertuples():
        lines.append(
            f"  {ev.kind:<14} {ev.start} .. {ev.end} ({ev.minutes} min, score {ev.max_score:.1f})"
        )
    for kind, reason in first_reason.items():
        lines.append(f"  e.g. {kind}: {reason}")
    if r.phases:
        lines.append("phases (wall s, CPU s of this process, peak RSS of the process tree):")
        lines += [
            f"  {p.name:<18} {p.seconds:8.2f} s {p.cpu_seconds:8.2f} s {p.peak_rss_mb:8,.0f} MB"
            for p in r.phases
        ]
    if r.rejected_sample:
        lines.append("sample of rejected lines:")
        lines += [f"  {x[:160]!r}" for x in r.rejected_sample]
    return "\n".join(lines) + "\n"


def _naive_utc(values: pd.Series | pd.Index) -> np.ndarray:
    """UTC datetimes as a numpy ``datetime64`` array: matplotlib converts tz-aware values to
    its date numbers one ``datetime`` at a time (seconds for years of minutes), numpy
    arrays at once."""
    index = pd.DatetimeIndex(values)
    return np.asarray(index.tz_convert("UTC").tz_localize(None) if index.tz else index)


def write_chart(result: AnalysisResult, path: Path) -> None:
    """Requests and 5xx rate per minute (per hour over long spans), anomalies marked by kind.

    Drawn on a bare ``Figure`` (no pyplot: no GUI backend to load, nothing global to close).
    """
    from matplotlib.figure import Figure

    m = result.minutes
    span = (m.index.max() - m.index.min()) if len(m) else pd.Timedelta(0)
    per = result.hourly if span > pd.Timedelta(days=3) else m
    unit = "hour" if per is result.hourly else "min"
    fig = Figure(figsize=(12, 6))
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    x = _naive_utc(per.index)
    ax1.plot(x, per["requests"].to_numpy(), lw=0.7, color="tab:blue", label=f"requests / {unit}")
    ax2.plot(x, per["error_rate"].to_numpy(), lw=0.7, color="tab:red", label="5xx rate")
    colors = {
        "error_spike": "red",
        "traffic_surge": "green",
        "traffic_drop": "purple",
        "client_burst": "orange",
    }
    flags = result.anomalies
    outages = flags[flags["kind"] == "outage"] if not flags.empty else flags
    shown = outages.head(500)
    for start, end in zip(_naive_utc(shown["minute"]), _naive_utc(shown["end"]), strict=True):
        ax1.axvspan(start, end, color="grey", alpha=0.3, lw=0)
    if len(outages):
        first = _naive_utc(outages["minute"].iloc[:1])[0]
        ax1.axvspan(first, first, color="grey", label="outage")
    others = flags[flags["kind"] != "outage"] if not flags.empty else flags
    for kind, group in others.groupby("kind") if not others.empty else []:
        t = pd.to_datetime(group["minute"], utc=True)
        y = m["requests"].reindex(t).to_numpy()
        ax1.scatter(
            _naive_utc(t), y, s=12, color=colors.get(str(kind), "black"), label=str(kind), zorder=3
        )
    ax1.set_ylabel(f"requests / {unit}")
    ax2.set_ylabel("5xx rate")
    ax1.legend(loc="upper right", fontsize=8)
    ax1.set_title(f"Requests per {unit} (UTC) with anomalies")
    fig.tight_layout()
    with atomic_path(path) as tmp:  # the temporary has no .png suffix: name the format
        fig.savefig(tmp, dpi=100, format="png")


def write_results(
    result: AnalysisResult,
    out_dir: str | Path,
    *,
    chart: bool = True,
) -> Path:
    """Write every dataset, ``summary.txt``, ``report.json`` and ``chart.png``; switch ``out_dir``.

    Returns ``out_dir``. On any failure (a full disk, a kill) the previous results stay as
    they were; an ``OSError`` while writing becomes an ``OutputDirError`` naming the fix.
    """
    out = prepare_output(out_dir)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    run = Path(tempfile.mkdtemp(prefix=f"{_run_prefix(out)}{stamp}-", dir=out.parent))
    run.chmod(0o755)  # mkdtemp makes it private; results are as readable as a new folder
    try:
        with PhaseTimer() as timer, timer.phase("writing"):
            tables = {
                "minutes": (result.minutes.reset_index(), "minute"),
                "hourly": (result.hourly.reset_index(), "hour"),
                "daily": (result.daily.reset_index(), "day"),
                "top_paths": (result.top_paths, "hour"),
                "anomalies": (result.anomalies, "minute"),
            }
            for name, (frame, column) in tables.items():
                write_partitioned(frame, run / name, column)
            if chart and not result.minutes.empty:
                write_chart(result, run / "chart.png")
        writing = timer.stats()
        report = result.report.model_copy(update={"phases": [*result.report.phases, *writing]})
        result.report = report
        (run / "summary.txt").write_text(render_summary(result), encoding="utf-8")
        (run / "report.json").write_text(report.model_dump_json(indent=2), encoding="utf-8")
        _switch(out, run)
    except OSError as exc:
        shutil.rmtree(run, ignore_errors=True)
        why = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        raise OutputDirError(
            out,
            f"writing the results failed ({why}); the previous results are untouched. "
            "Free some space or choose another --out",
        ) from exc
    except BaseException:
        shutil.rmtree(run, ignore_errors=True)
        raise
    return Path(out_dir)


def _switch(out: Path, run: Path) -> None:
    """Point ``out`` at ``run`` in one rename, then remove what it pointed at before."""
    link = out.parent / f".{out.name}.link-{os.getpid()}"
    link.unlink(missing_ok=True)
    os.symlink(run.name, link)  # relative: the results move with their parent folder
    previous: Path | None = None
    if out.is_symlink():
        previous = out.parent / os.readlink(out)
    elif out.is_dir():  # results of an older logan, written in place: moved aside once
        previous = out.parent / f"{_run_prefix(out)}legacy-{os.getpid()}"
        os.replace(out, previous)
    os.replace(link, out)
    fd = os.open(out.parent, os.O_RDONLY)
    try:
        os.fsync(fd)  # the rename survives a power cut, not only a kill
    finally:
        os.close(fd)
    if previous is not None and previous != run:
        shutil.rmtree(previous, ignore_errors=True)
