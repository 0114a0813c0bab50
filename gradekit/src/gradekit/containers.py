"""Build and run images for the graders, on a real Docker engine or not at all.

A criterion about a container is measured on a running container; where no engine answers, the
reason comes back (not installed, not running, no permission) so the criterion fails naming it —
it never passes without a container. Builds take ``BASE_IMAGE``/``UV_IMAGE`` build arguments: the
registry's defaults, or the local stand-ins ``make docker-base`` builds on an offline machine.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from gradekit.errors import GradekitError

__all__ = [
    "BuildResult",
    "Container",
    "EngineUnavailable",
    "base_image_args",
    "build_image",
    "docker_cli",
    "engine_problem",
    "offline_dockerfile",
    "remove_image",
    "run_container",
]

LOCAL_BASE = "local/python:3.11-slim"
LOCAL_UV = "local/uv:0.13.10"
# python:3.X[-variant] from Docker Hub: the image a learner's Dockerfile most often starts FROM
_PYTHON_IMAGE = re.compile(r"^(?:docker\.io/)?(?:library/)?python:3(?:\.\d+)?(?:[.-][\w.-]*)?$")
_reachable: dict[str, bool] = {}


class EngineUnavailable(GradekitError, RuntimeError):
    """Raised when no Docker engine can build or run images here (the message says why)."""


def docker_cli() -> str | None:
    """Debian's client first (the one on PATH may lack the buildx plugin BuildKit needs)."""
    if Path("/usr/bin/docker").exists():
        return "/usr/bin/docker"
    return shutil.which("docker")


def engine_problem() -> str:
    """Why no engine can be used here ("" when one answers)."""
    cli = docker_cli()
    if cli is None:
        return "no docker client is installed (make docker-engine installs Debian's docker.io)"
    proc = subprocess.run([cli, "info"], capture_output=True, text=True, timeout=30, check=False)
    if proc.returncode == 0:
        return ""
    err = (proc.stderr or proc.stdout).strip().splitlines()
    detail = err[-1] if err else f"exit code {proc.returncode}"
    if "permission denied" in detail.lower():
        return f"the Docker engine refuses this user ({detail}): add it to the docker group"
    return f"no Docker engine answers ({detail}): run make docker-engine"


def base_image_args() -> dict[str, str]:
    """Build args that point at the local stand-ins when they exist (an offline machine)."""
    cli = docker_cli()
    if cli is None:
        return {}
    args = {}
    for arg, image in (("BASE_IMAGE", LOCAL_BASE), ("UV_IMAGE", LOCAL_UV)):
        found = subprocess.run(
            [cli, "image", "inspect", image], capture_output=True, timeout=30, check=False
        )
        if found.returncode == 0:
            args[arg] = image
    return args


@dataclass(frozen=True)
class BuildResult:
    """A built image: its tag, how long the build took and how big the image is."""

    tag: str
    seconds: float
    size_bytes: int
    log: Path


