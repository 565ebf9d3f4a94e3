"""The seams between the parts hold: bot/ (the front door, on its own environment) never
imports actions/ or addons/ (the brain's, on Rasa's), the shared package needs only pyyaml, and
the benchmarks do not reach into the tests; and each test runs in one environment, importing only
what that environment has. Read from the source, so a lazy import counts too."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from tests.conftest import BRAIN_TESTS, side_of

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


BRAIN_ONLY = {"rasa", "rasa_sdk", "actions", "addons"}
SHARED_TEST_MODULES = {
    "tests",
    "tests.conftest",
    "tests.fixtures",
    "tests.loopback",
    "tests.safety_wording",
}


def test_each_test_imports_only_what_its_environment_has():
    """tests/actions and tests/addons run in Rasa's environment, the rest in bot/'s (see
    tests/conftest.py); the fixtures every run loads need neither."""
    wrong: dict[str, list[str]] = {}
    for path, names in imports_of("tests").items():
        side = side_of(ROOT / path)
        tests_of = {".".join(name.split(".")[:2]) for name in names if top(name) == "tests"}
        if side == "brain":
            brain_tests = {f"tests.{folder}" for folder in BRAIN_TESTS} | SHARED_TEST_MODULES
            crossing = {name for name in names if top(name) == "bot"} | (tests_of - brain_tests)
        elif side == "bot":
            brain_tests = {f"tests.{folder}" for folder in BRAIN_TESTS}
            crossing = {name for name in names if top(name) in BRAIN_ONLY}
            crossing |= tests_of & brain_tests
        else:
            crossing = {name for name in names if top(name) in BRAIN_ONLY | {"bot"}}
        if crossing:
            wrong[path] = sorted(crossing)
    assert wrong == {}
