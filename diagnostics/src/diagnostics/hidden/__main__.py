"""Sandbox entry: ``python -m diagnostics.hidden SPEC.json`` probes one candidate problem file.

Runs as its own process so a crash, hang or runaway allocation in the candidate's code costs
only this problem: the parent enforces the wall-clock limit, this process caps its own
address space before importing the candidate, and results are written after every probe.
"""

from __future__ import annotations

import asyncio
import importlib.util
import resource
import sys
import traceback
from pathlib import Path
from types import ModuleType

from diagnostics.hidden.records import ProbeResult, ResultWriter, SandboxSpec


def main(argv: list[str]) -> int:
    """Run every probe of the spec's problem; exit 0 even when probes fail (they are results)."""
    spec = SandboxSpec.model_validate_json(Path(argv[0]).read_text(encoding="utf-8"))
    limit = spec.memory_limit_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    writer = ResultWriter(Path(spec.out_path), spec.problem)
    if spec.problem == 2:
        import pandas  # noqa: F401  # library import costs must not count as the candidate's memory
    if spec.problem == 3:
        from diagnostics.hidden.probes3 import install_sleep_watch

        install_sleep_watch()  # before the candidate imports `from time import sleep`
    try:
        module = _import_candidate(Path(spec.candidate_file), f"problem{spec.problem}")
    except BaseException as exc:
        writer.finish("import_error", _describe(exc))
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


def _import_candidate(path: Path, name: str) -> ModuleType:
    sys.path.insert(0, str(path.parent))  # the candidate may import helpers beside the file
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"{path} is not an importable Python file")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    module_spec.loader.exec_module(module)
    return module


def _describe(exc: BaseException) -> str:
    return traceback.format_exception_only(type(exc), exc)[-1].strip()


def _failed(probe_id: str, exc: BaseException) -> ProbeResult:
    return ProbeResult(id=probe_id, passed=False, evidence=f"raised {_describe(exc)}", value=False)


def _run_problem1(module: ModuleType, folder: Path, writer: ResultWriter) -> None:
    from diagnostics.hidden.probes1 import PROBES

    for probe_id, probe in PROBES:
        try:
            writer.add(probe(module, folder))
        except BaseException as exc:  # SystemExit from candidate code is a failure, too
            writer.add(_failed(probe_id, exc))


def _run_problem2(
    module: ModuleType, folder: Path, spec: SandboxSpec, writer: ResultWriter
) -> None:
    from diagnostics.hidden.probes2 import PROBES

    for probe_id, probe in PROBES:
        try:
            writer.add(probe(module, folder, spec))
        except BaseException as exc:
            writer.add(_failed(probe_id, exc))


async def _run_problem3(module: ModuleType, writer: ResultWriter) -> None:
    from diagnostics.hidden.probes3 import PROBES

    for probe_id, probe in PROBES:
        try:
            writer.add(await probe(module))
        except BaseException as exc:
            writer.add(_failed(probe_id, exc))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
