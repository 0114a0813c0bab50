"""Results land as date-partitioned Parquet, atomically; a re-run replaces, never duplicates."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from stage2_log_analysis.analysis import analyze
from stage2_log_analysis.errors import OutputDirError
from stage2_log_analysis.output import DATASETS, prepare_output, write_results


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
    assert any(p.name.startswith("month=") for p in (out / "minutes").iterdir())
    minutes = pd.read_parquet(out / "minutes")
    assert len(minutes) == len(result.minutes)
    assert int(minutes["requests"].sum()) == int(result.minutes["requests"].sum())
    assert (out / "chart.png").read_bytes()[:4] == b"\x89PNG"
    summary = (out / "summary.txt").read_text()
    assert "rejected" in summary and "anomalies" in summary


def test_results_switch_all_at_once_and_killed_runs_leave_nothing_behind(small_log, tmp_path):
    path, _ = small_log
    result = analyze([path])
    out = tmp_path / "out"
    write_results(result, out, chart=False)
    first = os.readlink(out)
    # what a run killed mid-write leaves: a half-written run folder and a stray link
    (tmp_path / ".out.run-20000101T000000-1" / "minutes").mkdir(parents=True)
    os.symlink(".out.run-20000101T000000-1", tmp_path / ".out.link-1")
    write_results(result, out, chart=False)
    assert out.is_symlink() and os.readlink(out) != first
    assert sorted(p.name for p in tmp_path.iterdir()) == [os.readlink(out), "out"]
    assert set(p.name for p in out.iterdir()) == {*DATASETS, "summary.txt", "report.json"}


def test_results_of_an_older_version_written_in_place_are_replaced(small_log, tmp_path):
    path, _ = small_log
    out = tmp_path / "out"
    (out / "minutes" / "date=2020-01-01").mkdir(parents=True)
    (out / "summary.txt").write_text("old")
    (out / ".staging-abc").mkdir()  # temporaries of an older version's per-dataset swap
    (out / ".old-minutes-1").mkdir()
    write_results(analyze([path]), out, chart=False)
    assert out.is_symlink() and (out / "summary.txt").read_text() != "old"
    assert not (out / "minutes" / "date=2020-01-01").exists()
    assert len(list(tmp_path.iterdir())) == 2


@pytest.mark.parametrize("case", ["file", "foreign", "no-parent", "read-only"])
def test_a_bad_out_folder_is_refused_before_any_work(tmp_path, case):
    out = tmp_path / "out"
    if case == "file":
        out.write_text("x")
        match = "is a file"
    elif case == "foreign":
        out.mkdir()
        (out / "thesis.tex").write_text("x")
        match = "did not write"
    elif case == "no-parent":
        out = tmp_path / "missing" / "out"
        match = "does not exist"
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes to read-only folders")
        tmp_path.chmod(0o555)
        match = "cannot write"
    try:
        with pytest.raises(OutputDirError, match=match):
            prepare_output(out)
    finally:
        tmp_path.chmod(0o755)
    assert not (tmp_path / "missing").exists()


def test_a_full_disk_while_writing_leaves_the_previous_results(small_log, tmp_path, monkeypatch):
    path, _ = small_log
    result = analyze([path])
    out = tmp_path / "out"
    write_results(result, out, chart=False)
    before = os.readlink(out)
    from stage2_log_analysis import output

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(output, "write_chart", full)
    with pytest.raises(OutputDirError, match=r"the disk is full.*previous results are untouched"):
        write_results(result, out, chart=True)
    assert os.readlink(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [before, "out"]


def test_report_has_phases_and_the_run_summary(small_log, tmp_path):
    path, truth = small_log
    result = analyze([path])
    write_results(result, tmp_path / "out", chart=False)
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    phases = [p["name"] for p in report["phases"]]
    assert phases == ["parse + aggregate", "tables", "top paths", "anomalies", "writing"]
    assert all(p["seconds"] >= 0 and p["peak_rss_mb"] > 0 for p in report["phases"])
    s = report["summary"]
    assert s["requests"] == sum(truth.minutes["requests"])
    assert s["status_5xx"] == sum(truth.minutes["status_5xx"])
    assert s["bytes"] == sum(truth.minutes["bytes"])
    records = pd.concat(
        chunk for chunk in __import__("stage2_log_analysis").LogAnalyzer().process_logs_stream(path)
    )
    assert s["distinct_clients"] == records["ip"].nunique()
    assert s["minutes_with_data"] == len(truth.minutes["minute"])
    summary = (tmp_path / "out" / "summary.txt").read_text()
    assert "distinct clients" in summary and "phases" in summary


def test_a_read_only_or_full_disk_is_refused_before_any_work(tmp_path, monkeypatch):
    from stage2_log_analysis import output

    def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(output.tempfile, "mkstemp", refuse)
    with pytest.raises(OutputDirError, match=r"cannot write in .*Read-only file system"):
        prepare_output(tmp_path / "out")
    monkeypatch.undo()

    class Usage:
        free = 1 << 20

    monkeypatch.setattr(output.shutil, "disk_usage", lambda _: Usage())
    with pytest.raises(OutputDirError, match=r"only 1\.0 MB free"):
        prepare_output(tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_kill_9_while_writing_leaves_old_or_new_results_never_a_mix(tiny_log, tmp_path):
    import signal
    import subprocess
    import sys
    import time

    path, _ = tiny_log
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "stage2_log_analysis", "analyze", str(path), "--out", str(out)]
    cmd += ["--no-progress"]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    full = time.perf_counter() - started
    complete = {*DATASETS, "summary.txt", "report.json", "chart.png"}
    for fraction in (0.6, 0.8, 0.9, 0.95, 0.99):  # the last ones land in the writing phase
        delay = fraction * full
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert out.is_symlink() and {p.name for p in out.iterdir()} == complete
        assert json.loads((out / "report.json").read_text())["lines"] > 0
    subprocess.run(cmd, check=True, capture_output=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([os.readlink(out), "out"])


_KILL_AT = """
import os, signal, sys
from stage2_log_analysis import output
from stage2_log_analysis.analysis import analyze

