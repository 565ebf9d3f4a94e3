"""Fixtures for the hand-off's tests: the case store on SQLite (in a temporary folder) and on a
real redis-server started for the test, behind the same contract."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.handoff.store import CaseStore, SQLiteCaseStore
from bot.handoff.store_redis import RedisCaseStore
from tests.scale.conftest import redis_server  # noqa: F401

Opener = Callable[[], Awaitable[CaseStore]]


@pytest.fixture(params=["sqlite", "redis"])
async def open_cases(request, tmp_path: Path) -> AsyncIterator[Opener]:
    """Opens a case store on one shared backend: each call is another connection to the same
    data (another process on the same file, another replica on the same Redis)."""
    opened: list[CaseStore] = []
    if request.param == "sqlite":
        path = tmp_path / "data" / "handoff.db"

        async def opener() -> CaseStore:
            opened.append(await SQLiteCaseStore.open(path))
            return opened[-1]
    else:
        url = request.getfixturevalue("redis_server").url

        async def opener() -> CaseStore:
            opened.append(await RedisCaseStore.open(url))
            return opened[-1]

    yield opener
    for store in opened:
        await store.close()


@pytest.fixture
async def cases(open_cases: Opener) -> CaseStore:
    return await open_cases()


# The real doors' fixtures, for the end-to-end hand-off tests in this folder.
from tests.fixtures.telegram_peer import telegram_peer  # noqa: E402, F401
from tests.widget.conftest import browser, chromium, new_context, page  # noqa: E402, F401
