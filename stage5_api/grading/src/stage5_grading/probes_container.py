"""Criterion 6: the image, built and run the way the learner's own Deployment runs it.

1. **Build** the implementation's ``Dockerfile`` with its folder as the context (ours:
   ``deploy/Dockerfile`` from the repository root) on a real Docker engine; on a machine with no
   registry, ``FROM python:3.X…`` starts from the local stand-in (``make docker-base``) and the
   evidence says so. Build time and image size are reported.
2. **Run** it as the Deployment says (:mod:`stage5_grading.pod_spec`): command/args, env from
   the manifests, security context, cpu/memory limits, emptyDir as tmpfs; the kubelet's
   ``runAsNonRoot`` refusal is mirrored. ``REDIS_URL``/``STAGE5_REDIS_URL`` point at a private
   Redis the container reaches on the Docker bridge, as for every other probe.
3. **Ready**: the probe path of the manifests (else ``/ready``, ``/health``) on the
   ``containerPort`` answers 200. A container that exits, is OOM-killed, or listens only on
   127.0.0.1 (unreachable from outside its network namespace) fails, with its log tail.
4. **Load**: ``container_requests`` predictions over 16 connections, each a 200 with a numeric
   ``prediction``; the container must still run afterwards, within its memory limit.

No engine here is a failed criterion that says why (never a pass without a container).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from pathlib import Path

from gradekit.containers import (
    BuildResult,
    Container,
    EngineUnavailable,
    build_image,
    docker_cli,
    engine_problem,
    offline_dockerfile,
    remove_image,
    run_container,
)
from gradekit.result import Measurement
from gradekit.stages import GradeContext
from opskit.processes import free_port
from stage5_grading.layout import REPO, ImplFiles, impl_files
from stage5_grading.loadtest.burst import send_all
from stage5_grading.loadtest.lb import RedisServer
from stage5_grading.loadtest.server import http_status
from stage5_grading.manifests import load_manifests
from stage5_grading.options import Options
from stage5_grading.pod_spec import PodRun, pod_run, runs_as_root_refusal
from stage5_grading.serving import READY_PATHS, STARTUP_S, prediction_of, rows

__all__ = ["probe_container"]

CONCURRENCY = 16
DEFAULT_PORT = 8000


class _Refused(Exception):
    """The container cannot serve: the learner's image or manifests (message says why)."""


