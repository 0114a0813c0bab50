"""Offline validation of deploy/: Dockerfile (hadolint), k8s (strict schemas + selectors),
compose (schema), Grafana/Prometheus config, and the GitHub Actions workflow (schema)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stage5_api.services.metrics import ServiceMetrics

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
WORKFLOW = REPO / ".github" / "workflows" / "ci.yml"
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    assert found, f"{name} missing: it is a dev dependency of the workspace (uv sync)"
    return found


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)


def _k8s_docs() -> list[dict]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def test_dockerfile_passes_hadolint_and_follows_the_rules() -> None:
    done = _run(_tool("hadolint"), "--failure-threshold", "info", str(DEPLOY / "Dockerfile"))
    assert done.returncode == 0, done.stdout + done.stderr
    text = (DEPLOY / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2  # multi-stage
    assert re.search(r"^USER 10001", text, re.M)  # non-root
    assert "HEALTHCHECK" in text
    assert re.search(r"uv sync (--directory \S+ )?--frozen", text)


def test_manifests_pass_strict_kubernetes_schemas() -> None:
    files = [str(p) for p in sorted(K8S.glob("*.yaml")) if p.name != "kustomization.yaml"]
    done = _run(_tool("kubernetes-validate"), "--strict", "--quiet", *files)
    assert done.returncode == 0, done.stdout + done.stderr


def test_strict_validation_catches_a_misspelled_field(tmp_path: Path) -> None:
    broken = (K8S / "deployment.yaml").read_text().replace("  replicas: 3", "  replicaz: 3")
    (tmp_path / "broken.yaml").write_text(broken)
    done = _run(_tool("kubernetes-validate"), "--strict", "--quiet", str(tmp_path / "broken.yaml"))
    assert done.returncode != 0
    assert "replicaz" in done.stdout + done.stderr


def test_labels_selectors_and_references_agree() -> None:
    docs = _k8s_docs()
    by_kind: dict[str, dict[str, dict]] = {}
    for d in docs:
        by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    pod_labels = []
    for dep in by_kind["Deployment"].values():
        labels = dep["spec"]["template"]["metadata"]["labels"]
        assert dep["spec"]["selector"]["matchLabels"].items() <= labels.items()
        pod_labels.append(labels)

    def selects_a_pod(selector: dict) -> bool:
        return any(selector.items() <= labels.items() for labels in pod_labels)

    for svc in by_kind["Service"].values():
        assert selects_a_pod(svc["spec"]["selector"]), svc["metadata"]["name"]
    for pdb in by_kind["PodDisruptionBudget"].values():
        assert selects_a_pod(pdb["spec"]["selector"]["matchLabels"])
    for hpa in by_kind["HorizontalPodAutoscaler"].values():
        assert hpa["spec"]["scaleTargetRef"]["name"] in by_kind["Deployment"]
    api = by_kind["Deployment"]["ml-api"]
    assert api["spec"]["replicas"] == 3
    container = api["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"] == {
        "requests": {"memory": "512Mi", "cpu": "250m"},
        "limits": {"memory": "1Gi", "cpu": "500m"},
    }
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert api["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    for ref in container["envFrom"]:
        assert ref["configMapRef"]["name"] in by_kind["ConfigMap"]
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present


def test_hpa_scales_on_a_metric_the_app_exports() -> None:
    hpa = next(d for d in _k8s_docs() if d["kind"] == "HorizontalPodAutoscaler")
    names = {m["pods"]["metric"]["name"] for m in hpa["spec"]["metrics"] if m["type"] == "Pods"}
    exported = {m.name + ("_total" if m.type == "counter" else "") for m in _families()}
    assert names and names <= exported


def _families() -> list:
    return list(ServiceMetrics().registry.collect())


def test_compose_file_passes_its_schema_and_binds_loopback() -> None:
    path = DEPLOY / "docker-compose.yml"
    done = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    compose = yaml.safe_load(path.read_text())
    wanted = {
        "api-1",
        "api-2",
        "api-3",
        "lb",
        "redis",
        "postgres",
        "mlflow",
        "prometheus",
        "grafana",
    }
    assert wanted <= set(compose["services"])
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)


def test_grafana_dashboard_queries_only_exported_metrics() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "stage5.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    series = set()
    for family in _families():
        for sample in family.samples:
            series.add(sample.name)
        base = family.name
        series |= {base, f"{base}_total", f"{base}_bucket", f"{base}_sum", f"{base}_count"}
    used = {m for e in exprs for m in re.findall(r"\b(stage5_[a-z_]+)", e)}
    assert used and used <= series, used - series
    prometheus = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    assert prometheus["scrape_configs"][0]["metrics_path"] == "/metrics"


def test_workflow_is_valid_and_runs_the_ci_make_targets() -> None:
    done = _run(
        _tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    workflow = yaml.safe_load(WORKFLOW.read_text())
    ci_script = (REPO / ".ci" / "run").read_text()
    ci_targets = set(re.findall(r"^make (\w+)", ci_script, re.M))
    steps = [s.get("run", "") for s in workflow["jobs"]["lint-test"]["steps"]]
    wf_targets = {m for run in steps for m in re.findall(r"make (\w+)", run)}
    assert ci_targets and ci_targets <= wf_targets
    services = workflow["jobs"]["lint-test"]["services"]
    assert {"postgres", "redis"} <= set(services)
    image_steps = workflow["jobs"]["image"]["steps"]
    build = next(s for s in image_steps if s.get("uses", "").startswith("docker/build-push"))
    assert build["with"]["file"] == "deploy/Dockerfile"
    manifests = " ".join(s.get("run", "") for s in workflow["jobs"]["manifests"]["steps"])
    assert "kubectl kustomize deploy/k8s" in manifests
    assert "kubernetes-validate --strict" in manifests


@pytest.mark.parametrize("name", ["nginx.conf"])
def test_compose_nginx_config_retries_the_next_upstream(name: str) -> None:
    text = (DEPLOY / "nginx" / name).read_text()
    assert "proxy_next_upstream" in text
    assert "api-1:8000" in text and "api-2:8000" in text
