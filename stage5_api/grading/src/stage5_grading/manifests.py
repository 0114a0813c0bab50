"""Kubernetes manifests as the API server would see them: schemas, selectors, ports, probes.

``kubernetes-validate --strict`` checks each object against the Kubernetes schemas (it rejects
misspelled fields). What a schema cannot see is checked here, as the cluster would find out
at run time: a Deployment whose selector does not match its pod labels (rejected), a Service
that selects no pod or sends to a port no container opens (no endpoints), a probe on a path
the app does not answer (pods never ready), a single replica (no availability through a
restart), no resource requests (the scheduler and the autoscaler are blind).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "K8sObject",
    "container_ports",
    "deployment_problems",
    "load_manifests",
    "readiness_probe",
    "validate_schemas",
]

WORKLOADS = ("Deployment", "StatefulSet")


@dataclass(frozen=True)
class K8sObject:
    """One object of a manifest file."""

    kind: str
    name: str
    doc: dict[str, Any]
    file: Path


def load_manifests(paths: list[Path]) -> tuple[list[K8sObject], list[str]]:
    """Every object in ``paths`` and the files that are not valid YAML."""
    objects: list[K8sObject] = []
    errors: list[str] = []
    for path in paths:
        try:
            docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except (yaml.YAMLError, OSError) as exc:
            errors.append(f"{path.name}: not valid YAML ({str(exc).splitlines()[0]})")
            continue
        for doc in docs:
            if not isinstance(doc, dict):
                continue
            kind = str(doc.get("kind", "?"))
            name = str((doc.get("metadata") or {}).get("name", "?"))
            objects.append(K8sObject(kind, name, doc, path))
    return objects, errors


def _tool(name: str) -> str | None:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def validate_schemas(paths: list[Path]) -> str | None:
    """None when ``kubernetes-validate --strict`` accepts every file, else its complaint."""
    tool = _tool("kubernetes-validate")
    if tool is None:
        return "kubernetes-validate is not installed (a dev dependency of the workspace)"
    done = subprocess.run(
        [tool, "--strict", "--quiet", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if done.returncode == 0:
        return None
    text = (done.stdout + done.stderr).strip()
    return text[-500:] or f"exit code {done.returncode}"


def _pod_spec(obj: K8sObject) -> dict[str, Any]:
    return ((obj.doc.get("spec") or {}).get("template") or {}).get("spec") or {}


def _containers(obj: K8sObject) -> list[dict[str, Any]]:
    return [c for c in _pod_spec(obj).get("containers") or [] if isinstance(c, dict)]


def container_ports(obj: K8sObject) -> dict[str, int]:
    """Container ports of a workload: name → number (unnamed ones by their number)."""
    ports: dict[str, int] = {}
    for container in _containers(obj):
        for port in container.get("ports") or []:
            number = port.get("containerPort")
            if isinstance(number, int):
                ports[str(port.get("name") or number)] = number
    return ports


def readiness_probe(objects: list[K8sObject]) -> dict[str, Any] | None:
    """The first workload container's readinessProbe (None if there is none)."""
    for obj in objects:
        if obj.kind in WORKLOADS:
            for container in _containers(obj):
                probe = container.get("readinessProbe")
                if isinstance(probe, dict):
                    return probe
    return None


def _resolve_port(port: object, ports: dict[str, int]) -> int | None:
    if isinstance(port, int):
        return port
    if isinstance(port, str):
        return ports.get(port) or (int(port) if port.isdigit() else None)
    return None