def _sh(cli: str, *args: str, timeout: float = 60) -> str:
    done = subprocess.run(
        [cli, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    return done.stdout.strip()


def _gateway(cli: str) -> str:
    """The Docker bridge's gateway: the host address a container reaches."""
    found = _sh(
        cli, "network", "inspect", "bridge", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}"
    )
    return found.split()[0] if found else "172.17.0.1"


def _listening(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket listening in the container's network namespace."""
    found = []
    for name, width in (("tcp", 8), ("tcp6", 32)):
        try:
            lines = Path(f"/proc/{pid}/net/{name}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) < 4 or parts[3] != "0A":  # 0A: LISTEN
                continue
            address, port = parts[1].split(":")
            if set(address) == {"0"}:
                host = "0.0.0.0" if width == 8 else "::"
            elif address in ("0100007F", "00000000000000000000000001000000"):
                host = "127.0.0.1" if width == 8 else "::1"
            else:
                host = address
            found.append((host, int(port, 16)))
    return found


def _state(container: Container) -> tuple[str, int, bool, int]:
    """(status, exit code, OOM-killed, init pid) of the container."""
    text = container.inspect(
        "{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}} {{.State.Pid}}"
    )
    parts = [*text.split(), "?", "0", "false", "0"][:4]
    return parts[0], int(parts[1] or 0), parts[2] == "true", int(parts[3] or 0)


def _tail(text: str, lines: int = 6) -> str:
    kept = [ln.strip() for ln in text.splitlines() if ln.strip()][-lines:]
    return " | ".join(kept)[-600:]


def _why_stopped(container: Container) -> str:
    status, code, oom, _ = _state(container)
    if oom:
        return f"the container was OOM-killed (exit {code}): it needs more memory than its limit"
    return f"the container {status} with exit code {code}; its log: {_tail(container.logs())}"


def _oom_kills(pid: int) -> int:
    """OOM kills in the container's memory cgroup (any process, say a worker; v1 or v2)."""
    try:
        lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    except OSError:
        return 0
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "memory":
            files = [Path(f"/sys/fs/cgroup/memory{path}/memory.oom_control")]
        elif controllers == "":
            files = [Path(f"/sys/fs/cgroup{path}/memory.events")]
        else:
            continue
        for file in files:
            try:
                for entry in file.read_text().splitlines():
                    key, _, value = entry.partition(" ")
                    if key == "oom_kill" and value.strip().isdigit() and int(value) > 0:
                        return int(value)
            except OSError:
                continue
    return 0


def _oom_note(container: Container) -> str:
    """A note when the kernel OOM-killed a process in the container (say, a worker)."""
    _, _, oom, pid = _state(container)
    kills = _oom_kills(pid) if pid else 0
    if oom or kills:
        return (
            f" (the kernel OOM-killed {kills or 1} process(es) in the container: it needs more "
            "memory than its limit)"
        )
    return ""


def _wait_ready(container: Container, run: PodRun, host_port: int) -> tuple[str, float]:
    """Poll the readiness path until 200; returns (path, seconds). Raises _Refused."""
    paths = (run.ready_path,) if run.ready_path else READY_PATHS
    started = time.monotonic()
    deadline = started + STARTUP_S
    while time.monotonic() < deadline:
        status, _, _, pid = _state(container)
        if status not in ("running", "created"):
            raise _Refused(_why_stopped(container))
        listening = _listening(pid) if pid else []
        port = run.port or DEFAULT_PORT
        local_only = [p for h, p in listening if h in ("127.0.0.1", "::1") and p == port]
        public = [p for h, p in listening if h in ("0.0.0.0", "::")]
        if local_only and port not in public:
            raise _Refused(
                f"the server listens on 127.0.0.1:{port} inside the container: nothing outside "
                "its network namespace (Service, kubelet probes, this grader) can reach it; "
                "bind 0.0.0.0 (--host 0.0.0.0)"
            )
        for path in paths:
            if http_status(f"http://127.0.0.1:{host_port}{path}", timeout_s=3) == 200:
                return path, time.monotonic() - started
        time.sleep(1)
    listening = _listening(_state(container)[3])
    where = ", ".join(f"{h}:{p}" for h, p in listening) or "no port"
    raise _Refused(
        f"not ready after {STARTUP_S:.0f} s: GET {' or '.join(paths)} on containerPort "
        f"{run.port or DEFAULT_PORT} never answered 200 (the container listens on {where})"
        f"{_oom_note(container)}; its log: {_tail(container.logs())}"
    )


def _memory_used(cli: str, container: Container) -> str:
    return _sh(cli, "stats", "--no-stream", "--format", "{{.MemUsage}}", container.id)


def _uid(container: Container) -> str:
    pid = _state(container)[3]
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Uid:"):
                return line.split()[1]
    except OSError:
        pass
    return "?"


def _who(cli: str, tag: str, run: PodRun) -> tuple[int | None, int | None]:
    """(uid, gid) the container runs as: runAsUser/runAsGroup, else the image's USER."""
    if run.run_as_user is not None:
        return run.run_as_user, run.run_as_group if run.run_as_group is not None else 0
    user = _sh(cli, "image", "inspect", "-f", "{{.Config.User}}", tag)
    name, _, group = user.partition(":")
    if name.isdigit() and (not group or group.isdigit()):
        return int(name), int(group) if group else 0
    if not name:
        return 0, 0
    ids = _sh(cli, "run", "--rm", "--entrypoint", "sh", tag, "-c", "id -u; id -g").split()
    if len(ids) == 2 and all(i.isdigit() for i in ids):
        return int(ids[0]), int(ids[1])
    return None, None


def _build(ctx: GradeContext, files: ImplFiles, tag: str) -> tuple[BuildResult, list[str]]:
    assert files.dockerfile is not None
    context = REPO if files.is_reference else (files.root or REPO)
    dockerfile, notes = offline_dockerfile(files.dockerfile, ctx.work_dir / "container")
    result = build_image(
        dockerfile,
        context,
        tag,
        log=ctx.work_dir / "container" / "build.log",
        timeout_s=Options.of(ctx).container_build_timeout,
    )
    return result, notes


def _run_settings(files: ImplFiles) -> PodRun:
    objects, _ = load_manifests(files.manifests)
    run = pod_run(objects)
    if run is None:
        run = PodRun(source="no Deployment in the manifests")
        run.notes.append("no Deployment: the image ran with its own settings and no limits")
    return run


def _serve(ctx: GradeContext, files: ImplFiles, tag: str, run: PodRun, facts: list[str]) -> None:
    """Run the built image as the Deployment says and send it the load; raises _Refused."""
    cli = docker_cli()
    assert cli is not None
    refusal = runs_as_root_refusal(run, _sh(cli, "image", "inspect", "-f", "{{.Config.User}}", tag))
    if refusal:
        raise _Refused(f"Kubernetes would not start the pod: {refusal}")
    options = Options.of(ctx)
    with RedisServer(host=_gateway(cli)) as redis:
        env = {**run.env, "REDIS_URL": redis.url, "STAGE5_REDIS_URL": redis.url}
        host_port = free_port()
        uid, gid = _who(cli, tag, run)
        extra = tuple(run.docker_options(uid, gid))
        entry: list[str] = []
        if run.command:
            extra += ("--entrypoint", run.command[0])
            entry = [*run.command[1:], *(run.args or [])]
        elif run.args is not None:
            entry = list(run.args)
        name = f"{tag.replace(':', '-')}-{os.getpid()}"
        try:
            container = run_container(
                tag,
                name=name,
                ports={run.port or DEFAULT_PORT: host_port},
                env=env,
                extra=extra,
                command=tuple(entry),
            )
        except RuntimeError as exc:
            raise _Refused(str(exc)) from exc
        with container:
            path, seconds = _wait_ready(container, run, host_port)
            facts.append(
                f"ready in {seconds:.0f} s ({path} answered 200), running as uid {_uid(container)}"
            )
            bodies = rows(options.container_requests, seed=11)
            started = time.monotonic()
            replies = send_all(
                f"http://127.0.0.1:{host_port}/predict", bodies, concurrency=CONCURRENCY
            )
            elapsed = time.monotonic() - started
            bad = [r for r in replies if r.status != 200 or prediction_of(r.body) is None]
            status, _, _, _ = _state(container)
            if status != "running":
                raise _Refused(f"under {len(bodies)} predictions {_why_stopped(container)}")
            if bad:
                first = bad[0]
                shown = first.error or f"{first.status} {first.body[:160]!r}"
                raise _Refused(
                    f"{len(bad)} of {len(bodies)} predictions were not a 200 with a numeric "
                    f"'prediction' (first: {shown}){_oom_note(container)}; its log: "
                    f"{_tail(container.logs(), 4)}"
                )
            latencies = sorted(r.latency_s for r in replies)
            p99 = latencies[int(0.99 * (len(latencies) - 1))] * 1000
            facts.append(
                f"{len(bodies)} predictions over {CONCURRENCY} connections: all 200 "
                f"({len(bodies) / elapsed:.0f} req/s, p99 {p99:.0f} ms), memory "
                f"{_memory_used(cli, container)}"
            )


def probe_container(ctx: GradeContext) -> Measurement:
    """Build the image, run it as the Deployment would, send it predictions."""
    files = impl_files(ctx)
    if files.root is None:
        return Measurement.failed(
            "IMPL names a module, not a folder: pass your folder (IMPL=workspace/stage5) so "
            "the grader finds its Dockerfile and k8s/"
        )
    if files.dockerfile is None:
        return Measurement.failed(f"no Dockerfile in {files.root}: there is no image to run")
    where = files.rel(files.dockerfile)
    problem = engine_problem()
    if problem:
        return Measurement.failed(
            f"{where} could not be built or run here: {problem}. This criterion is judged on a "
            "running container only",
            details={"engine": problem},
        )
    digest = hashlib.sha1(str(files.root).encode()).hexdigest()[:10]
    tag = f"stage5-grade-{digest}:latest"
    run = _run_settings(files)
    facts: list[str] = []
    details: dict[str, object] = {"dockerfile": str(files.dockerfile), "run": run.source}
    try:
        try:
            built, notes = _build(ctx, files, tag)
        except EngineUnavailable as exc:
            return Measurement.failed(f"{where} could not be built here: {exc}")
        except RuntimeError as exc:
            return Measurement.failed(f"{where} does not build: {exc}")
        except subprocess.TimeoutExpired:
            limit = Options.of(ctx).container_build_timeout
            return Measurement.failed(f"{where} did not build within {limit:.0f} s")
        size_mb = built.size_bytes / 1e6
        details.update(build_s=round(built.seconds, 1), image_mb=round(size_mb))
        facts.append(f"built {where} in {built.seconds:.0f} s, image {size_mb:.0f} MB")
        facts += notes
        facts.append(f"run as {run.source}: {run.settings()}")
        facts += run.notes
        try:
            _serve(ctx, files, tag, run, facts)
        except _Refused as exc:
            details["facts"] = facts
            return Measurement.failed(f"{exc}. {'; '.join(facts)}", details=details)
    finally:
        remove_image(tag)
    details["facts"] = facts
    return Measurement(value=True, passed=True, evidence="; ".join(facts), details=details)
