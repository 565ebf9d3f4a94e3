"""Redis on loopback, and the scaled-out stack (tests/scale/cluster.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scripts.redis_server import RedisServer
from tests.scale.cluster import Cluster, acquire, release


@pytest.fixture
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def cluster(rasa_stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Redis, three Rasa servers on deploy/endpoints.redis.yml and an action proxy (shared
    with tests/faults; started once)."""
    yield acquire(rasa_stack, tmp_path_factory)
    release()
