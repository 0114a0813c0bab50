"""Sandbox entry: ``python -m diagnostics.hidden SPEC.json`` probes one candidate problem file.

Runs as its own process so a crash, hang or runaway allocation in the candidate's code costs
only this problem: the parent enforces the wall-clock limit, this process caps its own
address space before importing the candidate, and results are written after every probe.
The local time zone is Korea's (``TZ=KST-9``, set by the parent): code that reads the log's
UTC timestamps or "now" as local time is then nine hours off, as it would be on a server
outside UTC.
"""

from __future__ import annotations

import asyncio
import faulthandler
import importlib.util
import resource
import signal
import sys
import time
from pathlib import Path
from types import ModuleType

from diagnostics.hidden.candidate import describe, failure, set_candidate_folder
from diagnostics.hidden.lifeline import die_with_parent
from diagnostics.hidden.records import ResultWriter, SandboxSpec


def main(argv: list[str]) -> int:
    """Run every probe of the spec's problem; exit 0 even when probes fail (they are results)."""
    spec = SandboxSpec.model_validate_json(Path(argv[0]).read_text(encoding="utf-8"))
    die_with_parent(spec.parent_pid)
    # On SIGUSR1 (sent by the parent at the time limit) every thread's stack goes to the log,
    # so a hang's message can name the candidate's function and line.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    limit = spec.memory_limit_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    time.tzset()  # TZ comes from the environment the parent set
    writer = ResultWriter(Path(spec.out_path), spec.problem)
    _prepare(spec.problem)
    candidate = Path(spec.candidate_file)
    set_candidate_folder(candidate.parent)
    try:
        module = _import_candidate(candidate, f"problem{spec.problem}")
    except BaseException as exc:
        writer.finish("import_error", describe(exc))
        return 0
    folder = Path(spec.work_dir)
    folder.mkdir(parents=True, exist_ok=True)
    if spec.problem == 1:
        _run_problem1(module, folder, writer)
    elif spec.problem == 2:
        _run_problem2(module, folder, spec, writer)
    else:
        asyncio.run(_run_problem3(module, writer))
    writer.finish()
    return 0


def _prepare(problem: int) -> None:
    """What must happen before the candidate's import (it may bind names at import time)."""
    if problem == 1:
        from diagnostics.hidden.open_watch import install_open_watch

        install_open_watch()  # before `from io import open` in the candidate's file
    if problem == 2:
        import pandas  # noqa: F401  # library import costs must not count as the candidate's memory
    if problem == 3:
        from diagnostics.hidden.loop_watch import install_sleep_watch

        install_sleep_watch()  # before the candidate imports `from time import sleep`


def _import_candidate(path: Path, name: str) -> ModuleType:
    sys.path.insert(0, str(path.parent))  # the candidate may import helpers beside the file
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"{path} is not an importable Python file")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    module_spec.loader.exec_module(module)
    return module


def _run_problem1(module: ModuleType, folder: Path, writer: ResultWriter) -> None:
    from diagnostics.hidden.probes1 import PROBES

    for probe_id, probe in PROBES:
        try:
            writer.start(probe_id)
            writer.add(probe(module, folder))
        except BaseException as exc:  # SystemExit from candidate code is a failure, too
            writer.add(failure(probe_id, exc))


def _run_problem2(
    module: ModuleType, folder: Path, spec: SandboxSpec, writer: ResultWriter
) -> None:
    from diagnostics.hidden.probes2 import PROBES

    for probe_id, probe in PROBES:
        try:
            writer.start(probe_id)
            writer.add(probe(module, folder, spec))
        except BaseException as exc:
            writer.add(failure(probe_id, exc))


async def _run_problem3(module: ModuleType, writer: ResultWriter) -> None:
    from diagnostics.hidden.probes3 import PROBES

    for probe_id, probe in PROBES:
        try:
            writer.start(probe_id)
            writer.add(await probe(module))
        except BaseException as exc:
            writer.add(failure(probe_id, exc))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
