"""Deleting a conversation from Rasa's tracker store, for /forget and retention.

Rasa's HTTP API can replace a tracker's events but not delete the rows, so this works on the
store itself. ``SQLiteTrackerAdmin`` fits Rasa's SQL tracker store on SQLite (table ``events``,
column ``sender_id``); a Redis tracker store would need a ``RedisTrackerAdmin`` deleting the
sender's key, behind the same ``delete`` method.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)


class TrackerAdmin(Protocol):
    async def delete(self, sender_id: str) -> int: ...
    async def purge_inactive(self, cutoff: float) -> int: ...


class SQLiteTrackerAdmin:
    def __init__(self, path: Path) -> None:
        self._path = path

    async def delete(self, sender_id: str) -> int:
        """Delete every event of ``sender_id``; returns how many rows went."""
        return await asyncio.to_thread(
            self._delete, "DELETE FROM events WHERE sender_id=?", (sender_id,)
        )

    async def purge_inactive(self, cutoff: float) -> int:
        """Delete every conversation whose last event is older than ``cutoff`` (a Unix time),
        including those bot/ no longer knows about; returns how many rows went."""
        return await asyncio.to_thread(
            self._delete,
            "DELETE FROM events WHERE sender_id IN (SELECT sender_id FROM events"
            " GROUP BY sender_id HAVING MAX(timestamp) < ?)",
            (cutoff,),
        )

    def _delete(self, statement: str, parameters: tuple) -> int:
        if not self._path.exists():
            # Rasa has not written anything yet (or keeps trackers elsewhere): nothing to delete.
            log.warning("tracker store %s not found; nothing deleted", self._path)
            return 0
        # mode=rw: never create an empty database where Rasa expects its own.
        uri = f"{self._path.resolve().as_uri()}?mode=rw"
        db = sqlite3.connect(uri, uri=True, timeout=10)
        try:
            # Deleted rows are overwritten, not just unlinked, and the write-ahead log that
            # still holds them is emptied: what was said is gone from the files too.
            db.execute("PRAGMA secure_delete=ON")
            with db:
                deleted = db.execute(statement, parameters).rowcount
            if deleted:
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return deleted
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return 0
            raise
        finally:
            db.close()
