"""Shared fixtures: each real server is started once per run and shared by every test.

The tests run in the two environments the parts run in (`make test` runs pytest in each): the
brain's own tests (tests/actions, tests/addons) in Rasa's, the rest in bot/'s. Each run collects
only its side, so no test is run twice or on the wrong libraries; tests/test_seams.py checks that
neither side imports the other's code.
"""

import importlib.util
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
BRAIN_TESTS = frozenset({"actions", "addons"})
IN_RASA_ENVIRONMENT = importlib.util.find_spec("rasa") is not None

pytest_plugins = [
    "tests.fixtures.rasa",
    "tests.fixtures.bot",
    "tests.fixtures.redis",
]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # `make test` runs the tests not marked e2e while the model trains: a test that needs the
    # model is marked here, whatever its module says, so it waits for that training instead of
    # starting a second one beside it.
    for item in items:
        if "rasa_model" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)


def side_of(path: Path) -> str | None:
    """ "brain" or "bot" for a test folder or module under tests/; None for the shared files."""
    parts = path.resolve().relative_to(TESTS).parts
    if not parts:
        return None
    if parts[0] in BRAIN_TESTS:
        return "brain"
    if (TESTS / parts[0]).is_dir() or parts[0].startswith("test_"):
        return "bot"
    return None


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if not collection_path.resolve().is_relative_to(TESTS):
        return None
    side = side_of(collection_path)
    if side is not None and (side == "brain") != IN_RASA_ENVIRONMENT:
        return True
    return None
