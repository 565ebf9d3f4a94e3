"""Fixtures for the hand-off's tests: the case store on SQLite (in a temporary folder) and on a
real redis-server started for the test, behind the same contract; a stand-in Rasa and the
settings of a bot/ app in front of it (tests/handoff/apps.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.handoff.cases import CaseStore
from bot.handoff.cases_redis import RedisCaseStore
from bot.handoff.cases_sqlite import SQLiteCaseStore
from bot.settings import Settings
from tests.handoff.apps import OPEN, StandInRasa, app_settings, serving
from tests.scale.conftest import cluster  # noqa: F401

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


@pytest.fixture
async def rasa():
    async with serving(StandInRasa()) as stand_in:
        yield stand_in


@pytest.fixture
def settings(tmp_path: Path, rasa) -> Settings:
    return app_settings(tmp_path, rasa.url)


@pytest.fixture(autouse=True)
async def close_desks():
    yield
    while OPEN:
        await OPEN.pop().close()


# The real doors' fixtures, for the end-to-end hand-off tests in this folder.
from tests.fixtures.telegram_peer import telegram_peer  # noqa: E402, F401
from tests.widget.conftest import browser, chromium, new_context, page  # noqa: E402, F401
