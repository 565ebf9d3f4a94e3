"""The fault tests run on the shared scaled-out stack (tests/scale/cluster.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.scale.cluster import Cluster, acquire, release


@pytest.fixture(scope="session")
def cluster(rasa_stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    yield acquire(rasa_stack, tmp_path_factory)
    release()
