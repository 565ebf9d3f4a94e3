"""Shared fixtures: each real server is started once per run and shared by every test."""

import pytest

pytest_plugins = [
    "tests.fixtures.rasa",
    "tests.fixtures.bot",
]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # `make test` runs the tests not marked e2e while the model trains: a test that needs the
    # model must be marked, or it would start a second training beside the first.
    for item in items:
        if "rasa_model" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)
