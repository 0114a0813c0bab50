"""The sandbox contains a candidate's crash, hang, runaway memory or syntax error."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from diagnostics.sandbox import run_problem

pytestmark = pytest.mark.slow


def _run(candidate_dir: Path, source: str, *, timeout_s: float = 30, memory_mb: int = 4096):
    path = candidate_dir / "problem1.py"
    path.write_text(source, encoding="utf-8")
    return run_problem(
        1,
        path,
        candidate_dir.parent / "work",
        timeout_s=timeout_s,
        memory_limit_mb=memory_mb,
        seed=1,
    )


def test_missing_file_fails_every_requirement_with_a_reason(candidate_dir: Path) -> None:
    outcome = run_problem(
        1, candidate_dir / "problem1.py", candidate_dir, timeout_s=5, memory_limit_mb=512, seed=1
    )
    assert outcome.status == "missing"
    result = outcome.result_for("p1.empty_values")
    assert not result.passed
    assert "problem1.py not found" in result.evidence


def test_syntax_error_is_reported_as_an_import_error(candidate_dir: Path) -> None:
    outcome = _run(candidate_dir, "def broken(:\n")
    assert outcome.status == "import_error"
    assert "SyntaxError" in outcome.result_for("p1.exception").evidence


def test_hang_at_import_is_stopped_at_the_time_limit(candidate_dir: Path) -> None:
    outcome = _run(candidate_dir, "while True:\n    pass\n", timeout_s=3)
    assert outcome.status == "timeout"
    assert "3 s limit" in outcome.result_for("p1.files_closed").evidence


def test_hard_crash_is_reported_with_its_exit_code(candidate_dir: Path) -> None:
    outcome = _run(candidate_dir, "import os\nos._exit(7)\n")
    assert outcome.status == "crashed"
    assert "exit code 7" in outcome.result_for("p1.type_errors").evidence


def test_runaway_allocation_hits_the_memory_limit(candidate_dir: Path) -> None:
    outcome = _run(candidate_dir, "hog = bytearray(3 * 2**30)\n", memory_mb=1024)
    assert outcome.status == "import_error"
    assert "MemoryError" in outcome.result_for("p1.clean_file").evidence


def test_probe_failures_are_results_not_crashes(candidate_dir: Path) -> None:
    source = (
        "class DataValidationError(Exception):\n    pass\n\n\n"
        "def timing_decorator(func):\n    return func\n\n\n"
        "class CSVProcessor:\n"
        "    def __init__(self, file_path):\n        raise SystemExit(1)\n"
    )
    outcome = _run(candidate_dir, source)
    assert outcome.status == "done"
    assert outcome.result_for("p1.decorator_metadata").passed  # returning func keeps its name
    assert "SystemExit" in outcome.result_for("p1.empty_values").evidence


def test_processes_the_candidate_starts_do_not_outlive_the_sandbox(candidate_dir: Path) -> None:
    import psutil

    pid_file = candidate_dir / "child.pid"
    source = (
        "import subprocess\n"
        f"child = subprocess.Popen(['sleep', '300'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
    )
    _run(candidate_dir, source)
    pid = int(pid_file.read_text(encoding="utf-8"))

    def gone() -> bool:  # killed; a zombie waits for an init that may not reap it promptly
        try:
            return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    for _ in range(100):  # SIGKILL is delivered asynchronously: poll for up to ~5 s
        if gone():
            break
        time.sleep(0.05)
    assert gone()


def test_a_sandbox_dies_with_the_grader_that_started_it(candidate_dir: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    import psutil

    pid_file = candidate_dir / "sandbox.pid"
    (candidate_dir / "problem1.py").write_text(
        f"import os\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\nwhile True:\n    pass\n",
        encoding="utf-8",
    )
    grader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from diagnostics.sandbox import run_problem; "
            "run_problem(1, Path(sys.argv[1]), Path(sys.argv[2]), timeout_s=300, "
            "memory_limit_mb=1024, seed=1)",
            str(candidate_dir / "problem1.py"),
            str(candidate_dir.parent / "work"),
        ]
    )
    for _ in range(600):  # the sandbox starts and imports the candidate: up to ~30 s
        if pid_file.exists() and pid_file.read_text(encoding="utf-8"):
            break
        time.sleep(0.05)
    sandbox = psutil.Process(int(pid_file.read_text(encoding="utf-8")))
    os.kill(grader.pid, signal.SIGKILL)  # a Ctrl-C'd or timed-out grader
    grader.wait()
    try:
        sandbox.wait(timeout=10)  # killed by the kernel, not left spinning
    except psutil.TimeoutExpired:
        sandbox.kill()
        raise AssertionError("the sandbox outlived its grader") from None
