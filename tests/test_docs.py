"""The user guide and the docs: every relative link points at a file (and heading) that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tunex_core.paths import PROJECT_ROOT

README_MAX_WORDS = 1800
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def markdown_files() -> list[Path]:
    top = [PROJECT_ROOT / name for name in ("README.md", "CHANGELOG.md")]
    return [path for path in top if path.is_file()] + sorted((PROJECT_ROOT / "docs").glob("*.md")) + sorted(
        (PROJECT_ROOT / "models").glob("*.md"))


def heading_anchors(path: Path) -> set[str]:
    """GitHub's anchors for the headings of ``path``: lower case, punctuation dropped, spaces as dashes."""
    anchors = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors


@pytest.mark.parametrize("path", markdown_files(), ids=lambda path: str(path.relative_to(PROJECT_ROOT)))
def test_relative_links_point_at_existing_files_and_headings(path):
    broken = []
    for target in LINK.findall(path.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto: not checked offline
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists() or (anchor and linked.suffix == ".md" and anchor not in heading_anchors(linked)):
            broken.append(target)
    assert not broken, f"{path.name}: broken links {broken}"


def test_readme_stays_a_short_user_guide():
    words = len((PROJECT_ROOT / "README.md").read_text(encoding="utf-8").split())
    assert words <= README_MAX_WORDS, f"README.md has {words} words; put detail in docs/ and link it"
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "bash scripts/start.sh" in text and "bash scripts/test.sh" in text
