"""Which stores bot/ uses, from the settings alone: SQLite in ``AIC_DATA_DIR`` by default,
Redis when ``AIC_REDIS_URL`` is set; Rasa's trackers are deleted from SQLite
(``AIC_TRACKER_DB``) or from Redis when ``AIC_TRACKER_REDIS_URL`` is set.

A store that cannot be opened at start (Redis down, data folder not writable) does not stop
bot/: ``ReconnectingStore`` tries again on use, at most once a second, and until then every call
raises ``StoreUnavailable``, which ``Conversations`` answers with the safety message.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.messages import Button
from bot.ratelimit import Verdict
from bot.settings import Settings
from bot.store import Address, SQLiteStore, Store
from bot.store_redis import RedisStore, RedisTrackerAdmin, StoreUnavailable
from bot.tracker_admin import SQLiteTrackerAdmin, TrackerAdmin

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0

__all__ = ["ReconnectingStore", "StoreUnavailable", "open_store", "open_tracker_admin"]


class ReconnectingStore:
    """A ``Store`` that opens the real one lazily and again after it could not."""

    def __init__(
        self,
        opener: Callable[[], Awaitable[Store]],
        name: str,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self._opener = opener
        self.name = name
        self._retry_seconds = retry_seconds
        self._store: Store | None = None
        self._next_attempt = 0.0
        self._opening = asyncio.Lock()

    @property
    def is_open(self) -> bool:
        return self._store is not None

    async def connect(self) -> Store:
        if self._store is not None:
            return self._store
        async with self._opening:
            if self._store is not None:
                return self._store
            if time.monotonic() < self._next_attempt:
                raise StoreUnavailable(f"{self.name} store not open yet")
            try:
                self._store = await self._opener()
            except (OSError, sqlite3.Error) as error:  # StoreUnavailable is an OSError
                self._next_attempt = time.monotonic() + self._retry_seconds
                log.warning("%s store unavailable: %s", self.name, type(error).__name__)
                raise StoreUnavailable(f"{self.name} store unavailable") from None
            log.info("%s store open", self.name)
            return self._store

    async def _call(self, method: str, *args: Any) -> Any:
        store = await self.connect()
        try:
            return await getattr(store, method)(*args)
        except sqlite3.Error as error:
            raise StoreUnavailable(f"{self.name}: {type(error).__name__}") from None

    async def touch(self, pseudonym: str, channel: str, address: str, now: float) -> None:
        await self._call("touch", pseudonym, channel, address, now)

    async def address(self, pseudonym: str) -> Address | None:
        return await self._call("address", pseudonym)

    async def set_offered(self, pseudonym: str, buttons: Sequence[Button]) -> None:
        await self._call("set_offered", pseudonym, buttons)

    async def offered(self, pseudonym: str) -> tuple[Button, ...]:
        return await self._call("offered", pseudonym)

    async def take_turn(self, pseudonym: str, now: float, per_minute: int) -> Verdict:
        return await self._call("take_turn", pseudonym, now, per_minute)

    async def language(self, pseudonym: str) -> tuple[str | None, bool]:
        return await self._call("language", pseudonym)

    async def set_language(self, pseudonym: str, language: str, chosen: bool) -> None:
        await self._call("set_language", pseudonym, language, chosen)

    async def delete(self, pseudonym: str) -> None:
        await self._call("delete", pseudonym)

    async def inactive_since(self, cutoff: float) -> list[str]:
        return await self._call("inactive_since", cutoff)

    async def close(self) -> None:
        if self._store is not None:
            store, self._store = self._store, None
            await store.close()


async def open_store(settings: Settings) -> ReconnectingStore:
    """bot/'s store for these settings, open if it can be opened now."""
    if settings.redis_url:
        url = settings.redis_url

        async def opener() -> Store:
            return await RedisStore.open(url, ttl_seconds=settings.retention_seconds)

        store = ReconnectingStore(opener, "redis")
    else:
        path = settings.store_path

        async def opener() -> Store:
            return await SQLiteStore.open(path)

        store = ReconnectingStore(opener, "sqlite")
    try:
        await store.connect()
    except StoreUnavailable:
        log.warning("starting without a store; retrying on use")
    return store


def open_tracker_admin(settings: Settings) -> TrackerAdmin:
    if settings.tracker_redis_url:
        return RedisTrackerAdmin.from_url(settings.tracker_redis_url)
    return SQLiteTrackerAdmin(settings.tracker_db)


async def close_tracker_admin(admin: TrackerAdmin) -> None:
    close = getattr(admin, "close", None)
    if close is not None:
        await close()
