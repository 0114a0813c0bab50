"""Criterion ``docker`` on a running container: build the Dockerfile, run it, ask it, compare.

The grader's process owns the image and the container (always removed at the end); the learner's
code (training, deployment, their model's own predictions) runs in a child. Without a usable
engine the criterion fails naming why; it never passes without a container.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from collections.abc import Callable
from typing import Any

import httpx

from gradekit.containers import (
    Container,
    EngineUnavailable,
    build_image,
    docker_cli,
    engine_problem,
    run_container,
)
from gradekit.isolation import run_isolated
from gradekit.result import Measurement
from gradekit.stages import GradeContext
from opskit.processes import free_port
from stage3_grading.layout import DockerLayout, docker_layout
from stage3_grading.recommendations import UnreadableOutput, distinct_lists, query_server
from stage3_grading.serving import K

__all__ = ["CONTAINER_PORT", "measure_docker"]

CONTAINER_PORT = 8080
BUILD_S = 1800.0
START_S = 300.0
PREPARE_S = 900.0


def measure_docker(ctx: GradeContext, tracking: Callable[[], str]) -> Measurement:
    """Build, train + deploy (child), run the container against ``tracking()``, compare.

    ``tracking`` starts (or returns) the grader's tracking server, only once the image built.
    """
    layout = docker_layout(ctx)
    if layout.dockerfile is None or layout.context is None:
        return _failed(layout.problem)
    problem = engine_problem()
    if problem:
        return _failed(f"no container was built or run for {layout.shown()}: {problem}")
    tag = f"stage3-grade:{hashlib.sha1(str(layout.context).encode()).hexdigest()[:12]}"
    try:
        built = build_image(
            layout.dockerfile,
            layout.context,
            tag,
            log=ctx.work_dir / "docker-build.log",
            timeout_s=BUILD_S,
        )
    except (EngineUnavailable, RuntimeError, subprocess.TimeoutExpired) as exc:
        return _failed(f"docker build of {layout.shown()} failed: {exc}")
    figures = {"build_seconds": round(built.seconds, 1), "image_mb": round(built.size_bytes / 1e6)}
    about = (
        f"{layout.shown()} built in {figures['build_seconds']:g} s, image {figures['image_mb']} MB"
    )
    try:
        tracking_uri = tracking()
        champion = run_isolated(
            ctx,
            "stage3_grading.probe_docker:probe_champion",
            timeout_s=PREPARE_S,
            tracking_uri=tracking_uri,
        )
        if not champion.passed:
            return champion.model_copy(
                update={
                    "evidence": f"{about}; {champion.evidence}",
                    "details": {**champion.details, **figures},
                }
            )
        return _serve(ctx, layout, tag, champion.details, tracking_uri, about, figures)
    finally:
        _remove_image(tag)


def _serve(
    ctx: GradeContext,
    layout: DockerLayout,
    tag: str,
    champion: dict[str, Any],
    tracking_uri: str,
    about: str,
    figures: dict[str, Any],
) -> Measurement:
    users: list[int] = champion["users"]
    expected: list[list[int]] = champion["expected"]
    port = free_port()
    env = {
        "MODEL_URI": champion["model_uri"],
        "MLFLOW_TRACKING_URI": tracking_uri,
        "PORT": str(CONTAINER_PORT),
        "HOST": "0.0.0.0",
    }
    log = ctx.work_dir / "docker-container.log"
    try:
        container = run_container(
            tag, name=f"stage3-grade-{os.getpid()}", ports={CONTAINER_PORT: port}, env=env
        )
    except (EngineUnavailable, RuntimeError, subprocess.TimeoutExpired) as exc:
        return _failed(f"{about}; docker run failed: {exc}", **figures)
    with container:
        url = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        waited = _wait_ready(container, url)
        log.write_text(container.logs(), encoding="utf-8")
        if waited:
            return _failed(f"{about}; the container {waited}. Container log: {log}", **figures)
        ready_s = round(time.perf_counter() - started, 1)
        try:
            served = query_server(url, users, k=K)
        except (UnreadableOutput, httpx.HTTPError) as exc:
            return _failed(f"{about}; the container answered /invocations badly: {exc}", **figures)
    run = f"ran with MODEL_URI={champion['model_uri']}, ready in {ready_s:g} s"
    if served != expected:
        diff = next(
            f"user {u}: served {s[:5]}…, the registered model predicts {e[:5]}…"
            for u, s, e in zip(users, served, expected, strict=True)
            if s != e
        )
        return _failed(
            f"{about}; {run}; its /invocations answers are not the registry champion's own "
            f"predictions ({diff}): is the image serving MODEL_URI from MLFLOW_TRACKING_URI?",
            **figures,
        )
    if distinct_lists(served) < 2:
        return _failed(f"{about}; {run}; every user got the same list", **figures)
    return Measurement(
        value=True,
        passed=True,
        evidence=(
            f"{about}; {run}; /invocations for {len(users)} users equals "
            f"{champion['version_uri']}'s own predictions ({distinct_lists(served)} different lists)"
        ),
        details={**figures, "ready_seconds": ready_s, "model_uri": champion["model_uri"]},
    )


def _wait_ready(container: Container, url: str) -> str:
    """ "" once GET /ping answers 200; else what went wrong (exited, or no answer in time)."""
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/ping", timeout=3).status_code == 200:
                return ""
        except httpx.HTTPError:
            pass
        if container.inspect("{{.State.Running}}") != "true":
            code = container.inspect("{{.State.ExitCode}}")
            tail = " | ".join(
                ln.strip()[:200] for ln in container.logs().splitlines()[-5:] if ln.strip()
            )
            return f"exited with code {code} before answering GET /ping: {tail}"
        time.sleep(1.0)
    return (
        f"did not answer GET /ping on port {CONTAINER_PORT} within {START_S:g} s (is the server "
        f"listening on 0.0.0.0:$PORT inside the container, not 127.0.0.1?)"
    )


def _remove_image(tag: str) -> None:
    cli = docker_cli()
    if cli:
        subprocess.run([cli, "rmi", "-f", tag], capture_output=True, timeout=120, check=False)


def _failed(evidence: str, **details: Any) -> Measurement:
    return Measurement(value=False, passed=False, evidence=evidence, details=details)
