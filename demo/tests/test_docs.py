"""The learner-facing docs stay whole: 15 weekly pages in both languages, no broken relative link."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_every_week_has_an_english_and_a_korean_page() -> None:
    for week in range(1, 16):
        assert (DOCS / "weeks" / f"week-{week:02d}.md").is_file()
        assert (DOCS / "weeks" / "ko" / f"week-{week:02d}.md").is_file()


@pytest.mark.parametrize("week", [2, 5, 8, 12, 15])
def test_checkpoint_weeks_state_their_checkpoint(week: int) -> None:
    assert "## Checkpoint" in (DOCS / "weeks" / f"week-{week:02d}.md").read_text(encoding="utf-8")
    korean = (DOCS / "weeks" / "ko" / f"week-{week:02d}.md").read_text(encoding="utf-8")
    assert "## 학습 체크포인트" in korean


def test_relative_links_in_docs_resolve() -> None:
    broken = []
    for page in DOCS.rglob("*.md"):
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(DOCS)} -> {target}")
    assert broken == []


def test_blog_posts_have_no_unfilled_placeholders() -> None:
    for post in (DOCS / "blog").glob("*.md"):
        assert "PLACEHOLDER" not in post.read_text(encoding="utf-8"), post.name
