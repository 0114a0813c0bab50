"""Stage 5's criteria (the roadmap's five, plus the image run as deployed) and their probes.

Each probe runs in a child process with its own time limit (``ctx.isolated``); a server that
hangs, a crash or an exit in the graded code becomes a failed criterion, never a grader hang.
Probes share nothing: each starts its own server (and private Redis) and stops it.
"""

from __future__ import annotations

from gradekit.criterion import Comparison, Criterion
from gradekit.runner import Check
from gradekit.stages import GradeContext
from stage5_grading.options import Options
from stage5_grading.serving import STARTUP_S

__all__ = ["CRITERIA", "DEFAULT_IMPL", "MODULE_HINT", "TITLE", "build_checks"]

TITLE = "Stage 5 — API serving & deployment: FastAPI prediction service"
DEFAULT_IMPL = "stage5_api.main"
MODULE_HINT: str | None = "main"

CRITERIA: dict[str, Criterion] = {
    c.id: c
    for c in (
        Criterion(
            id="latency",
            title="API response time of 100 ms or less",
            title_ko="API 응답 시간 100ms 이하",
            method="open loop: a constant rate (default 2000 req/s, a new row each request) "
            "for 30 s after a 2 s warm-up; p99 from each request's intended send time; nothing "
            "failed or shed. A miss while the machine was busy is inconclusive",
            threshold=100,
            unit="ms",
            comparison=Comparison.AT_MOST,
        ),
        Criterion(
            id="concurrency",
            title="Handles 1000 concurrent requests",
            title_ko="동시 요청 1000개 처리 가능",
            method="1000 requests sent at once, each answer compared with the same row sent "
            "alone; then wrk with 1000 connections for 20 s (30 s timeout): nothing failed, "
            "timed out or wrong, 503 shed < 0.01%",
            threshold=0,
            unit="failed or wrong",
            comparison=Comparison.AT_MOST,
        ),
        Criterion(
            id="availability",
            title="99.99% availability",
            title_ko="99.99% 가용성 달성",
            method="≥ 100,000 requests through nginx to 3 replicas (readiness-probed like a "
            "Kubernetes Service) while one replica is killed and restarted and Redis is down "
            "5 s; every non-200 counts",
            threshold=99.99,
            unit="%",
            comparison=Comparison.AT_LEAST,
        ),
        Criterion(
            id="monitoring",
            title="A monitoring dashboard",
            title_ko="모니터링 대시보드 구축",
            method="/metrics counts the requests sent and their latency (summed over "
            "workers); the dashboard (GET /dashboard in headless Chromium, or a Grafana JSON) "
            "shows live data from the app",
        ),
        Criterion(
            id="cicd",
            title="A complete CI/CD pipeline",
            title_ko="CI/CD 파이프라인 완성",
            method="the workflow lints, tests, builds and pushes the image (tests gate the "
            "image); its lint and test commands run on the code and pass, the tests exercise "
            "POST /predict; the Dockerfile (hadolint, non-root, its CMD serves) and k8s "
            "manifests (strict schemas, selectors, ports, probes) are checked",
        ),
        Criterion(
            id="container",
            title="The image serves as the Deployment runs it",
            title_ko="배포 설정 그대로 컨테이너 이미지로 서빙",
            method="the Dockerfile built on a real Docker engine (build time and image size "
            "reported); the image run with the Deployment's command, env, security context "
            "(user, runAsNonRoot, read-only root, capabilities), cpu/memory limits and emptyDir "
            "volumes; ready on the probe path at the containerPort, then 2000 predictions over "
            "16 connections: every one a 200 with a prediction, the container still running. "
            "No Docker engine: failed, saying why",
        ),
    )
}


def build_checks(ctx: GradeContext) -> list[Check]:
    """The five criteria, each measured by its probe in a child process."""
    o = Options.of(ctx)
    latency_s = STARTUP_S + o.latency_warmup + o.latency_duration + 120
    concurrency_s = STARTUP_S + o.duration + 3 + 2 * 60 + 120
    availability_s = STARTUP_S * (o.replicas + 1) + o.avail_max_s + 120
    monitoring_s = STARTUP_S + 4 * 120 + 60
    cicd_s = 2 * STARTUP_S + o.ci_timeout + 300
    container_s = o.container_build_timeout + STARTUP_S + 300
    probes = {
        "latency": ("probes_latency:probe_latency", latency_s),
        "concurrency": ("probes_concurrency:probe_concurrency", concurrency_s),
        "availability": ("probes_availability:probe_availability", availability_s),
        "monitoring": ("probes_monitoring:probe_monitoring", monitoring_s),
        "cicd": ("probes_cicd:probe_cicd", cicd_s),
        "container": ("probes_container:probe_container", container_s),
    }
    return [
        Check(
            CRITERIA[cid],
            ctx.isolated(f"stage5_grading.{target}", timeout_s=timeout, name=cid),
        )
        for cid, (target, timeout) in probes.items()
    ]
