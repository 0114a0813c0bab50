"""The ``logan`` command line, end to end on a small file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from stage2_log_analysis.cli import app

runner = CliRunner()


def test_generate_then_analyze(tmp_path: Path):
    log = tmp_path / "gen.log"
    result = runner.invoke(app, ["generate", "--out", str(log), "--size", "800KB", "--days", "0.1"])
    assert result.exit_code == 0, result.output
    assert log.exists() and Path(f"{log}.truth.json").exists()
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(log), "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "rejected" in result.output
    assert (out / "minutes").is_dir() and (out / "chart.png").exists()


def test_analyze_reports_a_non_log_file_clearly(tmp_path: Path):
    bad = tmp_path / "data.csv"
    bad.write_text("a,b\n1,2\n")
    result = runner.invoke(
        app, ["analyze", str(bad), "--out", str(tmp_path / "o"), "--no-progress"]
    )
    assert result.exit_code == 2
    assert "error" in result.output


def test_follow_for_a_fixed_duration_writes_parquet(tmp_path: Path):
    log = tmp_path / "f.log"
    log.write_text(
        '192.0.2.1 - - [01/Mar/2026:12:00:01 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"\n'
        '192.0.2.1 - - [01/Mar/2026:12:01:30 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"\n'
    )
    out = tmp_path / "live"
    result = runner.invoke(
        app, ["follow", str(log), "--out", str(out), "--clock", "event", "--duration", "0.5"]
    )
    assert result.exit_code == 0, result.output
    assert list((out / "minutes").rglob("live-*.parquet"))
    (top_file,) = list((out / "top_paths").rglob("live-*.parquet"))
    top = pd.read_parquet(top_file)
    assert top[["rank", "path", "requests"]].to_dict("records") == [
        {"rank": 1, "path": "/", "requests": 1}
    ]
