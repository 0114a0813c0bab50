"""Which Dockerfile the grader builds: the learner's own, or ours when our reference is graded.

A learner's folder (``IMPL=workspace/stage3``) is laid out as the exercise says::

    mlops.py                      RecommendationMLOps (and your pyfunc class, if you write one)
    Dockerfile                    or model-server/Dockerfile: the model server image

The build context is the learner's folder (so the Dockerfile can ``COPY mlops.py``). For our
reference it is ``deploy/model-server/Dockerfile`` with the repository as context.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gradekit.stages import GradeContext

__all__ = ["DOCKERFILE_PLACES", "REPO", "DockerLayout", "docker_layout"]

# stage3_mlops/grading/src/stage3_grading/layout.py -> the repository
REPO = Path(__file__).resolve().parents[4]
DOCKERFILE_PLACES = ("Dockerfile", "model-server/Dockerfile")


@dataclass(frozen=True)
class DockerLayout:
    """The Dockerfile to build and its context; ``dockerfile`` is None when there is none."""

    context: Path | None
    dockerfile: Path | None
    is_reference: bool
    problem: str = ""

    def shown(self) -> str:
        """The Dockerfile as the learner reads it (relative to their folder or the repo)."""
        if self.dockerfile is None or self.context is None:
            return "no Dockerfile"
        try:
            return str(self.dockerfile.relative_to(self.context))
        except ValueError:
            return str(self.dockerfile)


def docker_layout(ctx: GradeContext) -> DockerLayout:
    """Find the Dockerfile without importing anything."""
    location = ctx.location
    if location.is_default:
        return DockerLayout(REPO, REPO / "deploy" / "model-server" / "Dockerfile", True)
    root = location.root
    if root is None:
        return DockerLayout(
            None,
            None,
            False,
            f"IMPL={location.spec} names a module, not a folder: give your folder "
            "(IMPL=workspace/stage3) so the grader finds its Dockerfile",
        )
    for place in DOCKERFILE_PLACES:
        if (root / place).is_file():
            return DockerLayout(root, root / place, False)
    return DockerLayout(
        root,
        None,
        False,
        f"no Dockerfile in {root} (looked for {' and '.join(DOCKERFILE_PLACES)})",
    )
