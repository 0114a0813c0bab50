"""How the Deployment would run the image: its command, environment, security context and limits.

The container criterion runs the learner's image the way their own manifests say a cluster
would, on one Docker engine: the first container of the first Deployment (or StatefulSet),
its ``command``/``args`` (``command`` replaces the image's ENTRYPOINT, ``args`` its CMD),
``env``/``envFrom`` (ConfigMaps and Secrets from the same manifests; a Secret the manifests do
not hold gets a grader-made value, as the README's prerequisite would create it), the pod's and
container's ``securityContext`` (user, group, non-root, read-only root filesystem, privilege
escalation, capabilities), ``resources.limits`` (memory, cpu) and ``emptyDir`` volumes (tmpfs).
Kubernetes' own refusal is mirrored: ``runAsNonRoot`` with an image whose user is root, or a
name the kubelet cannot verify, never starts.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any

from stage5_grading.manifests import WORKLOADS, K8sObject

__all__ = ["PodRun", "cpu_cores", "memory_bytes", "pod_run", "runs_as_root_refusal"]

_MEMORY_UNITS = {
    "": 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}


def memory_bytes(quantity: object) -> int | None:
    """A Kubernetes memory quantity (``512Mi``, ``1G``, ``1e9``) in bytes, None if unreadable."""
    match = re.fullmatch(r"\s*([0-9.eE+]+)\s*([kMGT]i?)?\s*", str(quantity))
    if not match:
        return None
    try:
        return int(float(match.group(1)) * _MEMORY_UNITS[match.group(2) or ""])
    except (ValueError, KeyError):
        return None


def cpu_cores(quantity: object) -> float | None:
    """A Kubernetes cpu quantity (``500m``, ``1``, ``0.5``) in cores, None if unreadable."""
    text = str(quantity).strip()
    try:
        return float(text[:-1]) / 1000 if text.endswith("m") else float(text)
    except ValueError:
        return None


@dataclass
class PodRun:
    """What ``docker run`` needs to play one pod's container, and where each part came from."""

    source: str
    command: list[str] | None = None
    args: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    port: int | None = None
    ready_path: str | None = None
    run_as_user: int | None = None
    run_as_group: int | None = None
    fs_group: int | None = None
    run_as_non_root: bool = False
    read_only: bool = False
    no_new_privileges: bool = False
    cap_drop: list[str] = field(default_factory=list)
    cap_add: list[str] = field(default_factory=list)
    memory: int | None = None
    cpus: float | None = None
    tmpfs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def settings(self) -> str:
        """The security context and limits applied, for the evidence."""
        parts = []
        if self.run_as_user is not None:
            group = f":{self.run_as_group}" if self.run_as_group is not None else ""
            parts.append(f"user {self.run_as_user}{group}")
        if self.run_as_non_root:
            parts.append("runAsNonRoot")
        if self.read_only:
            parts.append("read-only root filesystem")
        if self.no_new_privileges:
            parts.append("no privilege escalation")
        if self.cap_drop:
            parts.append(f"capabilities dropped {','.join(self.cap_drop)}")
        if self.memory is not None:
            parts.append(f"memory limit {self.memory / 2**20:.0f} MiB")
        if self.cpus is not None:
            parts.append(f"cpu limit {self.cpus:g}")
        if self.tmpfs:
            parts.append(f"emptyDir at {', '.join(self.tmpfs)}")
        return ", ".join(parts) or "no security context or limits"

    def docker_options(self, uid: int | None = None, gid: int | None = None) -> list[str]:
        """The ``docker run`` options of the security context and limits.

        ``uid``/``gid``: who the container runs as. An emptyDir is world-writable in a
        cluster; Docker mounts a tmpfs over an existing directory as root 0755 whatever the
        mode asked, so it is given to that user (and ``fsGroup``) instead.
        """
        opts: list[str] = []
        if self.run_as_user is not None:
            group = f":{self.run_as_group}" if self.run_as_group is not None else ""
            opts += ["--user", f"{self.run_as_user}{group}"]
        elif self.run_as_group is not None:
            self.notes.append("runAsGroup without runAsUser: the image's user keeps its group")
        if self.read_only:
            opts.append("--read-only")
        if self.no_new_privileges:
            opts += ["--security-opt", "no-new-privileges"]
        for cap in self.cap_drop:
            opts += ["--cap-drop", cap]
        for cap in self.cap_add:
            opts += ["--cap-add", cap]
        if self.memory is not None:
            opts += ["--memory", str(self.memory), "--memory-swap", str(self.memory)]
        if self.cpus is not None:
            opts += ["--cpus", f"{self.cpus:g}"]
        owner = f",uid={uid}" if uid is not None else ""
        owning_group = self.fs_group if self.fs_group is not None else gid
        owner += f",gid={owning_group}" if owning_group is not None else ""
        for path in self.tmpfs:
            opts += ["--tmpfs", f"{path}:rw,exec,mode=1777{owner}"]
        return opts


def runs_as_root_refusal(run: PodRun, image_user: str) -> str | None:
    """The kubelet's refusal under ``runAsNonRoot`` (None when the pod may start)."""
    if not run.run_as_non_root:
        return None
    if run.run_as_user is not None:
        return "runAsNonRoot with runAsUser: 0" if run.run_as_user == 0 else None
    name = image_user.split(":")[0].strip()
    if name in ("", "root", "0"):
        return "container has runAsNonRoot and image will run as root (no USER, or USER root)"
    if not name.isdigit():
        return (
            f"container has runAsNonRoot and image has non-numeric user ({name}), cannot verify "
            "user is non-root: use a numeric USER (e.g. USER 10001) or set runAsUser"
        )
    return None


