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
from bot.ratelimit import Verdict
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
    # No record of this person before this turn: a conversation begins (bot.statistics).
    new: bool = False


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
    rate_told    INTEGER NOT NULL DEFAULT 0,
    first_active REAL
)
"""
# Store.admit in one statement, so one hop to the connection's thread (each costs more than
# the statement) and atomic on its own, also against another process: record the address and
# last activity and spend a rate-limit token as bot.ratelimit.take() does (as _SPEND does in
# Redis; tests/bot/test_store.py holds it to take()'s verdicts and buckets). The old bucket is
# read under the statement's write lock. rate_told: 0 after a turn let through, 1 after a
# refusal the person was told of, 2 after a quiet one (the verdict, read back by RETURNING).
_ADMIT = """
INSERT INTO people (pseudonym, channel, address, last_active, rate_tokens, rate_updated, rate_told,
                    first_active)
SELECT :pseudonym, :channel, :address, :now,
       CASE WHEN tokens >= 1.0 THEN tokens - 1.0 ELSE tokens END,
       :now,
       CASE WHEN tokens >= 1.0 THEN 0 WHEN told THEN 2 ELSE 1 END,
       :now
FROM (
    SELECT MIN(:capacity, COALESCE(p.rate_tokens, :capacity)
               + MAX(0.0, :now - COALESCE(p.rate_updated, :now)) * :capacity / 60.0) AS tokens,
           p.rate_tokens IS NOT NULL AND p.rate_told > 0 AS told
    FROM (SELECT 1) LEFT JOIN people p ON p.pseudonym = :pseudonym
)
WHERE true  -- else SQLite reads ON CONFLICT as the join's ON
ON CONFLICT(pseudonym) DO UPDATE SET channel=excluded.channel, address=excluded.address,
    last_active=excluded.last_active, rate_tokens=excluded.rate_tokens,
    rate_updated=excluded.rate_updated, rate_told=excluded.rate_told
RETURNING rate_told, language, language_chosen, first_active = last_active
"""
_VERDICTS = (Verdict.ALLOWED, Verdict.REFUSED, Verdict.REFUSED_QUIETLY)  # by rate_told
# Columns added after the first release: added to an older bot.db when it is opened.
ADDED_COLUMNS = {
    # Set when the row is made, never updated: a turn that finds it equal to last_active is
    # the person's first (bot.people.Admission.new).
    "first_active": "ALTER TABLE people ADD COLUMN first_active REAL",
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
    """SQLite off the event loop (``bot.sqlite_file``): every call is one statement."""

    def __init__(self, file: SQLiteFile) -> None:
        self._file = file

    @classmethod
    async def open(cls, path: Path) -> SQLiteStore:
        return cls(await SQLiteFile.open(path, _create_schema))

    async def admit(
        self, pseudonym: str, channel: str, address: str, now: float, per_minute: int
    ) -> Admission:
        row = await self._file.fetchone(
            _ADMIT,
            {
                "pseudonym": pseudonym,
                "channel": channel,
                "address": address,
                "now": now,
                "capacity": float(per_minute),
            },
        )
        assert row is not None  # an upsert's RETURNING always has its row
        told, language, chosen, new = row
        return Admission(_VERDICTS[told], language, bool(chosen), bool(new))

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
