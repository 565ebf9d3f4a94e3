"""Redis for the scale-out tests: a real redis-server on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.scale.redis_server import RedisServer


@pytest.fixture
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()
