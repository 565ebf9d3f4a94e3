"""Deleting a conversation from Rasa's tracker store, for /forget and retention.

Rasa's HTTP API can replace a tracker's events but not delete the rows, so this works on the
store itself. ``SQLiteTrackerAdmin`` fits Rasa's SQL tracker store on SQLite (table ``events``,
column ``sender_id``); ``bot.people_redis.RedisTrackerAdmin`` deletes the sender's key from
Rasa's Redis tracker store, behind the same methods.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path
from typing import Protocol

from bot.sqlite_file import connect

log = logging.getLogger(__name__)


class TrackerAdmin(Protocol):
    async def delete(self, sender_id: str) -> int: ...
    async def purge_inactive(self, cutoff: float) -> int: ...


class SQLiteTrackerAdmin:
    """Opens Rasa's file for each deletion (off the loop, on aiosqlite's thread) and closes it
    after: bot/ holds no connection to a file Rasa writes all the time, and never creates it."""

    def __init__(self, path: Path) -> None:
        self._path = path

    async def delete(self, sender_id: str) -> int:
        """Delete every event of ``sender_id``; returns how many rows went."""
        return await self._delete("DELETE FROM events WHERE sender_id=?", (sender_id,))

    async def purge_inactive(self, cutoff: float) -> int:
        """Delete every conversation whose last event is older than ``cutoff`` (a Unix time),
        including those bot/ no longer knows about; returns how many rows went."""
        return await self._delete(
            "DELETE FROM events WHERE sender_id IN (SELECT sender_id FROM events"
            " GROUP BY sender_id HAVING MAX(timestamp) < ?)",
            (cutoff,),
        )

    async def _delete(self, statement: str, parameters: tuple) -> int:
        uri = await asyncio.to_thread(self._uri)
        if uri is None:
            # Rasa has not written anything yet (or keeps trackers elsewhere): nothing to delete.
            log.warning("tracker store %s not found; nothing deleted", self._path)
            return 0
        async with connect(uri, uri=True, timeout=10) as db:
            # Deleted rows are overwritten, not just unlinked, and the write-ahead log that
            # still holds them is emptied: what was said is gone from the files too.
            await db.execute("PRAGMA secure_delete=ON")
            try:
                deleted = (await db.execute(statement, parameters)).rowcount
            except sqlite3.OperationalError as error:
                if "no such table" in str(error):
                    return 0
                raise
            if deleted:
                await db.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)")
            return deleted

    def _uri(self) -> str | None:
        if not self._path.exists():
            return None
        # mode=rw: never create an empty database where Rasa expects its own.
        return f"{self._path.resolve().as_uri()}?mode=rw"
