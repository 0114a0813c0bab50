"""Run a probe of the graded code in a child process, with a time limit.

The grader's own process never runs the learner's code: a hang, a crash, ``sys.exit`` or
``os._exit`` in it becomes a failed criterion whose evidence says what happened and where (the
learner's own frames of the traceback), never a grader crash or a hang. The child imports the
implementation under its own module name, with its folder on ``PYTHONPATH``, so pickles of the
learner's classes and servers the child starts find it again.

A probe is a plain function ``probe(ctx: GradeContext, **kwargs) -> Measurement`` named by
``"package.module:function"``; its keyword arguments and its Measurement cross the process
boundary as JSON.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil
from pydantic import BaseModel, Field

from gradekit.result import ErrorSource, Measurement

if TYPE_CHECKING:
    from gradekit.stages import GradeContext

__all__ = ["ProbeSpec", "run_isolated"]

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class ProbeSpec(BaseModel):
    """Everything the child needs to rebuild the context and call the probe."""

    target: str
    stage: str
    impl_spec: str
    default_impl: str
    module_hint: str | None
    work_dir: str
    options: dict[str, str] = Field(default_factory=dict)
    kwargs: dict[str, Any] = Field(default_factory=dict)
    result_path: str
    timeout_s: float
    deadline: float = 0.0  # time.time() at which the parent stops the child


def run_isolated(
    ctx: GradeContext,
    target: str,
    *,
    timeout_s: float,
    name: str | None = None,
    **kwargs: Any,
) -> Measurement:
    """Call ``target(ctx, **kwargs)`` in a child process and return its Measurement.

    Never raises for faults of the graded code: an exception, exit, crash or hang in the child
    comes back as a failed Measurement naming the cause (``error_source`` says whose).
    """
    label = _SAFE.sub("_", name or target.rpartition(":")[2])
    folder = ctx.work_dir / "isolated"
    folder.mkdir(parents=True, exist_ok=True)
    result_path = folder / f"{label}.result.json"
    log_path = folder / f"{label}.log"
    result_path.unlink(missing_ok=True)
    spec = ProbeSpec(
        target=target,
        stage=ctx.stage.key,
        impl_spec=ctx.impl_spec,
        default_impl=ctx.default_impl,
        module_hint=ctx.module_hint,
        work_dir=str(ctx.work_dir),
        options=dict(ctx.options),
        kwargs=kwargs,
        result_path=str(result_path),
        timeout_s=timeout_s,
        deadline=time.time() + timeout_s,
    )
    spec_path = folder / f"{label}.spec.json"
    spec_path.write_text(spec.model_dump_json(indent=2), encoding="utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": _pythonpath(ctx),
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    started = time.perf_counter()
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gradekit._child", str(spec_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # its own process group: a timeout ends its children too
        )
        try:
            code: int | None = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            code = None
        kill_everything(proc)
    elapsed = time.perf_counter() - started
    measurement = _read_result(result_path)
    if measurement is not None:
        return measurement
    log_text = _read_log(log_path)
    if code is None:
        where = _hang_site(log_text)
        return Measurement.failed(
            f"stopped after the {timeout_s:g} s limit of this check: the graded code did not "
            f"return (hang, endless loop, or waiting on input?){where}. Full log: {log_path}",
            source=ErrorSource.TIMEOUT,
            details={"elapsed_s": round(elapsed, 1), "log": str(log_path)},
        )
    return Measurement.failed(
        f"the process running the graded code died with exit code {code} before giving a "
        f"verdict (os._exit, a segfault or out of memory?){_tail(log_text)}. Full log: {log_path}",
        source=ErrorSource.CRASH,
        details={"exit_code": code, "log": str(log_path)},
    )


def kill_everything(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL ``proc``, every descendant it has (even in other sessions) and its group."""
    try:
        descendants = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        descendants = []
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    for child in descendants:
        with contextlib.suppress(psutil.Error):
            child.kill()
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    proc.wait()


def _pythonpath(ctx: GradeContext) -> str:
    """The implementation's folder first, then the grader's working folder and PYTHONPATH."""
    parts = []
    location = ctx.location
    if location.search_path is not None:
        parts.append(str(location.search_path))
    parts.append(os.getcwd())  # IMPL=my_pkg.module relies on the folder make was run from
    if os.environ.get("PYTHONPATH"):
        parts.append(os.environ["PYTHONPATH"])
    return os.pathsep.join(parts)


def _read_result(path: Path) -> Measurement | None:
    try:
        return Measurement.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def _read_log(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _tail(text: str, lines: int = 6) -> str:
    kept = [ln for ln in text.splitlines() if ln.strip()][-lines:]
    return (": " + " | ".join(ln.strip()[:200] for ln in kept)) if kept else ""


def _hang_site(text: str) -> str:
    """Where the child was stuck, from the faulthandler dump it wrote before the limit."""
    marker = text.rfind("Timeout (")
    if marker < 0:
        return ""
    frames = re.findall(r'File "([^"]+)", line (\d+) in (\S+)', text[marker:])
    if not frames:
        return ""
    ours = [f for f in frames if "/gradekit/" not in f[0] and "/site-packages/" not in f[0]]
    file, line, func = (ours or frames)[0]
    return f"; it was in {func}() at {Path(file).name}:{line}"
