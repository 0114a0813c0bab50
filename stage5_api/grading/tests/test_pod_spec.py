"""How the container criterion reads the Deployment it plays with ``docker run``."""

from __future__ import annotations

from pathlib import Path

from stage5_grading.manifests import load_manifests
from stage5_grading.pod_spec import cpu_cores, memory_bytes, pod_run, runs_as_root_refusal

DEPLOYMENT = """
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {MODE: production, REDIS_URL: "redis://redis:6379/0"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 10001, fsGroup: 2000}
      containers:
        - name: api
          image: api:1
          command: ["uvicorn", "main:app"]
          args: ["--port", "$(PORT)"]
          ports: [{name: http, containerPort: 9000}]
          envFrom: [{configMapRef: {name: cfg}}]
          env:
            - {name: PORT, value: "9000"}
            - name: KEY
              valueFrom: {secretKeyRef: {name: missing, key: k}}
          resources: {limits: {memory: 512Mi, cpu: 500m}}
          readinessProbe: {httpGet: {path: /ready, port: http}}
          securityContext:
            readOnlyRootFilesystem: true
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
          volumeMounts:
            - {name: tmp, mountPath: /tmp}
            - {name: conf, mountPath: /etc/app}
      volumes:
        - {name: tmp, emptyDir: {}}
        - {name: conf, configMap: {name: cfg}}
"""


def test_quantities() -> None:
    assert memory_bytes("512Mi") == 512 * 2**20
    assert memory_bytes("1G") == 10**9
    assert memory_bytes("lots") is None
    assert cpu_cores("500m") == 0.5
    assert cpu_cores("2") == 2.0


def test_the_deployment_becomes_docker_run_options(tmp_path: Path) -> None:
    path = tmp_path / "deployment.yaml"
    path.write_text(DEPLOYMENT, encoding="utf-8")
    objects, errors = load_manifests([path])
    assert not errors
    run = pod_run(objects)
    assert run is not None
    assert run.command == ["uvicorn", "main:app"]
    assert run.args == ["--port", "9000"]  # $(PORT) expanded from env, as the kubelet does
    assert run.env["MODE"] == "production" and run.env["KEY"].startswith("grader-secret-")
    assert run.port == 9000 and run.ready_path == "/ready"
    assert (run.run_as_user, run.fs_group, run.run_as_non_root) == (10001, 2000, True)
    assert run.tmpfs == ["/tmp"]
    assert any("conf" in note for note in run.notes)  # a configMap volume is not mounted
    opts = run.docker_options(10001, 0)
    assert opts[:2] == ["--user", "10001"]
    for flag in ("--read-only", "no-new-privileges", "ALL", str(512 * 2**20), "0.5"):
        assert flag in opts
    assert "/tmp:rw,exec,mode=1777,uid=10001,gid=2000" in opts


def test_the_kubelets_run_as_non_root_refusal(tmp_path: Path) -> None:
    path = tmp_path / "deployment.yaml"
    path.write_text(DEPLOYMENT.replace("runAsUser: 10001, ", ""), encoding="utf-8")
    run = pod_run(load_manifests([path])[0])
    assert run is not None
    assert runs_as_root_refusal(run, "appuser") is not None  # a name cannot be verified
    assert runs_as_root_refusal(run, "") is not None  # root
    assert runs_as_root_refusal(run, "10001:10001") is None
    run.run_as_non_root = False
    assert runs_as_root_refusal(run, "") is None


def test_no_workload_no_run() -> None:
    assert pod_run([]) is None
