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


def test_a_bad_out_fails_before_the_analysis_with_exit_2(tmp_path: Path, tiny_log):
    path, _ = tiny_log
    blocker = tmp_path / "out"
    blocker.write_text("a file where the results should go")
    result = runner.invoke(app, ["analyze", str(path), "--out", str(blocker), "--no-progress"])
    assert result.exit_code == 2
    assert "is a file" in result.output and "parsed" not in result.output


def test_anomaly_settings_come_from_a_file_and_the_command_line(tmp_path: Path, tiny_log):
    path, _ = tiny_log
    config = tmp_path / "anomaly.toml"
    config.write_text("[anomaly]\nz = 3.0\n")
    out = tmp_path / "out"
    args = ["analyze", str(path), "--out", str(out), "--no-progress", "--no-chart"]
    ok = runner.invoke(app, [*args, "--anomaly-config", str(config), "-a", "min_requests=5"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, [*args, "-a", "z=-2"])
    assert bad.exit_code == 2 and "greater than 0" in bad.output


def test_generate_writes_a_named_real_log_shape(tmp_path: Path):
    log = tmp_path / "sampled.log"
    result = runner.invoke(app, ["generate", "--shape", "sparse_hourly", "--out", str(log)])
    assert result.exit_code == 0, result.output
    truth = Path(f"{log}.truth.json").read_text()
    assert '"shape":"sparse_hourly"' in truth.replace(" ", "")
    unknown = runner.invoke(app, ["generate", "--shape", "nope", "--out", str(log)])
    assert unknown.exit_code == 2 and "sparse_hourly" in unknown.output
