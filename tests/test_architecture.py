"""The package layout's rules (``tunex_core/__init__.py``): imports point down, never sideways or up."""

from __future__ import annotations

import ast
import fnmatch
import re
from pathlib import Path

import pytest

from tunex_core.paths import PROJECT_ROOT

PACKAGE_DIR = PROJECT_ROOT / "tunex_core"
SHARED = "shared"
# Which parts each part may import (besides itself).
ALLOWED = {
    SHARED: {SHARED},
    "vision": {SHARED},
    "music": {SHARED},
    "report": {SHARED},
    "training": {SHARED, "vision", "report"},  # report holds metrics.json's schema, which training writes
    "live": {SHARED, "vision"},
    "personal": {SHARED, "music"},
    "sharing": {SHARED},
    "commands": {SHARED, "vision", "music", "report", "training", "live", "personal", "sharing"},
}
MAX_TOP_LEVEL_MODULES = 10
# The CLI's entry points live at the top but sit above every part, with ``commands``.
ENTRY_POINTS = {"tunex_core.cli", "tunex_core.__main__"}


def part_of_module(dotted: str) -> str:
    """The part a ``tunex_core…`` module belongs to: its subpackage, or ``shared`` at the top."""
    if dotted in ENTRY_POINTS:
        return "commands"
    pieces = dotted.split(".")
    if len(pieces) >= 2 and pieces[1] in ALLOWED and (PACKAGE_DIR / pieces[1]).is_dir():
        return pieces[1]
    return SHARED


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of every module that ``path`` imports, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    own = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    package = own if path.name == "__init__.py" else own.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # ``from tunex_core import music`` imports the subpackage itself.
            if module == "tunex_core":
                found.extend((node.lineno, f"tunex_core.{alias.name}") for alias in node.names)
    return found


def package_modules() -> list[Path]:
    return sorted(path for path in PACKAGE_DIR.rglob("*.py") if "__pycache__" not in path.parts)


def test_every_part_is_a_package():
    for part in ALLOWED.keys() - {SHARED}:
        assert (PACKAGE_DIR / part / "__init__.py").is_file(), part


def test_top_level_stays_small():
    top_level = sorted(path.name for path in PACKAGE_DIR.glob("*.py"))
    assert len(top_level) <= MAX_TOP_LEVEL_MODULES, top_level
    assert len([path for path in PACKAGE_DIR.iterdir() if (path / "__init__.py").is_file()]) >= 4


