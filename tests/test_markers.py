"""The e2e mark `make test` splits the run on: every test that needs the model carries it."""

from __future__ import annotations

import pytest

from tests.conftest import pytest_collection_modifyitems


class CollectedTest:
    def __init__(self, *fixtures: str) -> None:
        self.fixturenames = list(fixtures)
        self.marks: list[str] = []

    def add_marker(self, mark: pytest.MarkDecorator) -> None:
        self.marks.append(mark.name)


def test_a_test_needing_the_model_is_marked_e2e_and_no_other_is():
    needs_model = CollectedTest("rasa_stack", "rasa_model", "tmp_path")
    no_model = CollectedTest("tmp_path", "fake_rasa")
    pytest_collection_modifyitems([needs_model, no_model])  # type: ignore[list-item]
    assert needs_model.marks == ["e2e"]
    assert no_model.marks == []
