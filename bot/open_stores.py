"""Which stores bot/ uses, from the settings alone: SQLite in ``AIC_DATA_DIR`` by default,
Redis when ``AIC_REDIS_URL`` is set; Rasa's trackers are deleted from SQLite
(``AIC_TRACKER_DB``) or from Redis when ``AIC_TRACKER_REDIS_URL`` is set.

The hand-off's case store follows the same settings (``open_case_store``): SQLite in
``{AIC_DATA_DIR}/handoff.db``, or Redis with ``AIC_REDIS_URL`` so replicas share one desk.

A store that cannot be opened at start (Redis down, data folder not writable) does not stop
bot/: ``ReconnectingStore`` (and ``ReconnectingCaseStore``) tries again on use, at most once a
second, and until then every call raises ``StoreUnavailable``, which ``Conversations`` answers
with the safety message.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from bot.messages import Button
from bot.people import Address, Admission, SQLiteStore, Store
from bot.people_redis import RedisStore, RedisTrackerAdmin, StoreUnavailable
from bot.settings import Settings
from bot.tracker_admin import SQLiteTrackerAdmin, TrackerAdmin

if TYPE_CHECKING:
    from bot.handoff.cases import CaseStore
    from bot.statistics.counts import CountKey
    from bot.statistics.store import Row, StatisticsStore

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0
S = TypeVar("S")

__all__ = [
    "ReconnectingCaseStore",
    "ReconnectingStatisticsStore",
    "ReconnectingStore",
    "StoreUnavailable",
    "open_case_store",
    "open_statistics_store",
    "open_store",
    "open_tracker_admin",
]


class Reconnecting(Generic[S]):
    """A store that opens the real one lazily and again after it could not."""

    def __init__(
        self,
        opener: Callable[[], Awaitable[S]],
        name: str,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self._opener = opener
        self.name = name
        self._retry_seconds = retry_seconds
        self._store: S | None = None
        self._next_attempt = 0.0
        self._opening = asyncio.Lock()

    @property
    def is_open(self) -> bool:
        return self._store is not None

    async def connect(self) -> S:
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

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        store = await self.connect()
        try:
            return await getattr(store, method)(*args, **kwargs)
        except sqlite3.Error as error:
            raise StoreUnavailable(f"{self.name}: {type(error).__name__}") from None

    async def close(self) -> None:
        if self._store is not None:
            store, self._store = self._store, None
            await store.close()  # type: ignore[attr-defined]


class ReconnectingStore(Reconnecting[Store]):
    """bot/'s ``Store``, opened lazily and again after it could not be."""

    async def admit(
        self, pseudonym: str, channel: str, address: str, now: float, per_minute: int
    ) -> Admission:
        return await self._call("admit", pseudonym, channel, address, now, per_minute)

    async def address(self, pseudonym: str) -> Address | None:
        return await self._call("address", pseudonym)

    async def set_offered(self, pseudonym: str, buttons: Sequence[Button]) -> None:
        await self._call("set_offered", pseudonym, buttons)

    async def offered(self, pseudonym: str) -> tuple[Button, ...]:
        return await self._call("offered", pseudonym)

    async def language(self, pseudonym: str) -> tuple[str | None, bool]:
        return await self._call("language", pseudonym)

    async def set_language(self, pseudonym: str, language: str, chosen: bool) -> None:
        await self._call("set_language", pseudonym, language, chosen)

    async def delete(self, pseudonym: str) -> None:
        await self._call("delete", pseudonym)

    async def inactive_since(self, cutoff: float) -> list[str]:
        return await self._call("inactive_since", cutoff)


class ReconnectingCaseStore(Reconnecting["CaseStore"]):
    """The hand-off's ``CaseStore``, opened lazily and again after it could not be: bot/ starts
    and answers (the safety essentials at least) with the case store down, and the hand-off
    works again once it can be opened. Every ``CaseStore`` method is passed through."""

    def __getattr__(self, name: str) -> Any:
        from bot.handoff.cases import CASE_STORE_METHODS

        if name not in CASE_STORE_METHODS:
            raise AttributeError(name)
        return partial(self._call, name)


