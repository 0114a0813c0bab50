"""Run one problem's hidden tests on a candidate file in a subprocess with time and memory limits.

The parent only waits: on timeout it kills the whole process group, then reads whatever
results the sandbox had written. Requirements the sandbox never reached are failed with the
reason (timed out, crashed, could not import), so one broken problem never costs another.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from diagnostics.hidden.logs import LargeLog
from diagnostics.hidden.records import LogFile, ProbeResult, SandboxReport, SandboxSpec
from gradekit import write_atomic

__all__ = ["SANDBOX_TZ", "ProblemOutcome", "run_problem"]

# Korea's time zone (no tzdata needed): code that treats UTC timestamps or "now" as local time
# is nine hours off in the sandbox, as it would be on any server outside UTC.
SANDBOX_TZ = "KST-9"


@dataclass
class ProblemOutcome:
    """What one sandbox run produced: per-requirement results and how the run ended."""

    problem: int
    status: str  # done | timeout | crashed | import_error | missing
    message: str = ""
    duration_s: float = 0.0
    results: dict[str, ProbeResult] = field(default_factory=dict)

    def result_for(self, requirement_id: str) -> ProbeResult:
        """The probe's result, or a failure explaining why the probe never ran."""
        if requirement_id in self.results:
            return self.results[requirement_id]
        return ProbeResult(id=requirement_id, passed=False, evidence=self.message, value=False)


def run_problem(
    problem: int,
    candidate_file: Path,
    work_dir: Path,
    *,
    timeout_s: float,
    memory_limit_mb: int,
    seed: int,
    memory_logs: tuple[LargeLog, LargeLog] | None = None,
    memory_slack_mb: float = 8,
) -> ProblemOutcome:
    """Probe ``candidate_file`` for ``problem`` in a sandbox; never raises for candidate faults."""
    name = candidate_file.name
    if not candidate_file.is_file():
        return ProblemOutcome(problem, "missing", f"{name} not found in the candidate folder")
    work_dir.mkdir(parents=True, exist_ok=True)
    out_path = work_dir / f"problem{problem}.result.json"
    out_path.unlink(missing_ok=True)
    spec = SandboxSpec(
        problem=problem,
        parent_pid=os.getpid(),
        candidate_file=str(candidate_file.resolve()),
        out_path=str(out_path),
        work_dir=str(work_dir / f"problem{problem}-files"),
        memory_limit_mb=memory_limit_mb,
        seed=seed,
        memory_logs=[
            LogFile(path=str(log.path), size_bytes=log.size_bytes, errors=log.total_errors)
            for log in memory_logs or ()
        ],
        memory_slack_mb=memory_slack_mb,
    )
    spec_path = write_atomic(work_dir / f"problem{problem}.spec.json", spec.model_dump_json())
    log_path = work_dir / f"problem{problem}.log"
    started = time.perf_counter()
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "diagnostics.hidden", str(spec_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=work_dir,
            env={
                **os.environ,
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONUNBUFFERED": "1",
                "TZ": SANDBOX_TZ,
            },
            start_new_session=True,  # its own process group: a timeout kills its children too
        )
        try:
            code: int | None = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            code = None
            _dump_stacks(proc)
        _kill_group(proc)  # also ends anything the candidate started that outlived the sandbox
    duration = time.perf_counter() - started
    report = _read_report(out_path, problem)
    outcome = ProblemOutcome(problem, "done", duration_s=round(duration, 2))
    outcome.results = {r.id: r for r in report.results}
    if report.status == "import_error":
        outcome.status, outcome.message = (
            "import_error",
            f"{name} could not be imported: {report.error}",
        )
    elif code is None:
        outcome.status = "timeout"
        during = (
            f" during the test of {report.current}" if report.current else " while importing it"
        )
        stuck = _stuck_at(log_path, candidate_file.resolve())
        outcome.message = (
            f"not reached: {name} was stopped after the {timeout_s:g} s limit{during}"
            + (f", stuck in {stuck}" if stuck else "")
            + "; expected every call to return well within it (hang or infinite loop?)"
        )
    elif report.status != "done":
        outcome.status = "crashed"
        tail = _tail(log_path)
        outcome.message = f"not reached: the sandbox running {name} died (exit code {code}){tail}"
    return outcome


def _dump_stacks(proc: subprocess.Popen[bytes]) -> None:
    """Ask a sandbox that ran out of time for its threads' stacks (faulthandler, to its log)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGUSR1)
        time.sleep(0.5)


_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<function>\S+)')


def _stuck_at(log_path: Path, candidate_file: Path) -> str:
    """The candidate's innermost frame in the stack dump: "f (problem2.py line 12)"."""
    text = log_path.read_text(encoding="utf-8", errors="replace")
    start = text.find("(most recent call first)")  # faulthandler's dump, innermost first
    for match in _FRAME.finditer(text[start:] if start >= 0 else ""):
        if Path(match["file"]) == candidate_file:
            return f"{match['function']} ({candidate_file.name} line {match['line']})"
    return ""


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):  # it may have exited just now
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _read_report(path: Path, problem: int) -> SandboxReport:
    try:
        return SandboxReport.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return SandboxReport(problem=problem, status="crashed")


def _tail(log_path: Path) -> str:
    lines = [ln for ln in log_path.read_text(encoding="utf-8", errors="replace").splitlines() if ln]
    return f": {lines[-1][:200]}" if lines else ""
