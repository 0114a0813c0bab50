"""How the grader starts the graded server: the command its Dockerfile runs, on loopback.

The image's CMD is the deployment's decision (uvicorn or gunicorn, how many workers, which
limits), so the load tests run exactly that command — outside a container, from the
implementation's folder, with the host and port replaced by ``127.0.0.1`` and a free port.
Without a usable CMD (no Dockerfile yet, or a CMD that needs a shell or an entrypoint script)
the grader falls back to ``uvicorn main:app --workers 2`` and says so in the evidence.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from stage5_grading.dockerfile import parse_dockerfile
from stage5_grading.layout import ImplFiles

__all__ = ["LaunchPlan", "default_plan", "dockerfile_plan", "launch_plan"]

_SERVERS = ("uvicorn", "gunicorn", "hypercorn", "fastapi")
_PYTHONS = ("python", "python3", "python3.11")
_PORT = "{port}"


@dataclass(frozen=True)
class LaunchPlan:
    """A server command with ``{port}`` where the grader's port goes, and where it came from."""

    argv: list[str]
    source: str
    cwd: Path | None = None
    workers: int = 1
    notes: list[str] = field(default_factory=list)

    def argv_for(self, port: int) -> list[str]:
        """The command line for one server on ``port``."""
        return [a.replace(_PORT, str(port)) for a in self.argv]

    def describe(self) -> str:
        """One line for the evidence: the command and its origin."""
        shown = " ".join(Path(self.argv[0]).name if i == 0 else a for i, a in enumerate(self.argv))
        return f"`{shown.replace(_PORT, 'PORT')}` ({self.source})"


def default_plan(files: ImplFiles, workers: int, why: str) -> LaunchPlan:
    """``python -m uvicorn <module>:app --workers N`` from the implementation's folder."""
    argv = [sys.executable, "-m", "uvicorn", files.app_target]
    if files.app_dir is not None:
        argv += ["--app-dir", str(files.app_dir)]
    argv += ["--host", "127.0.0.1", "--port", _PORT, "--workers", str(workers)]
    argv += ["--no-access-log", "--log-level", "warning"]
    return LaunchPlan(
        argv=argv,
        source=f"the grader's default: {why}",
        cwd=files.app_dir,
        workers=workers,
    )


def _program(word: str) -> tuple[str, str] | None:
    """(executable to run here, its role) for the first word of a CMD, or None if unknown."""
    name = Path(word).name
    if name in _PYTHONS:
        return sys.executable, "python"
    if name in _SERVERS:
        local = Path(sys.executable).parent / name
        return (str(local) if local.exists() else name), name
    return None


def _replace_option(argv: list[str], names: tuple[str, ...], value: str) -> bool:
    """Replace the value of option ``names`` (``--x v`` or ``--x=v``) in place; True if found."""
    found = False
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                argv[i + 1] = value
                found = True
            elif arg.startswith(name + "="):
                argv[i] = f"{name}={value}"
                found = True
    return found


def _option(argv: list[str], names: tuple[str, ...]) -> str | None:
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                return argv[i + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def _server_of(argv: list[str], role: str) -> str:
    """Which server the command runs: uvicorn, gunicorn, hypercorn, fastapi, or python."""
    if role != "python":
        return role
    if len(argv) > 2 and argv[1] == "-m":
        return argv[2].split(".")[0] if argv[2] in _SERVERS else argv[2]
    return "python"


def dockerfile_plan(files: ImplFiles) -> tuple[LaunchPlan | None, str]:
    """The Dockerfile's command adapted to loopback, or (None, why it cannot be used)."""
    if files.dockerfile is None or not files.dockerfile.is_file():
        return None, "no Dockerfile"
    docker = parse_dockerfile(files.dockerfile)
    argv, why = docker.command()
    where = f"{files.rel(files.dockerfile)}"
    if argv is None:
        return None, f"{where}: {why}"
    program = _program(argv[0])
    if program is None:
        return None, (
            f"{where}: its command starts with {argv[0]!r} (an entrypoint script?); the grader "
            "runs uvicorn, gunicorn, hypercorn, fastapi or python commands"
        )
    argv = [program[0], *argv[1:]]
    server = _server_of(argv, program[1])
    notes: list[str] = []
    host_port = f"127.0.0.1:{_PORT}"
    has_port = _replace_option(argv, ("--port",), _PORT)
    has_bind = _replace_option(argv, ("--bind", "-b"), host_port)
    _replace_option(argv, ("--host",), "127.0.0.1")
    if not (has_port or has_bind):
        if server in ("uvicorn", "fastapi", "stage5_api.serve"):
            argv += ["--host", "127.0.0.1", "--port", _PORT]
        elif server in ("gunicorn", "hypercorn"):
            argv += ["--bind", host_port]
        else:
            notes.append("no --port or --bind in the command: the port is given as $PORT")
    workers_text = _option(argv, ("--workers", "-w"))
    workers = int(workers_text) if workers_text and workers_text.isdigit() else 1
    if "--reload" in argv:
        workers = 1
    cwd = files.root
    folder = docker.copied_folder()
    if folder and files.root is not None and (files.root / folder).is_dir():
        cwd = files.root / folder
        notes.append(f"run from {folder}/ (the Dockerfile copies it into WORKDIR)")
    if files.is_reference:
        cwd = None  # our package is installed: no folder to run from
    return (
        LaunchPlan(
            argv=argv,
            source=f"CMD of {where}",
            cwd=cwd,
            workers=max(1, workers),
            notes=notes,
        ),
        "",
    )


def launch_plan(files: ImplFiles, workers: int) -> LaunchPlan:
    """The Dockerfile's command when usable, else the grader's default (the note says why)."""
    plan, why = dockerfile_plan(files)
    return plan if plan is not None else default_plan(files, workers, why)
