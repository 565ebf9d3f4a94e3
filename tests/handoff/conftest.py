"""Fixtures for the hand-off's unit tests: a case store in a temporary folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.handoff.store import SQLiteCaseStore


@pytest.fixture
async def cases(tmp_path: Path) -> AsyncIterator[SQLiteCaseStore]:
    store = await SQLiteCaseStore.open(tmp_path / "data" / "handoff.db")
    yield store
    await store.close()


# The real doors' fixtures, for the end-to-end hand-off tests in this folder.
from tests.fixtures.telegram_peer import telegram_peer  # noqa: E402, F401
from tests.widget.conftest import browser, chromium, new_context, page  # noqa: E402, F401
