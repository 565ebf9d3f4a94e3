"""Shared fixtures: each real server is started once per run and shared by every test."""

pytest_plugins = [
    "tests.fixtures.rasa",
    "tests.fixtures.bot",
]