def _workload(objects: list[K8sObject]) -> tuple[K8sObject, dict[str, Any]] | None:
    for obj in objects:
        if obj.kind not in WORKLOADS:
            continue
        spec = ((obj.doc.get("spec") or {}).get("template") or {}).get("spec") or {}
        containers = spec.get("containers") or []
        if containers and isinstance(containers[0], dict):
            return obj, spec
    return None


def _data_of(objects: list[K8sObject], kind: str, name: str) -> dict[str, str] | None:
    for obj in objects:
        if obj.kind != kind or obj.name != name:
            continue
        out = {str(k): str(v) for k, v in (obj.doc.get("stringData") or {}).items()}
        for key, value in (obj.doc.get("data") or {}).items():
            if kind == "Secret":
                try:
                    out[str(key)] = base64.b64decode(str(value)).decode("utf-8", "replace")
                except ValueError:
                    continue
            else:
                out[str(key)] = str(value)
        return out
    return None


def _env(container: dict[str, Any], objects: list[K8sObject], notes: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        for kind, ref_key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            ref = source.get(ref_key)
            if not isinstance(ref, dict):
                continue
            data = _data_of(objects, kind, str(ref.get("name")))
            if data is None:
                notes.append(f"{kind} {ref.get('name')} (envFrom) is not in the manifests")
                continue
            prefix = str(source.get("prefix") or "")
            env.update({prefix + k: v for k, v in data.items()})
    for item in container.get("env") or []:
        if not isinstance(item, dict) or "name" not in item:
            continue
        name = str(item["name"])
        if "value" in item:
            env[name] = re.sub(
                r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), str(item["value"])
            )
            continue
        value_from = item.get("valueFrom") or {}
        for kind, ref_key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
            ref = value_from.get(ref_key)
            if not isinstance(ref, dict):
                continue
            data = _data_of(objects, kind, str(ref.get("name"))) or {}
            key = str(ref.get("key"))
            if key in data:
                env[name] = data[key]
            elif kind == "Secret":
                env[name] = f"grader-secret-{name.lower()}-0123456789abcdef"
                notes.append(
                    f"{name} from Secret {ref.get('name')} (not in the manifests): a grader-made value"
                )
            else:
                notes.append(
                    f"{name}: ConfigMap {ref.get('name')} key {key} is not in the manifests"
                )
    return env


def _expand(words: list[Any] | None, env: dict[str, str]) -> list[str] | None:
    if words is None:
        return None
    return [
        re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), str(w)) for w in words
    ]


def _port(container: dict[str, Any], value: object) -> int | None:
    if isinstance(value, int):
        return value
    for port in container.get("ports") or []:
        if isinstance(port, dict) and port.get("name") == value:
            number = port.get("containerPort")
            return number if isinstance(number, int) else None
    return int(value) if isinstance(value, str) and value.isdigit() else None


def pod_run(objects: list[K8sObject]) -> PodRun | None:
    """The first workload's first container as ``docker run`` would play it (None: no workload)."""
    found = _workload(objects)
    if found is None:
        return None
    obj, spec = found
    container = spec["containers"][0]
    run = PodRun(
        source=f"{obj.file.name}: {obj.kind} {obj.name}, container {container.get('name', '?')}"
    )
    run.env = _env(container, objects, run.notes)
    run.command = _expand(container.get("command"), run.env)
    run.args = _expand(container.get("args"), run.env)
    ports = [p for p in container.get("ports") or [] if isinstance(p, dict)]
    if ports and isinstance(ports[0].get("containerPort"), int):
        run.port = ports[0]["containerPort"]
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        http = (container.get(kind) or {}).get("httpGet") or {}
        if isinstance(http.get("path"), str):
            run.ready_path = http["path"]
            run.port = run.port or _port(container, http.get("port"))
            break
    pod_sc = spec.get("securityContext") or {}
    sc = {**pod_sc, **(container.get("securityContext") or {})}
    for key, attr in (
        ("runAsUser", "run_as_user"),
        ("runAsGroup", "run_as_group"),
        ("fsGroup", "fs_group"),
    ):
        if isinstance(sc.get(key), int):
            setattr(run, attr, sc[key])
    run.run_as_non_root = sc.get("runAsNonRoot") is True
    run.read_only = sc.get("readOnlyRootFilesystem") is True
    run.no_new_privileges = sc.get("allowPrivilegeEscalation") is False
    caps = sc.get("capabilities") or {}
    run.cap_drop = [str(c) for c in caps.get("drop") or []]
    run.cap_add = [str(c) for c in caps.get("add") or []]
    limits = (container.get("resources") or {}).get("limits") or {}
    if "memory" in limits:
        run.memory = memory_bytes(limits["memory"])
    if "cpu" in limits:
        run.cpus = cpu_cores(limits["cpu"])
    empty_dirs = {
        v.get("name") for v in spec.get("volumes") or [] if isinstance(v, dict) and "emptyDir" in v
    }
    for mount in container.get("volumeMounts") or []:
        if not isinstance(mount, dict):
            continue
        if mount.get("name") in empty_dirs:
            run.tmpfs.append(str(mount.get("mountPath")))
        else:
            run.notes.append(
                f"volume {mount.get('name')} at {mount.get('mountPath')} is not an emptyDir: "
                "not mounted here"
            )
    return run
