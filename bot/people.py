"""bot/'s own persistent state, one row per pseudonym.

It holds only what bot/ needs: where to send a reply (the door's address, e.g. a Telegram chat
id), when the person was last active (for retention), the buttons last offered (so a press can
be checked), the rate-limit bucket and the person's language. ``Store`` is the interface;
``SQLiteStore`` keeps it in ``{data_dir}/bot.db`` so a restart loses nothing, and
``bot.people_redis.RedisStore`` keeps it in Redis for several replicas.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import aiosqlite

from bot.messages import Button
from bot.ratelimit import Bucket, Verdict, take
from bot.sqlite_file import SQLiteFile


@dataclass(frozen=True)
class Address:
    channel: str
    address: str


@dataclass(frozen=True)
class Admission:
    """What ``Store.admit`` found: the rate-limit verdict and the person's stored language."""

    verdict: Verdict
    language: str | None = None
    language_chosen: bool = False


class Store(Protocol):
    # One turn's bookkeeping at once (the address and last activity, a rate-limit token, the
    # stored language): one SQLite transaction or one Redis round trip, where one each had
    # cost more than the work under load.
    async def admit(
        self, pseudonym: str, channel: str, address: str, now: float, per_minute: int
    ) -> Admission: ...
    async def address(self, pseudonym: str) -> Address | None: ...
    async def set_offered(self, pseudonym: str, buttons: Sequence[Button]) -> None: ...
    async def offered(self, pseudonym: str) -> tuple[Button, ...]: ...
    # The person's language ("en"/"cy") and whether they chose it (/cymraeg, the widget's
    # switch) rather than bot/ guessing it: see aic_shared/language.py.
    async def language(self, pseudonym: str) -> tuple[str | None, bool]: ...
    async def set_language(self, pseudonym: str, language: str, chosen: bool) -> None: ...
    async def delete(self, pseudonym: str) -> None: ...
    async def inactive_since(self, cutoff: float) -> list[str]: ...
    async def close(self) -> None: ...


SCHEMA = """
CREATE TABLE IF NOT EXISTS people (
    pseudonym    TEXT PRIMARY KEY,
    channel      TEXT NOT NULL,
    address      TEXT NOT NULL,
    last_active  REAL NOT NULL,
    offered      TEXT NOT NULL DEFAULT '[]',
    rate_tokens  REAL,
    rate_updated REAL,
    rate_told    INTEGER NOT NULL DEFAULT 0
)
"""
_TOUCH = (
    "INSERT INTO people (pseudonym, channel, address, last_active) VALUES (?, ?, ?, ?)"
    " ON CONFLICT(pseudonym) DO UPDATE SET channel=excluded.channel,"
    " address=excluded.address, last_active=excluded.last_active"
    " RETURNING rate_tokens, rate_updated, rate_told, language, language_chosen"
)
# Columns added after the first release: added to an older bot.db when it is opened.
ADDED_COLUMNS = {
    "language": "ALTER TABLE people ADD COLUMN language TEXT",
    "language_chosen": "ALTER TABLE people ADD COLUMN language_chosen INTEGER NOT NULL DEFAULT 0",
}


async def _create_schema(db: aiosqlite.Connection) -> None:
    await db.execute(SCHEMA)
    columns = {row[1] for row in await db.execute_fetchall("PRAGMA table_info(people)")}
    for column, statement in ADDED_COLUMNS.items():
        if column not in columns:
            await db.execute(statement)


class SQLiteStore:
    """SQLite off the event loop (``bot.sqlite_file``): a turn's bookkeeping is one short
    transaction, every other call one statement."""

    def __init__(self, file: SQLiteFile) -> None:
        self._file = file

    @classmethod
    async def open(cls, path: Path) -> SQLiteStore:
        return cls(await SQLiteFile.open(path, _create_schema))

    async def admit(
        self, pseudonym: str, channel: str, address: str, now: float, per_minute: int
    ) -> Admission:
        async with self._file.transaction() as db:
            # The row as it was before this turn's token (the touch leaves the bucket alone).
            [row] = await db.execute_fetchall(_TOUCH, (pseudonym, channel, address, now))
            bucket = Bucket(row[0], row[1], bool(row[2])) if row[0] is not None else None
            bucket, verdict = take(bucket, now, per_minute)
            await db.execute(
                "UPDATE people SET rate_tokens=?, rate_updated=?, rate_told=? WHERE pseudonym=?",
                (bucket.tokens, bucket.updated_at, int(bucket.told), pseudonym),
            )
        return Admission(verdict, row[3], bool(row[4]))

    async def address(self, pseudonym: str) -> Address | None:
        row = await self._file.fetchone(
            "SELECT channel, address FROM people WHERE pseudonym=?", (pseudonym,)
        )
        return Address(*row) if row else None

    async def set_offered(self, pseudonym: str, buttons: Sequence[Button]) -> None:
        encoded = json.dumps([[b.title, b.payload] for b in buttons])
        await self._file.change(
            "UPDATE people SET offered=? WHERE pseudonym=?", (encoded, pseudonym)
        )

    async def offered(self, pseudonym: str) -> tuple[Button, ...]:
        row = await self._file.fetchone(
            "SELECT offered FROM people WHERE pseudonym=?", (pseudonym,)
        )
        return tuple(Button(title, payload) for title, payload in json.loads(row[0])) if row else ()

    async def language(self, pseudonym: str) -> tuple[str | None, bool]:
        row = await self._file.fetchone(
            "SELECT language, language_chosen FROM people WHERE pseudonym=?", (pseudonym,)
        )
        return (row[0], bool(row[1])) if row else (None, False)

    async def set_language(self, pseudonym: str, language: str, chosen: bool) -> None:
        await self._file.change(
            "UPDATE people SET language=?, language_chosen=? WHERE pseudonym=?",
            (language, int(chosen), pseudonym),
        )

    async def delete(self, pseudonym: str) -> None:
        await self._file.change("DELETE FROM people WHERE pseudonym=?", (pseudonym,))
        await self._file.scrub()

    async def inactive_since(self, cutoff: float) -> list[str]:
        rows = await self._file.fetchall(
            "SELECT pseudonym FROM people WHERE last_active < ?", (cutoff,)
        )
        return [row[0] for row in rows]

    async def close(self) -> None:
        await self._file.close()
