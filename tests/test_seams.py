"""The seams between the parts hold: bot/ (the front door, on its own environment) never
imports actions/ or addons/ (the brain's, on Rasa's), the shared package needs only pyyaml, and
the benchmarks do not reach into the tests. Read from the source, so a lazy import counts too."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imports_of(folder: str) -> dict[str, set[str]]:
    """Every module each .py file under ``folder`` imports, anywhere in the file."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("bot", {"actions", "addons", "rasa", "rasa_sdk", "tests", "scripts", "bench"}),
        ("aic_shared", {"actions", "addons", "bot", "rasa", "rasa_sdk", "tests"}),
        ("actions", {"bot", "addons", "tests"}),
        ("addons", {"bot", "tests"}),
        ("bench", {"tests"}),
    ],
)
def test_no_part_imports_across_its_seam(folder, forbidden):
    crossing = {
        path: sorted(name for name in names if top(name) in forbidden)
        for path, names in imports_of(folder).items()
    }
    assert {path: names for path, names in crossing.items() if names} == {}


def test_the_shared_package_needs_nothing_but_pyyaml():
    allowed = set(sys.stdlib_module_names) | {"yaml", "aic_shared", "__future__"}
    for path, names in imports_of("aic_shared").items():
        assert {top(name) for name in names} <= allowed, path
