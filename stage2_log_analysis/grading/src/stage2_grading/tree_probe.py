"""Our own ``analyze`` in a subprocess with its tree RSS sampled (the stage's bench uses it).

``run_probe(["analyze", PATH, ENGINE, N], "", work_dir, timeout=..., env=...)`` starts
``python -m stage2_grading.tree_probe analyze PATH ENGINE N`` and samples the RSS of the whole
process tree every 50 ms; the last JSON line of its stdout is the result (``seconds``,
``startup_seconds``, ``requests`` or ``error``). ``env`` adds variables (say, the allocator's).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opskit.memory import TreeRSSSampler

__all__ = ["ProbeRun", "main", "run_probe"]


@dataclass
class ProbeRun:
    """What one probe subprocess returned, and the peak RSS of its process tree."""

    result: dict[str, Any]
    peak_mb: float
    seconds: float

    @property
    def error(self) -> str | None:
        """The error, if the run failed."""
        err = self.result.get("error")
        return str(err) if err is not None else None


def run_probe(
    args: list[str],
    impl: str,
    work_dir: Path,
    *,
    timeout: float,
    env: dict[str, str] | None = None,
) -> ProbeRun:
    """Run ``analyze`` of ``stage2_log_analysis`` in a subprocess; ``impl`` must be empty."""
    if impl:
        raise ValueError("tree_probe measures the repo's own analyze only; graders use probes.py")
    task, rest = args[0], args[1:]
    cmd = [sys.executable, "-m", "stage2_grading.tree_probe", task, *rest]
    log_path = work_dir / f"probe-{task}.stderr.log"
    started = time.perf_counter()
    with log_path.open("w") as err:
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=err, text=True, env={**os.environ, **(env or {})}
        )
        with TreeRSSSampler(proc.pid) as sampler:
            try:
                out, _ = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, _ = proc.communicate()
                out += "\n" + json.dumps({"error": f"timed out after {timeout:.0f} s"})
    seconds = time.perf_counter() - started
    lines = [line for line in out.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {"error": f"no result (see {log_path})"}
    return ProbeRun(result=result, peak_mb=sampler.peak_mb, seconds=seconds)


def main(argv: list[str]) -> int:
    """``analyze PATH ENGINE N`` (our LogAnalyzer().analyze) or ``baseline PATH`` (the naive
    pandas version), timed; prints one JSON line."""
    from stage2_log_analysis.allocator import configure_allocator

    configure_allocator()
    try:
        if argv[:1] == ["baseline"]:
            from stage2_log_analysis.baseline import analyze_naive

            started = time.perf_counter()
            table = analyze_naive(argv[1])
            elapsed = time.perf_counter() - started
            print(json.dumps({"seconds": elapsed, "requests": int(table["requests"].sum())}))
            return 0
        task, path, engine, workers = argv
        if task != "analyze":
            raise ValueError(f"unknown task {task!r}; use 'analyze' or 'baseline'")
        from stage2_log_analysis.log_analyzer import LogAnalyzer

        started = time.perf_counter()
        result = LogAnalyzer().analyze(path, engine=engine, n_workers=int(workers))  # type: ignore[arg-type]
        total = time.perf_counter() - started
        startup = float(result.report.startup_seconds or 0.0)
        payload: dict[str, object] = {
            "seconds": total - startup,
            "startup_seconds": startup,
            "total_seconds": total,
            "requests": int(result.minutes["requests"].sum()),
        }
    except Exception as exc:
        payload = {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-2000:]}
    print(json.dumps(payload), flush=True)
    return 1 if "error" in payload else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
