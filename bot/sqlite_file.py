"""One SQLite file of bot/'s own (bot.db, handoff.db), worked on off the event loop.

Why it is built this way:

- Every statement runs on the connection's own thread (aiosqlite), never on the loop: a
  statement can wait for seconds (the busy timeout while ``make purge`` writes from another
  process, an fsync of handoff.db), and on the loop that wait would stop every other person's
  turn with it.
- Each call is a hop to that thread and back, and its wake-ups cost more than most of bot/'s
  statements take to run. So every call a turn makes is one statement (admitting the turn too:
  see ``bot.people``), and many people's statements may be queued at once: the thread runs them
  back to back on one wake-up (sent one at a time, each waiting for the last, they cost half as
  much CPU again a message under load).
- The thread runs whatever is queued, in order, from any coroutine: a statement queued while
  another coroutine's transaction is open would run inside that transaction (and be rolled
  back with it), and a second ``BEGIN`` would fail. So ``_Turns``: lone statements share the
  connection, a ``transaction`` has it to itself from its ``BEGIN`` to its end (it waits for
  the lone statements already sent, and new ones wait for it). ``BEGIN IMMEDIATE`` keeps a
  transaction whole against another process too.
- SQLite's own checkpoint would run in the committing connection, stalling the statements
  queued behind a commit while it copies the log and fsyncs the file; it is turned off, and a
  second connection (its own thread) checkpoints every ``CHECKPOINT_EVERY`` changed rows, and
  at once after an erasure (``scrub``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

CHECKPOINT_EVERY = 500  # changed rows; SQLite's default is every 1000 pages of log
BUSY_TIMEOUT_SECONDS = 2.0

Setup = Callable[[aiosqlite.Connection], Awaitable[None]]
Parameters = Sequence[Any] | Mapping[str, Any]


class SQLiteFile:
    def __init__(self, path: Path, db: aiosqlite.Connection) -> None:
        self._path = path
        self._db: aiosqlite.Connection | None = db
        self._turns = _Turns()
        self._checkpointer: aiosqlite.Connection | None = None  # opened on first use
        self._checkpointing = asyncio.Lock()
        self._checkpoint: asyncio.Task[None] | None = None  # the last background checkpoint
        self._changes_at_checkpoint = 0
        self._closing = False

    @classmethod
    async def open(cls, path: Path, setup: Setup, fsync_each_commit: bool = False) -> SQLiteFile:
        """Open (creating it, readable by this user only) and run ``setup`` (the schema)."""
        await asyncio.to_thread(_make_private, path)
        db = await connect(path, timeout=BUSY_TIMEOUT_SECONDS)
        try:
            await db.execute_fetchall("PRAGMA journal_mode=WAL")
            # Without an fsync per commit, a power cut or OS crash (not a process crash or
            # restart) can lose the last commits before a checkpoint.
            await db.execute(f"PRAGMA synchronous={'FULL' if fsync_each_commit else 'NORMAL'}")
            await db.execute("PRAGMA wal_autocheckpoint=0")
            # A deleted row's bytes are overwritten, not left in free pages ("forget" means it).
            await db.execute("PRAGMA secure_delete=ON")
            await setup(db)
        except BaseException:
            await db.close()
            raise
        return cls(path, db)

    def _connection(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError(f"{self._path.name} is closed")
        return self._db

    async def fetchall(self, sql: str, parameters: Parameters = ()) -> list[tuple]:
        """The rows of one statement (a ``RETURNING`` one too: it runs to its end)."""
        async with self._turns.lone():
            rows = await self._connection().execute_fetchall(sql, parameters)
        self._changed()
        return list(rows)

    async def fetchone(self, sql: str, parameters: Parameters = ()) -> tuple | None:
        rows = await self.fetchall(sql, parameters)
        return rows[0] if rows else None

    async def change(self, sql: str, parameters: Parameters = ()) -> int:
        """Run one statement that changes rows; how many it changed."""
        async with self._turns.lone():
            cursor = await self._connection().execute(sql, parameters)
        self._changed()
        return cursor.rowcount

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """The connection, for the statements of one transaction and nothing else meanwhile.
        ``BEGIN IMMEDIATE`` takes the file's write lock at once, so a read-modify-write is
        atomic even if another process (``make purge``) shares the file."""
        async with self._turns.alone():
            db = self._connection()
            try:
                await db.execute("BEGIN IMMEDIATE")
                yield db
                await db.commit()
            except BaseException:
                # Also when cancelled: queued after what was sent, and a no-op if the BEGIN
                # failed or the COMMIT went through, so nobody inherits an open transaction.
                await db.rollback()
                raise
        self._changed()

    def _changed(self) -> None:
        """A checkpoint in the background once enough rows have changed since the last."""
        if self._db is None:
            return
        changes = self._db.total_changes
        if changes - self._changes_at_checkpoint >= CHECKPOINT_EVERY and (
            self._checkpoint is None or self._checkpoint.done()
        ):
            self._changes_at_checkpoint = changes
            self._checkpoint = asyncio.create_task(
                self._checkpoint_now("PASSIVE"), name=f"checkpoint {self._path.name}"
            )

    async def scrub(self) -> None:
        """After an erasure: the write-ahead log copied into the file (where secure_delete has
        zeroed what was deleted) and cut to nothing, so no earlier version of a deleted row
        stays in it."""
        self._changes_at_checkpoint = self._connection().total_changes
        await self._checkpoint_now("TRUNCATE")

    async def _checkpoint_now(self, mode: str) -> None:
        async with self._checkpointing:
            if self._closing:
                return  # the last connection to close checkpoints the whole log itself
            try:
                if self._checkpointer is None:
                    self._checkpointer = await connect(self._path, timeout=BUSY_TIMEOUT_SECONDS)
                    await self._checkpointer.execute("PRAGMA secure_delete=ON")
                # PASSIVE copies what it can without waiting for, or blocking, anyone; TRUNCATE
                # (after an erasure) waits for readers, copies everything and empties the log.
                await self._checkpointer.execute_fetchall(f"PRAGMA wal_checkpoint({mode})")
            except sqlite3.Error:
                pass  # the next one copies the rest; the log is intact meanwhile

    async def close(self) -> None:
        if self._db is None or self._closing:
            return
        self._closing = True
        try:
            if self._checkpoint is not None:
                await asyncio.gather(self._checkpoint, return_exceptions=True)
            async with self._checkpointing:
                if self._checkpointer is not None:
                    checkpointer, self._checkpointer = self._checkpointer, None
                    await checkpointer.close()
        finally:
            # Whatever happened above: a connection left open keeps its thread, and with it
            # the process, running. After everything under way; the last connection to close
            # checkpoints the whole log (with an fsync) and deletes it.
            async with self._turns.alone():
                db, self._db = self._db, None
                if db is not None:
                    await db.close()


class _Turns:
    """Who may send statements on the connection: lone statements, any number at once (each is
    whole on its own), or one transaction alone. A transaction waiting keeps new lone
    statements back, so a stream of them cannot hold it off."""

    def __init__(self) -> None:
        self._alone = asyncio.Lock()  # held by the transaction that has, or waits for, the turn
        self._lone = 0
        self._no_lone = asyncio.Event()
        self._no_lone.set()

    @asynccontextmanager
    async def lone(self) -> AsyncIterator[None]:
        async with self._alone:  # no wait unless a transaction has or wants the connection
            self._lone += 1
            self._no_lone.clear()
        try:
            yield
        finally:
            self._lone -= 1
            if self._lone == 0:
                self._no_lone.set()

    @asynccontextmanager
    async def alone(self) -> AsyncIterator[None]:
        async with self._alone:
            await self._no_lone.wait()  # the lone statements sent before it have run
            yield


def connect(database: str | Path, **kwargs: Any) -> aiosqlite.Connection:
    """A connection as bot/ opens every one, to its own files and to Rasa's tracker.db: in
    autocommit, each transaction begun and ended explicitly."""
    # aiosqlite logs every call at DEBUG with its parameters: pseudonyms, Telegram chat ids,
    # the words people write to the desk. bot/'s logs hold none of those, at any level.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
    return aiosqlite.connect(database, isolation_level=None, **kwargs)


def _make_private(path: Path) -> None:
    """The folder this user's alone (0700), the file too (0600) before SQLite writes a byte in
    it: SQLite gives its -wal and -shm files the database file's mode."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for file in (path, *_journals(path)):
        if file.exists():
            file.chmod(0o600)  # a file from before, or made under another umask


def _journals(path: Path) -> tuple[Path, Path]:
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