def build_image(
    dockerfile: Path,
    context: Path,
    tag: str,
    *,
    log: Path,
    build_args: dict[str, str] | None = None,
    timeout_s: float = 1800,
) -> BuildResult:
    """``docker build`` with BuildKit; raises EngineUnavailable or RuntimeError (log tail)."""
    problem = engine_problem()
    if problem:
        raise EngineUnavailable(problem)
    cli = docker_cli()
    assert cli is not None
    args = {**base_image_args(), **(build_args or {})}
    command = [cli, "build", "-f", str(dockerfile), "-t", tag]
    for name, value in args.items():
        command += ["--build-arg", f"{name}={value}"]
    ca = os.environ.get("SSL_CERT_FILE")
    if ca and Path(ca).is_file():
        command += ["--secret", f"id=extra_ca,src={ca}"]
    command.append(str(context))
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as fh:
        proc = subprocess.run(
            command,
            stdout=fh,
            stderr=subprocess.STDOUT,
            env={**os.environ, "DOCKER_BUILDKIT": "1"},
            timeout=timeout_s,
            check=False,
        )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-8:]
        raise RuntimeError(f"docker build of {dockerfile} failed: {' | '.join(tail)}")
    size = subprocess.run(
        [cli, "image", "inspect", "-f", "{{.Size}}", tag],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.strip()
    return BuildResult(tag=tag, seconds=seconds, size_bytes=int(size), log=log)


@dataclass
class Container:
    """A running container the grader started; stop it (or use it as a context manager)."""

    cli: str
    id: str
    name: str
    ports: dict[int, int] = field(default_factory=dict)

    def logs(self) -> str:
        """What the container printed so far."""
        proc = subprocess.run(
            [self.cli, "logs", self.id], capture_output=True, text=True, timeout=30, check=False
        )
        return proc.stdout + proc.stderr

    def inspect(self, template: str) -> str:
        """``docker inspect -f template`` of the container."""
        return subprocess.run(
            [self.cli, "inspect", "-f", template, self.id],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout.strip()

    def stop(self) -> None:
        """Stop and remove the container (idempotent)."""
        with contextlib.suppress(subprocess.SubprocessError):
            subprocess.run(
                [self.cli, "rm", "-f", self.id], capture_output=True, timeout=60, check=False
            )

    def __enter__(self) -> Container:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_container(
    image: str,
    *,
    name: str,
    ports: dict[int, int] | None = None,
    env: dict[str, str] | None = None,
    user: str | None = None,
    read_only: bool = False,
    cap_drop_all: bool = False,
    memory: str | None = None,
    cpus: float | None = None,
    tmpfs: tuple[str, ...] = (),
    host_network: bool = False,
    extra: tuple[str, ...] = (),
    command: tuple[str, ...] = (),
) -> Container:
    """``docker run -d`` with the given limits; ``ports`` maps container port -> host port
    (published on 127.0.0.1 only); ``command`` replaces the image's CMD."""
    problem = engine_problem()
    if problem:
        raise EngineUnavailable(problem)
    cli = docker_cli()
    assert cli is not None
    subprocess.run([cli, "rm", "-f", name], capture_output=True, timeout=60, check=False)
    argv = [cli, "run", "-d", "--name", name]
    if host_network:
        argv += ["--network", "host"]
    for inside, outside in (ports or {}).items():
        argv += ["-p", f"127.0.0.1:{outside}:{inside}"]
    for key, value in (env or {}).items():
        argv += ["-e", f"{key}={value}"]
    if user:
        argv += ["--user", user]
    if read_only:
        argv.append("--read-only")
    if cap_drop_all:
        argv += ["--cap-drop", "ALL", "--security-opt", "no-new-privileges"]
    if memory:
        argv += ["--memory", memory]
    if cpus:
        argv += ["--cpus", str(cpus)]
    for mount in tmpfs:
        argv += ["--tmpfs", mount]
    argv += [*extra, image, *command]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"docker run {image} failed: {proc.stderr.strip()[-500:]}")
    return Container(cli=cli, id=proc.stdout.strip(), name=name, ports=dict(ports or {}))


def _image_here(cli: str, image: str) -> bool:
    found = subprocess.run(
        [cli, "image", "inspect", image], capture_output=True, timeout=30, check=False
    )
    return found.returncode == 0


def _pullable(cli: str, image: str, timeout_s: float = 25) -> bool:
    """True when ``image`` can be pulled (it is then here); remembered per process."""
    if image not in _reachable:
        try:
            done = subprocess.run(
                [cli, "pull", "-q", image], capture_output=True, timeout=timeout_s, check=False
            )
            _reachable[image] = done.returncode == 0
        except subprocess.TimeoutExpired:
            _reachable[image] = False
    return _reachable[image]


def offline_dockerfile(dockerfile: Path, out_dir: Path) -> tuple[Path, list[str]]:
    """The Dockerfile to build here, and what was changed so it builds without a registry.

    Unchanged when every ``FROM`` image is here or can be pulled. Otherwise a copy in
    ``out_dir`` where ``FROM python:3.X…`` (not here, no registry) starts from the local
    stand-in ``make docker-base`` builds, and a ``# syntax=`` line (a frontend pull) is
    dropped; the notes say so, for the evidence. Other images are left for the build to report.
    """
    cli = docker_cli()
    if cli is None:
        return dockerfile, []
    lines = dockerfile.read_text(encoding="utf-8", errors="replace").splitlines()
    stages: set[str] = set()
    notes: list[str] = []
    changed = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if i == 0 and re.match(r"#\s*syntax\s*=", stripped, re.IGNORECASE):
            if not _pullable(cli, stripped.split("=", 1)[1].strip()):
                lines[i] = ""
                changed = True
                notes.append(f"`{stripped}` dropped (no registry here to pull the frontend)")
            continue
        words = stripped.split()
        if len(words) < 2 or words[0].upper() != "FROM":
            continue
        args = [w for w in words[1:] if not w.startswith("--")]
        if not args:
            continue
        image = args[0]
        if len(args) >= 3 and args[1].upper() == "AS":
            stages.add(args[2].lower())
        if image.lower() in stages or image == "scratch" or "$" in image:
            continue
        if _image_here(cli, image) or _pullable(cli, image):
            continue
        if _PYTHON_IMAGE.match(image) and _image_here(cli, LOCAL_BASE):
            lines[i] = line.replace(image, LOCAL_BASE, 1)
            changed = True
            note = (
                f"FROM {image} built on {LOCAL_BASE} (Debian's Python 3.11 + pip; no registry "
                "here: make docker-base)"
            )
            if note not in notes:
                notes.append(note)
    if not changed:
        return dockerfile, notes
    out_dir.mkdir(parents=True, exist_ok=True)
    copy = out_dir / "Dockerfile.offline"
    copy.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return copy, notes


def remove_image(tag: str) -> None:
    """``docker rmi`` (the build cache keeps the layers for the next build)."""
    cli = docker_cli()
    if cli is None:
        return
    with contextlib.suppress(subprocess.SubprocessError):
        subprocess.run([cli, "rmi", "-f", tag], capture_output=True, timeout=120, check=False)
