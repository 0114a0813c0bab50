"""Which files the grader judges: the learner's own, or the repo's when our reference is graded.

A learner's folder (``IMPL=workspace/stage5``) is laid out as the exercise skeleton says::

    main.py                       the FastAPI app (``app``)
    Dockerfile                    its CMD is how the grader starts the server
    .github/workflows/*.yml       the CI/CD pipeline
    k8s/*.yaml                    (or k8s-deployment.yaml) Deployment, Service, ...
    tests/                        what the workflow's test step runs
    grafana/*.json                optional: a Grafana dashboard (else GET /dashboard)

For our reference the same roles are played by ``deploy/Dockerfile``,
``.github/workflows/ci.yml``, ``deploy/k8s/`` and ``deploy/grafana/dashboards/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gradekit.stages import GradeContext

__all__ = ["REPO", "ImplFiles", "impl_files"]

# stage5_api/grading/src/stage5_grading/layout.py -> the repository
REPO = Path(__file__).resolve().parents[4]


@dataclass(frozen=True)
class ImplFiles:
    """The graded implementation's app module and deploy files (paths may be missing)."""

    root: Path | None
    is_reference: bool
    module: str
    app_dir: Path | None
    dockerfile: Path | None
    workflows: list[Path] = field(default_factory=list)
    manifests: list[Path] = field(default_factory=list)
    grafana: list[Path] = field(default_factory=list)

    @property
    def owner(self) -> str:
        """How the evidence names whose files these are."""
        return "the repo's (our reference)" if self.is_reference else "your"

    def rel(self, path: Path) -> str:
        """``path`` as the learner reads it: relative to their folder (or the repo)."""
        if self.root is not None:
            try:
                return str(path.relative_to(self.root))
            except ValueError:
                pass
        return str(path)

    @property
    def app_target(self) -> str:
        """``module:app`` for uvicorn."""
        return f"{self.module}:app"


def _yaml_files(folder: Path) -> list[Path]:
    found = [*folder.rglob("*.yaml"), *folder.rglob("*.yml")]
    return sorted(p for p in found if p.is_file())


def impl_files(ctx: GradeContext) -> ImplFiles:
    """Locate the files to judge, without importing the implementation."""
    location = ctx.location
    if location.is_default:
        return ImplFiles(
            root=REPO,
            is_reference=True,
            module=location.module_name,
            app_dir=None,
            dockerfile=REPO / "deploy" / "Dockerfile",
            workflows=[REPO / ".github" / "workflows" / "ci.yml"],
            manifests=[
                p for p in _yaml_files(REPO / "deploy" / "k8s") if p.stem != "kustomization"
            ],
            grafana=sorted((REPO / "deploy" / "grafana" / "dashboards").glob("*.json")),
        )
    root = location.root
    if root is None:  # IMPL given as a dotted module name: no folder of files
        return ImplFiles(
            root=None,
            is_reference=False,
            module=location.module_name,
            app_dir=None,
            dockerfile=None,
        )
    workflows_dir = root / ".github" / "workflows"
    manifests = _yaml_files(root / "k8s") if (root / "k8s").is_dir() else []
    manifests += sorted(p for p in root.glob("k8s*.y*ml") if p.is_file())
    grafana: list[Path] = []
    for name in ("grafana", "dashboards", "dashboard", "monitoring"):
        if (root / name).is_dir():
            grafana += sorted((root / name).rglob("*.json"))
    return ImplFiles(
        root=root,
        is_reference=False,
        module=location.module_name,
        app_dir=location.search_path,
        dockerfile=root / "Dockerfile" if (root / "Dockerfile").is_file() else None,
        workflows=_yaml_files(workflows_dir) if workflows_dir.is_dir() else [],
        manifests=[p for p in manifests if p.stem != "kustomization"],
        grafana=grafana,
    )