def deployment_problems(
    objects: list[K8sObject],
    *,
    listen_port: int | None,
    answers: Callable[[str], int | None] | None,
) -> tuple[list[str], list[str]]:
    """(problems, what was fine) of the workloads, services and autoscalers in ``objects``.

    ``listen_port`` is the port the container's command listens on (None: unknown);
    ``answers(path)`` is the status the running app gives ``GET path`` (None: not checked).
    """
    problems: list[str] = []
    fine: list[str] = []
    workloads = [o for o in objects if o.kind in WORKLOADS]
    if not workloads:
        return ["no Deployment (or StatefulSet) among the manifests"], fine
    apps = workloads
    if listen_port is not None:
        apps = [w for w in workloads if listen_port in container_ports(w).values()]
        others = [w.name for w in workloads if w not in apps]
        if not apps:
            return [
                f"no Deployment's container opens port {listen_port}, the port the app's "
                f"command listens on (workloads: {', '.join(w.name for w in workloads)})"
            ], fine
        if others:
            fine.append(f"other workloads not judged as the app: {', '.join(others)}")
    hpas = [o for o in objects if o.kind == "HorizontalPodAutoscaler"]
    pod_labels: list[dict[str, str]] = []
    for w in workloads:
        labels = (((w.doc.get("spec") or {}).get("template") or {}).get("metadata") or {}).get(
            "labels"
        ) or {}
        pod_labels.append(labels)
    for w in apps:
        where = f"{w.kind} {w.name} ({w.file.name})"
        spec = w.doc.get("spec") or {}
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        selector = (spec.get("selector") or {}).get("matchLabels") or {}
        if not selector or not selector.items() <= labels.items():
            problems.append(
                f"{where}: selector {selector} does not match the pod labels {labels} "
                "(the API server rejects it)"
            )
        scaled = [
            h
            for h in hpas
            if ((h.doc.get("spec") or {}).get("scaleTargetRef") or {}).get("name") == w.name
        ]
        floor = min(
            [int((h.doc.get("spec") or {}).get("minReplicas", 1)) for h in scaled]
            or [int(spec.get("replicas", 1))]
        )
        if floor < 2:
            problems.append(
                f"{where}: {floor} replica (replicas / HPA minReplicas): one pod restarting "
                "takes the service down; run at least 2"
            )
        ports = container_ports(w)
        for container in _containers(w):
            cname = container.get("name", "?")
            resources = container.get("resources") or {}
            requests = resources.get("requests") or {}
            if not {"cpu", "memory"} <= requests.keys():
                problems.append(
                    f"{where}: container {cname} has no cpu and memory requests (the roadmap's "
                    "manifest sets requests 512Mi/250m and limits 1Gi/500m)"
                )
            if listen_port is not None and ports and listen_port not in ports.values():
                problems.append(
                    f"{where}: container {cname} opens ports {sorted(ports.values())}, but its "
                    f"command listens on {listen_port}"
                )
            for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
                probe = container.get(kind)
                if not isinstance(probe, dict) or "httpGet" not in probe:
                    continue
                http = probe["httpGet"] or {}
                path = http.get("path", "/")
                port = _resolve_port(http.get("port"), ports)
                if listen_port is not None and port is not None and port != listen_port:
                    problems.append(
                        f"{where}: {kind} checks port {port}, the app listens on {listen_port}"
                    )
                if answers is not None:
                    status = answers(path)
                    if status != 200:
                        problems.append(
                            f"{where}: {kind} GET {path} — your running app answers "
                            f"{status if status is not None else 'nothing'}, so Kubernetes "
                            + (
                                "never sends it traffic"
                                if kind != "livenessProbe"
                                else "restarts it"
                            )
                        )
                    else:
                        fine.append(f"{kind} {path} answers 200")
            if "readinessProbe" not in container:
                problems.append(
                    f"{where}: container {cname} has no readinessProbe (pods get traffic before "
                    "the model is loaded)"
                )
    for svc in (o for o in objects if o.kind == "Service"):
        spec = svc.doc.get("spec") or {}
        selector = spec.get("selector") or {}
        where = f"Service {svc.name} ({svc.file.name})"
        selected = [
            w
            for w, labels in zip(workloads, pod_labels, strict=True)
            if selector and selector.items() <= labels.items()
        ]
        if not selected:
            problems.append(f"{where}: selector {selector} selects no pod of the workloads")
            continue
        all_ports: dict[str, int] = {}
        for w in selected:
            all_ports.update(container_ports(w))
        for port in spec.get("ports") or []:
            target = port.get("targetPort", port.get("port"))
            number = _resolve_port(target, all_ports)
            if number is None or (all_ports and number not in all_ports.values()):
                problems.append(
                    f"{where}: targetPort {target} is not a container port "
                    f"({sorted(all_ports.values())}): the Service has no endpoints"
                )
            else:
                fine.append(f"{where} → port {number}")
    return problems, fine