@pytest.mark.parametrize("path", package_modules(), ids=lambda path: str(path.relative_to(PACKAGE_DIR)))
def test_imports_point_down(path):
    own_part = part_of_module(".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts))
    wrong = []
    for line, module in imported_modules(path):
        top = module.split(".")[0]
        if top in {"streamlit", "streamlit_webrtc"}:
            wrong.append(f"line {line}: {module} (no Streamlit in tunex_core)")
        elif top == "tunex_core" and part_of_module(module) not in ALLOWED[own_part] | {own_part}:
            wrong.append(f"line {line}: {module} ({own_part} may not import {part_of_module(module)})")
    assert not wrong, "\n".join(wrong)


def test_the_checker_sees_a_wrong_import(tmp_path, monkeypatch):
    """The rule test itself can fail: a vision module importing music is reported."""
    fake_root = tmp_path
    (fake_root / "tunex_core" / "vision").mkdir(parents=True)
    (fake_root / "tunex_core" / "music").mkdir()
    bad = fake_root / "tunex_core" / "vision" / "bad.py"
    bad.write_text("from ..music import catalog\nimport streamlit\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["x"]), "PROJECT_ROOT", fake_root)
    monkeypatch.setattr(__import__(__name__, fromlist=["x"]), "PACKAGE_DIR", fake_root / "tunex_core")
    assert imported_modules(bad) == [(1, "tunex_core.music"), (2, "streamlit")]
    with pytest.raises(AssertionError, match="vision may not import music"):
        test_imports_point_down(bad)


def test_each_cached_resource_has_one_home():
    """A resource cached in two pages is loaded and kept twice per server (the catalog: 31 MB, 0.8 s each)."""
    homes: dict[str, list[str]] = {}
    for path in [*sorted((PROJECT_ROOT / "pages").glob("*.py")), PROJECT_ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and any(
                    "cache_resource" in ast.unparse(decorator) or "cache_data" in ast.unparse(decorator)
                    for decorator in node.decorator_list):
                homes.setdefault(node.name, []).append(path.name)
    assert homes and {name: files for name, files in homes.items() if len(files) > 1} == {}


MAX_MODULE_LINES = 400
MAP_LINE = re.compile(r"^    ([a-z_][a-z0-9_/]*)  +\S")


def documented_modules(section_title: str) -> list[str]:
    """The module names listed under ``section_title`` in ``tunex_core/__init__.py``'s docstring."""
    docstring = ast.get_docstring(ast.parse((PACKAGE_DIR / "__init__.py").read_text(encoding="utf-8")))
    section = docstring.split(section_title, 1)[1].split("\n\n", 2)[1]  # the indented block after the title
    return [match.group(1) for line in section.splitlines() if (match := MAP_LINE.match(line))]


def module_names() -> dict[str, Path]:
    """Every module of ``tunex_core`` but the packages' ``__init__``, as ``part/module``."""
    return {str(path.relative_to(PACKAGE_DIR).with_suffix("")): path for path in package_modules()
            if path.name != "__init__.py"}


def test_the_module_map_lists_every_module_once():
    listed = documented_modules("Module map")
    modules = module_names()
    assert len(listed) == len(set(listed)), "a module is listed twice"
    assert sorted(set(modules) - set(listed)) == [], "add a line for each to the map in tunex_core/__init__.py"
    assert sorted(set(listed) - set(modules)) == [], "the map lists modules that do not exist"


def test_a_module_over_the_length_limit_says_why():
    exceptions = documented_modules("Modules over 400 lines")
    modules = module_names()
    assert set(exceptions) <= set(modules), "a listed long module does not exist"
    long_ones = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in modules.items()
                 if len(path.read_text(encoding="utf-8").splitlines()) > MAX_MODULE_LINES}
    unexplained = {name: lines for name, lines in long_ones.items() if name not in exceptions}
    assert not unexplained, f"split these, or give the reason in tunex_core/__init__.py: {unexplained}"


TESTS_DIR = PROJECT_ROOT / "tests"
# Modules whose mirrored test file would test nothing of its own, and where they are tested instead.
UNMIRRORED = {
    "__main__": "two lines that call cli.main: run as python -m tunex_core by tests/test_cli.py and the commands' "
                "subprocess smoke tests (tests/commands/cli_runner.run_cli)",
}


def mirrored_test_file(module: str) -> Path:
    """``part/module`` -> ``tests/part/test_module.py`` (``module`` -> ``tests/test_module.py`` at the top)."""
    *folders, name = module.split("/")
    return TESTS_DIR.joinpath(*folders, f"test_{name}.py")


def test_every_module_has_its_mirrored_test_file():
    modules = module_names()
    assert set(UNMIRRORED) <= set(modules), "an allowed exception names a module that does not exist"
    missing = sorted(str(mirrored_test_file(name).relative_to(PROJECT_ROOT)) for name in modules
                     if name not in UNMIRRORED and not mirrored_test_file(name).is_file())
    assert not missing, f"add a test module for each (tests mirror tunex_core/): {missing}"
    needless = [name for name in UNMIRRORED if mirrored_test_file(name).is_file()]
    assert not needless, f"these have a test file now; take them out of UNMIRRORED: {needless}"


def test_pytest_recurses_into_every_test_folder(pytestconfig):
    """pytest skips folders matching ``norecursedirs`` (by default ``build``, which once hid tests/music/build/)."""
    patterns = pytestconfig.getini("norecursedirs")
    folders = [folder for folder in TESTS_DIR.rglob("*") if folder.is_dir() and "__pycache__" not in folder.parts]
    assert any(folder.name == "build" for folder in folders)
    skipped = [str(folder.relative_to(PROJECT_ROOT)) for folder in folders
               if any(fnmatch.fnmatch(folder.name, pattern) for pattern in patterns)]
    assert not skipped, f"pytest never collects these test folders (norecursedirs in pyproject.toml): {skipped}"


def test_the_map_checks_can_fail(monkeypatch, tmp_path):
    """A module missing from the map, a long one without a reason and one without its test file are reported."""
    package = tmp_path / "tunex_core"
    (package / "music").mkdir(parents=True)
    (package / "__init__.py").write_text('"""Doc.\n\nModule map (one line each):\n\n    music/known      fine\n\n'
                                         'Modules over 400 lines, and why:\n\n    music/known      a reason\n"""\n')
    (package / "music" / "__init__.py").write_text("")
    (package / "music" / "known.py").write_text("x = 1\n")
    (package / "music" / "unlisted.py").write_text("x = 1\n" * (MAX_MODULE_LINES + 1))
    module = __import__(__name__, fromlist=["x"])
    monkeypatch.setattr(module, "PACKAGE_DIR", package)
    with pytest.raises(AssertionError, match="add a line"):
        test_the_module_map_lists_every_module_once()
    with pytest.raises(AssertionError, match="music/unlisted"):
        test_a_module_over_the_length_limit_says_why()
    tests = tmp_path / "tests"
    (tests / "music").mkdir(parents=True)
    (tests / "music" / "test_known.py").write_text("")
    monkeypatch.setattr(module, "TESTS_DIR", tests)
    monkeypatch.setattr(module, "PROJECT_ROOT", tmp_path)
    monkeypatch.setattr(module, "UNMIRRORED", {})
    with pytest.raises(AssertionError, match=r"tests/music/test_unlisted\.py"):
        test_every_module_has_its_mirrored_test_file()
