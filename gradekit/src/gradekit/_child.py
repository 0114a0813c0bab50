"""The child side of :mod:`gradekit.isolation`: ``python -m gradekit._child SPEC.json``.

It rebuilds the grading context, imports the implementation, calls the probe and writes the
Measurement as JSON. Any exception — including ``SystemExit`` from the graded code — becomes a
failed Measurement that names whose code raised and the graded code's own frames.
"""

from __future__ import annotations

import faulthandler
import importlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gradekit.errors import ImplementationNotFound
from gradekit.isolation import ProbeSpec
from gradekit.result import ErrorSource, Measurement
from gradekit.stages import STAGES, GradeContext, StageInfo
from opskit.files import write_text_atomic

__all__ = ["describe_exception", "main", "probe_import"]


def probe_import(ctx: GradeContext) -> Measurement:
    """The probe of ``gradekit check``'s first step: does the implementation import at all?"""
    module = ctx.load()
    return Measurement(value=True, passed=True, evidence=f"imported {module.__name__}")


def main(argv: list[str]) -> int:
    """Run the probe named in the spec file ``argv[0]``; exit 0 once a verdict is written."""
    spec = ProbeSpec.model_validate_json(Path(argv[0]).read_text(encoding="utf-8"))
    # Say where the code is stuck shortly before the parent stops this process at the deadline.
    margin = min(5.0, spec.timeout_s * 0.15)
    faulthandler.dump_traceback_later(max(0.2, spec.deadline - margin - time.time()), exit=False)
    info = STAGES.get(spec.stage) or StageInfo(spec.stage, spec.default_impl, spec.stage, "—")
    ctx = GradeContext(
        stage=info,
        impl_spec=spec.impl_spec,
        default_impl=spec.default_impl,
        module_hint=spec.module_hint,
        work_dir=Path(spec.work_dir),
        options=dict(spec.options),
    )
    measurement = _measure(ctx, spec)
    faulthandler.cancel_dump_traceback_later()
    _write(Path(spec.result_path), measurement)
    sys.stdout.flush()
    os._exit(0)  # threads the graded code left running must not keep the child alive


def _measure(ctx: GradeContext, spec: ProbeSpec) -> Measurement:
    try:
        ctx.load()
    except ImplementationNotFound as exc:
        return Measurement.failed(str(exc), source=ErrorSource.IMPLEMENTATION)
    try:
        probe = _resolve(spec.target)
    except Exception as exc:
        return Measurement.failed(
            f"the grader could not find its probe {spec.target}: {exc}", source=ErrorSource.GRADER
        )
    try:
        result = probe(ctx, **spec.kwargs)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt from graded code too
        source, text = describe_exception(exc, implementation_files(ctx))
        return Measurement.failed(text, source=source)
    if not isinstance(result, Measurement):
        return Measurement.failed(
            f"the grader's probe {spec.target} returned {type(result).__name__}, not a Measurement",
            source=ErrorSource.GRADER,
        )
    return result


def implementation_files(ctx: GradeContext) -> Path | None:
    """The file or folder whose frames count as the graded code's."""
    location = ctx.location
    if location.root is not None:
        return location.root
    module = sys.modules.get(location.module_name)
    file = getattr(module, "__file__", None)
    if not file:
        return None
    path = Path(file).resolve()
    return path.parent if path.name == "__init__.py" else path


def describe_exception(exc: BaseException, impl: Path | None) -> tuple[ErrorSource, str]:
    """Whose code raised, and a message with the graded code's own frames (innermost last)."""
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if impl is not None and _within(Path(f.filename), impl)]
    head = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    if isinstance(exc, SystemExit):
        head = f"SystemExit({exc.code!r}): the graded code called sys.exit/exit()"
    if not own:
        if isinstance(exc, SystemExit | KeyboardInterrupt):
            return ErrorSource.IMPLEMENTATION, head
        where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
        return (
            ErrorSource.GRADER,
            f"the grader itself raised (a grader bug, not your code's fault){where}: {head}",
        )
    trail = " ← ".join(
        f"{Path(f.filename).name}:{f.lineno} in {f.name}()" for f in reversed(own[-3:])
    )
    return ErrorSource.IMPLEMENTATION, f"your code raised {head} (at {trail})"


def _within(path: Path, root: Path) -> bool:
    try:
        resolved = path.resolve()
    except OSError:
        return False
    return resolved == root or root in resolved.parents


def _resolve(target: str) -> Callable[..., Any]:
    module_name, _, func = target.partition(":")
    probe = getattr(importlib.import_module(module_name), func)
    if not callable(probe):
        raise TypeError(f"{target} is not callable")
    return probe  # type: ignore[no-any-return]


def _write(path: Path, measurement: Measurement) -> None:
    payload = json.dumps(measurement.model_dump(mode="python"), default=str)
    write_text_atomic(path, payload)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
