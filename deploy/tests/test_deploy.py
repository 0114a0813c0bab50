"""deploy/: Dockerfiles that build offline, compose the compose here accepts, manifests that deploy.

The fast tests read and validate the files; the ``docker`` ones build and run the images on a
real engine (``make test-docker``; deselected in ``make test`` and skipped, with the reason, when
no engine answers).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from gradekit.containers import docker_cli, engine_problem, run_container

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
DOCKERFILES = [DEPLOY / "Dockerfile", DEPLOY / "model-server" / "Dockerfile"]
K8S_FILES = sorted(p for p in (DEPLOY / "k8s").glob("*.yaml") if p.name != "kustomization.yaml")
MIN_K8S = "1.30.0"  # lifecycle.preStop.sleep is on by default from 1.30 (beta), alpha in 1.29


def _tool(name: str) -> str:
    return str(Path(sys.executable).parent / name)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_dockerfiles_build_without_a_registry_pull_they_cannot_avoid(dockerfile: Path) -> None:
    text = dockerfile.read_text()
    assert "# syntax=" not in text  # a frontend pull would fail offline
    assert "ARG BASE_IMAGE=python:3.11-slim" in text and "ARG UV_IMAGE=" in text
    assert "FROM ${BASE_IMAGE}" in text and "id=extra_ca" in text
    done = subprocess.run([_tool("hadolint"), str(dockerfile)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_build_context_leaves_the_venv_and_data_out() -> None:
    ignored = (REPO / ".dockerignore").read_text().splitlines()
    assert {"**/.venv", ".git", "reports", "workspace", "data"} <= set(ignored)


def test_the_api_image_is_safe_alone() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert "STAGE5_ENVIRONMENT=production" in text  # refuses the published default key
    assert "USER 10001:10001" in text and "HEALTHCHECK" in text


def test_kustomization_names_the_image_ci_pushes() -> None:
    kustomization = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())
    (image,) = kustomization["images"]
    assert image["name"] == "ml-api" and image["newName"].startswith("ghcr.io/")
    workflow = (REPO / ".github" / "workflows" / "ci.yml").read_text()
    assert "kustomize edit set image" in workflow and "/ml-api" in workflow


@pytest.mark.parametrize("version", [MIN_K8S, "1.37.0"])
def test_manifests_validate_from_the_stated_minimum(version: str) -> None:
    done = subprocess.run(
        [_tool("kubernetes-validate"), "--strict", "--quiet", "-k", version, *map(str, K8S_FILES)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    readme = (DEPLOY / "README.md").read_text()
    assert f"Kubernetes ≥ {MIN_K8S.rsplit('.', 1)[0]}" in readme


def test_prerequisites_are_written_down() -> None:
    readme = (DEPLOY / "README.md").read_text()
    for needed in (
        "kubectl create secret generic ml-api-secrets",
        "prometheus-adapter",
        "metrics-server",
    ):
        assert needed in readme


def test_compose_file_is_accepted_by_the_compose_installed_here() -> None:
    compose = shutil.which("docker-compose")
    if compose is None:
        pytest.skip("docker-compose is not installed (make compose-up-stage5 installs it)")
    done = subprocess.run(
        [compose, "-f", str(DEPLOY / "docker-compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        env={"STAGE5_API_KEY": "x" * 20, "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    services = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())["services"]
    assert {"api-1", "api-2", "api-3", "lb", "redis"} <= set(services)
    assert all("profiles" not in services[s] for s in ("api-1", "lb", "redis"))


# ---- on a real engine -------------------------------------------------------------------


def _engine_or_skip() -> None:
    problem = engine_problem()
    if problem:
        pytest.skip(f"no Docker engine: {problem}")


def _deployment_container() -> dict:
    docs = yaml.safe_load_all((DEPLOY / "k8s" / "deployment.yaml").read_text())
    deployment = next(d for d in docs if d and d.get("kind") == "Deployment")
    return deployment["spec"]["template"]["spec"]["containers"][0]


@pytest.mark.docker
def test_api_image_runs_as_the_deployment_asks_and_serves() -> None:
    _engine_or_skip()
    build = subprocess.run(
        ["bash", str(REPO / "scripts" / "docker-build.sh"), "deploy/Dockerfile", "ml-api:test"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=1800,
    )
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    spec = _deployment_container()
    limits = spec["resources"]["limits"]
    security = spec["securityContext"]
    mounts = [m["mountPath"] for m in spec.get("volumeMounts", [])]
    cpus = float(limits["cpu"].removesuffix("m")) / 1000
    port = 18765
    with run_container(
        "ml-api:test",
        name="roadmap-api-test",
        ports={8000: port},
        env={"STAGE5_API_KEY": "deploy-test-key-0123456789"},
        user="10001:10001",
        read_only=bool(security.get("readOnlyRootFilesystem")),
        cap_drop_all="ALL" in security.get("capabilities", {}).get("drop", []),
        memory=limits["memory"].replace("Gi", "g").replace("Mi", "m"),
        cpus=cpus,
        tmpfs=tuple(f"{m}:uid=10001" for m in mounts),
    ) as container:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if container.inspect("{{.State.Health.Status}}") == "healthy":
                break
            assert container.inspect("{{.State.Running}}") == "true", container.logs()[-2000:]
            time.sleep(1)
        assert container.inspect("{{.State.Health.Status}}") == "healthy", container.logs()[-2000:]
        headers = {"X-API-Key": "deploy-test-key-0123456789"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            answers = [
                client.post("/predict", json={"features": [i / 10] * 10}, headers=headers)
                for i in range(200)
            ]
        assert all(r.status_code == 200 for r in answers)
        assert {r.json()["model_version"] for r in answers}
        assert container.inspect("{{.Config.User}}") == "10001:10001"


@pytest.mark.docker
def test_the_image_refuses_the_default_key_alone() -> None:
    _engine_or_skip()
    cli = docker_cli()
    assert cli is not None
    done = subprocess.run(
        [cli, "run", "--rm", "ml-api:test"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "STAGE5_API_KEY" in done.stdout + done.stderr
