"""Shared fixtures: each real server is started once per run and shared by every test."""

import pytest

pytest_plugins = [
    "tests.fixtures.rasa",
    "tests.fixtures.bot",
]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # `make test` runs the tests not marked e2e while the model trains: a test that needs the
    # model is marked here, whatever its module says, so it waits for that training instead of
    # starting a second one beside it.
    for item in items:
        if "rasa_model" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)
