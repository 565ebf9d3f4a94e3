"""Where the daily counters are kept: ``{AIC_DATA_DIR}/statistics.db`` (SQLite), or Redis with
``AIC_REDIS_URL`` so every replica adds to the same counts.

One row (SQLite) or one hash field (Redis) per day and ``CountKey``: a count, never a person.
Kept ``AIC_STATISTICS_RETENTION_DAYS``: SQLite rows are deleted by the purge, Redis hashes
expire by themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Protocol

import aiosqlite
import redis.asyncio as aioredis

from bot.people_redis import connect, translated
from bot.sqlite_file import SQLiteFile
from bot.statistics.counts import CountKey, decode, encode

# (day as an ISO date, key, count)
Row = tuple[str, CountKey, int]
REDIS_PREFIX = "aic:statistics:"


class StatisticsStore(Protocol):
    async def add(self, day: str, counts: Mapping[CountKey, int]) -> None:
        """Add each count to its key's on ``day``, all or none."""
        ...

    async def rows(self, force: str, first_day: str, last_day: str) -> list[Row]: ...
    async def purge(self, before_day: str) -> int: ...
    async def ping(self) -> None: ...
    async def close(self) -> None: ...


SCHEMA = """
CREATE TABLE IF NOT EXISTS daily_counts (
    day      TEXT NOT NULL,
    force    TEXT NOT NULL,
    door     TEXT NOT NULL,
    language TEXT NOT NULL,
    measure  TEXT NOT NULL,
    value    TEXT NOT NULL,
    count    INTEGER NOT NULL,
    PRIMARY KEY (force, day, door, language, measure, value)
) WITHOUT ROWID
"""
_ADD = """
INSERT INTO daily_counts (day, force, door, language, measure, value, count)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (force, day, door, language, measure, value)
DO UPDATE SET count = count + excluded.count
"""


def store_path(data_dir: Path) -> Path:
    return data_dir / "statistics.db"


async def _create_schema(db: aiosqlite.Connection) -> None:
    await db.execute(SCHEMA)


class SQLiteStatisticsStore:
    def __init__(self, file: SQLiteFile) -> None:
        self._file = file

    @classmethod
    async def open(cls, path: Path) -> SQLiteStatisticsStore:
        return cls(await SQLiteFile.open(path, _create_schema))

    async def add(self, day: str, counts: Mapping[CountKey, int]) -> None:
        async with self._file.transaction() as db:
            await db.executemany(_ADD, [(day, *key, n) for key, n in counts.items()])

    async def rows(self, force: str, first_day: str, last_day: str) -> list[Row]:
        found = await self._file.fetchall(
            "SELECT day, force, door, language, measure, value, count FROM daily_counts"
            " WHERE force=? AND day BETWEEN ? AND ?",
            (force, first_day, last_day),
        )
        return [(row[0], CountKey(*row[1:6]), row[6]) for row in found]

    async def purge(self, before_day: str) -> int:
        return await self._file.change("DELETE FROM daily_counts WHERE day < ?", (before_day,))

    async def ping(self) -> None:
        await self._file.fetchone("SELECT 1")

    async def close(self) -> None:
        await self._file.close()


class RedisStatisticsStore:
    """A hash per force and day (``aic:statistics:<force>:<day>``), a field per rest of the key,
    expiring ``retention_days`` after its day."""

    def __init__(self, client: aioredis.Redis, retention_days: int) -> None:
        self._redis = client
        self._retention_days = retention_days

    @classmethod
    async def open(cls, url: str, retention_days: int) -> RedisStatisticsStore:
        store = cls(connect(url), retention_days)
        await store.ping()
        return store

    @staticmethod
    def _key(force: str, day: str) -> str:
        return f"{REDIS_PREFIX}{force}:{day}"

    async def add(self, day: str, counts: Mapping[CountKey, int]) -> None:
        expires = date.fromisoformat(day) + timedelta(days=self._retention_days + 1)
        expire_at = _epoch(expires)
        async with translated():
            pipe = self._redis.pipeline(transaction=True)
            for key, n in counts.items():
                pipe.hincrby(self._key(key.force, day), encode(key), n)
            for name in {self._key(key.force, day) for key in counts}:
                pipe.expireat(name, expire_at)
            await pipe.execute()

    async def rows(self, force: str, first_day: str, last_day: str) -> list[Row]:
        days = _days(first_day, last_day)
        async with translated():
            pipe = self._redis.pipeline(transaction=False)
            for day in days:
                pipe.hgetall(self._key(force, day))
            hashes = await pipe.execute()
        found: list[Row] = []
        for day, fields in zip(days, hashes, strict=True):
            for field, count in fields.items():
                key = decode(field)
                if key is not None:
                    found.append((day, key, int(count)))
        return found

    async def purge(self, before_day: str) -> int:
        return 0  # each day's hashes expire by themselves

    async def ping(self) -> None:
        async with translated():
            await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()


def _days(first_day: str, last_day: str) -> list[str]:
    first, last = date.fromisoformat(first_day), date.fromisoformat(last_day)
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def _epoch(day: date) -> int:
    return int((day - date(1970, 1, 1)).total_seconds())