step = sys.argv[3]
real_replace, real_fsync = os.replace, os.fsync

def die(*args):
    os.kill(os.getpid(), signal.SIGKILL)

if step == "before-rename":   # the run folder is complete, the link not yet switched
    output.os.replace = lambda src, dst: die() if str(dst) == sys.argv[2] else real_replace(src, dst)
elif step == "after-rename":  # switched, the previous results not yet removed
    output.os.fsync = die
output.write_results(analyze([sys.argv[1]]), sys.argv[2], chart=False)
"""


@pytest.mark.parametrize("step", ["before-rename", "after-rename"])
def test_kill_9_at_each_step_of_the_swap_leaves_whole_results(tiny_log, tmp_path, step):
    import subprocess
    import sys

    path, _ = tiny_log
    out = tmp_path / "out"
    write_results(analyze([path]), out, chart=False)
    old = os.readlink(out)
    proc = subprocess.run(
        [sys.executable, "-c", _KILL_AT, str(path), str(out), step], capture_output=True
    )
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    now = os.readlink(out)
    assert (now == old) == (step == "before-rename")
    assert {p.name for p in out.iterdir()} == {*DATASETS, "summary.txt", "report.json"}
    assert json.loads((out / "report.json").read_text())["lines"] > 0
    leftovers = {p.name for p in tmp_path.iterdir()} - {"out", now}
    assert leftovers  # the killed run left its folder (and link, or the replaced results)
    write_results(analyze([path]), out, chart=False)  # the next run cleans them
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([os.readlink(out), "out"])


def test_kill_9_while_replacing_an_older_versions_results_loses_nothing(tiny_log, tmp_path):
    import subprocess
    import sys

    path, _ = tiny_log
    out = tmp_path / "out"
    (out / "minutes").mkdir(parents=True)  # results an older logan wrote in place
    (out / "summary.txt").write_text("old")
    proc = subprocess.run(
        [sys.executable, "-c", _KILL_AT, str(path), str(out), "before-rename"],
        capture_output=True,
    )
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    assert not out.exists()  # killed after the old folder was moved aside
    prepare_output(out)  # the next run puts it back before anything else
    assert not out.is_symlink() and (out / "summary.txt").read_text() == "old"
    write_results(analyze([path]), out, chart=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([os.readlink(out), "out"])
