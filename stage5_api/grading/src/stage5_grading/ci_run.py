"""Run the workflow's own lint and test commands on the code, as CI would.

Only the commands themselves are run, from the implementation's folder with the workspace's
environment (no ``pip install`` of anything): ``pytest`` lines become ``python -m pytest``
with :mod:`stage5_grading.testprobe` loaded, linters found in the environment (ruff, mypy,
black, flake8, pylint, isort) run as written, ``make <target>`` runs the target. A linter that
is not installed here is named, not run.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from stage5_grading.workflow import Step, command_lines, pytest_args

__all__ = ["CommandRun", "TestRecord", "run_lint", "run_tests"]

_LINTERS = ("ruff", "mypy", "black", "flake8", "pylint", "isort")
# Used only when the learner's folder has no pytest config of its own. One event loop for the
# whole session, as a server has one per worker: an async client made at import (a module-level
# ``redis.asyncio`` pool) stays bound to a live loop, instead of failing every test after the
# first with "Event loop is closed".
_PYTEST_INI = (
    "[pytest]\nasyncio_mode = auto\n"
    "asyncio_default_fixture_loop_scope = session\nasyncio_default_test_loop_scope = session\n"
)


@dataclass
class CommandRun:
    """One command the grader ran, and how it ended."""

    command: str
    returncode: int | None
    output: str
    seconds: float
    skipped: str = ""

    @property
    def ok(self) -> bool:
        """True when it ran and exited 0."""
        return self.returncode == 0 and not self.skipped


@dataclass
class TestRecord:
    """What the testprobe plugin saw, summed over the pytest sessions of one command."""

    sessions: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    predict_requests: int = 0
    predict_statuses: dict[str, int] = field(default_factory=dict)
    tests_with_predict: list[str] = field(default_factory=list)

    def add(self, record: dict[str, object]) -> None:
        """Fold in one session's JSON line."""
        self.sessions += 1
        for key in ("passed", "failed", "errors", "skipped", "predict_requests"):
            value = record.get(key, 0)
            setattr(self, key, getattr(self, key) + (value if isinstance(value, int) else 0))
        statuses = record.get("predict_statuses") or {}
        if isinstance(statuses, dict):
            for code, n in statuses.items():
                self.predict_statuses[code] = self.predict_statuses.get(code, 0) + int(n)
        tests = record.get("tests_with_predict") or []
        if isinstance(tests, list):
            self.tests_with_predict += [str(t) for t in tests]


def _tool(name: str) -> str | None:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def _cwd(root: Path, step: Step) -> Path:
    return (root / step.working_directory).resolve() if step.working_directory else root


def _run(argv: list[str], cwd: Path, env: dict[str, str], timeout_s: float) -> CommandRun:
    shown = " ".join(shlex.quote(a) for a in argv)
    if timeout_s <= 0:
        return CommandRun(shown, None, "", 0.0, skipped="no time left (ci_timeout)")
    started = time.perf_counter()
    try:
        done = subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        code: int | None = done.returncode
        output = done.stdout + done.stderr
    except subprocess.TimeoutExpired as exc:
        code = None
        output = f"stopped after {timeout_s:.0f} s. " + str(exc.stdout or "")[-500:]
    except OSError as exc:
        code = None
        output = f"could not run: {exc}"
    return CommandRun(shown, code, output, round(time.perf_counter() - started, 1))


def _strip_runner(words: list[str]) -> list[str]:
    """``uv run --frozen ruff check .`` → ``ruff check .`` (also poetry/pipenv, python -m)."""
    if words and words[0] in ("uv", "poetry", "pipenv"):
        words = words[1:]
        if words and words[0] == "run":
            words = words[1:]
        while words and words[0].startswith("-"):
            words = words[1:]
    if len(words) > 2 and Path(words[0]).name.startswith("python") and words[1] == "-m":
        words = words[2:]
    return words


def _has_own_config(folder: Path, tool: str) -> bool:
    if tool == "ruff" and ((folder / "ruff.toml").exists() or (folder / ".ruff.toml").exists()):
        return True
    if tool == "pytest" and any(
        (folder / n).exists() for n in ("pytest.ini", "tox.ini", "setup.cfg")
    ):
        return True
    pyproject = folder / "pyproject.toml"
    return pyproject.exists() and f"[tool.{tool}" in pyproject.read_text(encoding="utf-8")


def run_lint(steps: list[Step], root: Path, *, deadline: float) -> list[CommandRun]:
    """Every lint command of ``steps`` that can run here, run from ``root``."""
    runs: list[CommandRun] = []
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}
    for step in steps:
        cwd = _cwd(root, step)
        for line in command_lines(step.run or ""):
            try:
                words = shlex.split(line)
            except ValueError:
                continue
            words = _strip_runner(words)
            if not words:
                continue
            name = Path(words[0]).name
            if name == "make" and len(words) > 1 and words[1] == "lint":
                argv = ["make", "lint"]
            elif name in _LINTERS:
                path = _tool(name)
                if path is None:
                    runs.append(CommandRun(line, None, "", 0.0, skipped=f"{name} is not installed"))
                    continue
                argv = [path, *words[1:]]
                if name == "ruff" and not _has_own_config(cwd, "ruff"):
                    argv.insert(
                        2 if len(argv) > 1 and argv[1] in ("check", "format") else 1, "--isolated"
                    )
            else:
                continue
            runs.append(_run(argv, cwd, env, deadline - time.monotonic()))
    return runs


def run_tests(
    steps: list[Step], root: Path, work_dir: Path, *, deadline: float
) -> tuple[list[CommandRun], TestRecord]:
    """Every test command of ``steps``, with the testprobe plugin; its runs and what it saw."""
    record_path = work_dir / "testprobe.jsonl"
    record_path.unlink(missing_ok=True)
    ini = work_dir / "pytest.ini"
    ini.write_text(_PYTEST_INI, encoding="utf-8")
    env = {
        **os.environ,
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
        "STAGE5_TESTPROBE_OUT": str(record_path),
        "PYTEST_ADDOPTS": "-p stage5_grading.testprobe -p no:cacheprovider",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.pop("IMPL", None)
    runs: list[CommandRun] = []
    for step in steps:
        cwd = _cwd(root, step)
        for line in command_lines(step.run or ""):
            args = pytest_args(line)
            if args is not None:
                argv = [sys.executable, "-m", "pytest", *args]
                if not _has_own_config(cwd, "pytest"):
                    argv += ["-c", str(ini), "--rootdir", str(cwd)]
                runs.append(_run(argv, cwd, env, deadline - time.monotonic()))
            elif re.match(r"^\s*make\s+test\b", line):
                runs.append(_run(["make", "test"], cwd, env, deadline - time.monotonic()))
    record = TestRecord()
    if record_path.exists():
        for line in record_path.read_text(encoding="utf-8").splitlines():
            try:
                record.add(json.loads(line))
            except ValueError:
                continue
    return runs, record