async def open_store(settings: Settings) -> ReconnectingStore:
    """bot/'s store for these settings, open if it can be opened now."""
    if settings.redis_url:
        url = settings.redis_url
        store = ReconnectingStore(
            partial(RedisStore.open, url, ttl_seconds=settings.retention_seconds), "redis"
        )
    else:
        store = ReconnectingStore(partial(SQLiteStore.open, settings.store_path), "sqlite")
    await _first_attempt(store, "a store")
    return store


async def open_case_store(settings: Settings, lazy: bool = True) -> ReconnectingCaseStore:
    """The hand-off's case store for these settings: Redis with ``AIC_REDIS_URL``, else SQLite
    in ``{AIC_DATA_DIR}/handoff.db``. Open if it can be opened now; with ``lazy=False`` (the
    accounts command) a store that cannot be opened raises ``StoreUnavailable``."""
    from bot.handoff.cases_redis import RedisCaseStore
    from bot.handoff.cases_sqlite import SQLiteCaseStore, store_path

    if settings.redis_url:
        opener: Callable[[], Awaitable[CaseStore]] = partial(
            RedisCaseStore.open, settings.redis_url
        )
        store = ReconnectingCaseStore(opener, "hand-off redis")
    else:
        store = ReconnectingCaseStore(
            partial(SQLiteCaseStore.open, store_path(settings)), "hand-off sqlite"
        )
    await _first_attempt(store, "the hand-off's store", lazy)
    return store


async def _first_attempt(store: Reconnecting[Any], what: str, lazy: bool = True) -> None:
    """Open ``store`` now if it can be; if not, bot/ starts all the same (``lazy``) and the
    store is tried again on use."""
    try:
        await store.connect()
    except StoreUnavailable:
        if not lazy:
            raise
        log.warning("starting without %s; retrying on use", what)


def open_tracker_admin(settings: Settings) -> TrackerAdmin:
    if settings.tracker_redis_url:
        return RedisTrackerAdmin.from_url(settings.tracker_redis_url)
    return SQLiteTrackerAdmin(settings.tracker_db)


async def close_tracker_admin(admin: TrackerAdmin) -> None:
    close = getattr(admin, "close", None)
    if close is not None:
        await close()


class ReconnectingStatisticsStore(Reconnecting["StatisticsStore"]):
    """The statistics' store, opened lazily and again after it could not be."""

    async def add(self, day: str, counts: Mapping[CountKey, int]) -> None:
        await self._call("add", day, counts)

    async def rows(self, force: str, first_day: str, last_day: str) -> list[Row]:
        return await self._call("rows", force, first_day, last_day)

    async def purge(self, before_day: str) -> int:
        return await self._call("purge", before_day)

    async def ping(self) -> None:
        await self._call("ping")


async def open_statistics_store(settings: Settings) -> ReconnectingStatisticsStore:
    """The daily counters' store: Redis with ``AIC_REDIS_URL``, else SQLite in
    ``{AIC_DATA_DIR}/statistics.db``. Open if it can be opened now."""
    from bot.statistics.store import RedisStatisticsStore, SQLiteStatisticsStore
    from bot.statistics.store import store_path as statistics_path

    if settings.redis_url:
        opener: Callable[[], Awaitable[StatisticsStore]] = partial(
            RedisStatisticsStore.open, settings.redis_url, settings.statistics_retention_days
        )
        store = ReconnectingStatisticsStore(opener, "statistics redis")
    else:
        store = ReconnectingStatisticsStore(
            partial(SQLiteStatisticsStore.open, statistics_path(settings.data_dir)),
            "statistics sqlite",
        )
    await _first_attempt(store, "the statistics' store")
    return store
