"""Results land as date-partitioned Parquet, atomically; a re-run replaces, never duplicates."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from stage2_log_analysis.analysis import analyze
from stage2_log_analysis.output import DATASETS, write_results


def test_write_results_is_partitioned_and_idempotent(small_log, tmp_path: Path):
    path, _ = small_log
    result = analyze([path])
    out = tmp_path / "out"
    write_results(result, out)
    first = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    write_results(result, out)
    second = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert first == second
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    for name in DATASETS:
        assert (out / name).is_dir()
    assert any(p.name.startswith("date=") for p in (out / "minutes").iterdir())
    minutes = pd.read_parquet(out / "minutes")
    assert len(minutes) == len(result.minutes)
    assert int(minutes["requests"].sum()) == int(result.minutes["requests"].sum())
    assert (out / "chart.png").read_bytes()[:4] == b"\x89PNG"
    summary = (out / "summary.txt").read_text()
    assert "rejected" in summary and "anomalies" in summary
