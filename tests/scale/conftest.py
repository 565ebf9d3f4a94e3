"""The scaled-out stack (tests/scale/cluster.py); Redis alone is tests/fixtures/redis.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.scale.cluster import Cluster, acquire, release


@pytest.fixture(scope="session")
def cluster(rasa_stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Redis, three Rasa servers on deploy/endpoints.redis.yml and an action proxy (shared
    with tests/faults; started once)."""
    yield acquire(rasa_stack, tmp_path_factory)
    release()
