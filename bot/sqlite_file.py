"""One SQLite file of bot/'s own (bot.db, handoff.db), used from the event loop itself.

Each statement bot/ runs on these files takes tens of microseconds (WAL; bot.db without an
fsync per commit), while handing it to a worker thread and back cost more than that in thread
wake-ups on every turn: under load those came straight off Rasa's share of the cores. What can
take longer stays off the loop: the WAL checkpoint, which copies the log into the database and
fsyncs it, runs on a worker thread with its own connection every ``CHECKPOINT_EVERY`` changed
rows (SQLite's own checkpoint, which would run in the committing connection, is turned off).
The busy timeout matters only when another process writes to the file (``make purge``).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

CHECKPOINT_EVERY = 500  # changed rows; SQLite's default is every 1000 pages of log
BUSY_TIMEOUT_SECONDS = 2.0


class SQLiteFile:
    def __init__(self, path: Path, db: sqlite3.Connection) -> None:
        self._path = path
        self._db: sqlite3.Connection | None = db
        self._checkpointer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checkpoint")
        self._checkpoint_db: sqlite3.Connection | None = None  # the worker thread's own
        self._checkpoint: asyncio.Future[None] | None = None
        self._changes_at_checkpoint = 0

    @classmethod
    def open(
        cls,
        path: Path,
        setup: Callable[[sqlite3.Connection], None],
        fsync_each_commit: bool = False,
    ) -> SQLiteFile:
        """Open (creating it, readable by this user only) and run ``setup`` (the schema)."""
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Closed off the loop (below), hence usable from another thread.
        db = sqlite3.connect(
            path, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False
        )
        try:
            db.execute("PRAGMA journal_mode=WAL")
            # Without an fsync per commit, a power cut or OS crash (not a process crash or
            # restart) can lose the last commits before a checkpoint.
            db.execute(f"PRAGMA synchronous={'FULL' if fsync_each_commit else 'NORMAL'}")
            db.execute("PRAGMA wal_autocheckpoint=0")
            # A deleted row's bytes are overwritten, not left in free pages ("forget" means it).
            db.execute("PRAGMA secure_delete=ON")
            setup(db)
            for file in (path, *_journals(path)):
                if file.exists():
                    file.chmod(0o600)
        except BaseException:
            db.close()
            raise
        return cls(path, db)

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError(f"{self._path.name} is closed")
        return self._db

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` now, then a checkpoint in the background if enough has changed."""
        result = fn(*args)
        if (
            self._db is not None
            and self._db.total_changes - self._changes_at_checkpoint >= CHECKPOINT_EVERY
            and (self._checkpoint is None or self._checkpoint.done())
        ):
            self._changes_at_checkpoint = self._db.total_changes
            self._checkpoint = asyncio.get_running_loop().run_in_executor(
                self._checkpointer, self._checkpoint_now
            )
        return result

    async def scrub(self) -> None:
        """After an erasure: the write-ahead log copied into the file (where secure_delete has
        zeroed what was deleted) and cut to nothing, so no earlier version of a deleted row
        stays in it. Off the loop, on the checkpoint's own thread."""
        if self._checkpoint is not None:
            await asyncio.gather(self._checkpoint, return_exceptions=True)
        self._changes_at_checkpoint = self.db.total_changes
        self._checkpoint = asyncio.get_running_loop().run_in_executor(
            self._checkpointer, self._checkpoint_now, "TRUNCATE"
        )
        await self._checkpoint

    def _checkpoint_now(self, mode: str = "PASSIVE") -> None:
        if self._checkpoint_db is None:
            self._checkpoint_db = sqlite3.connect(
                self._path, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS
            )
            self._checkpoint_db.execute("PRAGMA secure_delete=ON")
        try:
            # PASSIVE copies what it can without waiting for, or blocking, anyone; TRUNCATE
            # (after an erasure) waits for readers, copies everything and empties the log.
            self._checkpoint_db.execute(f"PRAGMA wal_checkpoint({mode})")
        except sqlite3.Error:
            pass  # the next one copies the rest; the log is intact meanwhile

    async def close(self) -> None:
        if self._checkpoint is not None:
            await asyncio.gather(self._checkpoint, return_exceptions=True)
        loop = asyncio.get_running_loop()
        if self._checkpoint_db is not None:
            await loop.run_in_executor(self._checkpointer, self._checkpoint_db.close)
            self._checkpoint_db = None
        self._checkpointer.shutdown(wait=True)
        if self._db is not None:
            # The last connection to close checkpoints the whole log (with an fsync) on its
            # own: off the loop, too.
            db, self._db = self._db, None
            await asyncio.to_thread(db.close)


def _journals(path: Path) -> tuple[Path, Path]:
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
