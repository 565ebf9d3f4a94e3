from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import sys
import threading
import time
from pathlib import Path

import aiosqlite
import pytest

from bot import sqlite_file
from bot.sqlite_file import SQLiteFile


async def _schema(db: aiosqlite.Connection) -> None:
    await db.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)")
    # Which thread runs a statement: SQLite calls this where the statement runs.
    await db.create_function("thread_id", 0, threading.get_ident)


def _open_descriptors(path: Path) -> list[str]:
    """This process's open files that are ``path`` or its journal and log."""
    fds = Path("/proc/self/fd")
    targets = [os.readlink(fd) for fd in fds.iterdir() if fd.is_symlink()]
    return [t for t in targets if t.startswith(str(path))]


def _sqlite_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if "_connection_worker_thread" in t.name]


async def test_statements_run_off_the_loop_and_checkpoints_on_their_own_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(sqlite_file, "CHECKPOINT_EVERY", 10)
    path = tmp_path / "data" / "x.db"
    file = await SQLiteFile.open(path, _schema)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert await file.fetchone("PRAGMA wal_autocheckpoint") == (0,)
    assert await file.fetchone("PRAGMA synchronous") == (1,)  # NORMAL
    assert await file.fetchone("PRAGMA secure_delete") == (1,)
    (statement_thread,) = await file.fetchone("SELECT thread_id()")
    assert statement_thread != threading.get_ident()  # not the loop's

    size_before = path.stat().st_size
    for n in range(9):
        await file.change("INSERT INTO t VALUES (?)", (n,))
    assert file._checkpoint is None  # nothing copied yet: every row is still in the log
    await file.change("INSERT INTO t VALUES (?)", (9,))
    assert file._checkpoint is not None
    await file._checkpoint
    assert file._checkpointer is not None  # a second connection, with a thread of its own
    assert path.stat().st_size > size_before  # the log's pages are in the database file now
    await file.close()
    assert _open_descriptors(path) == []

    reopened = await SQLiteFile.open(path, _schema)
    assert await reopened.fetchone("SELECT count(*) FROM t") == (10,)
    await reopened.close()
    with pytest.raises(RuntimeError):
        await reopened.fetchone("SELECT count(*) FROM t")


async def test_a_durable_file_fsyncs_each_commit(tmp_path: Path):
    file = await SQLiteFile.open(tmp_path / "x.db", _schema, fsync_each_commit=True)
    assert await file.fetchone("PRAGMA synchronous") == (2,)  # FULL
    await file.close()


async def test_a_failed_setup_leaves_nothing_open(tmp_path: Path):
    async def broken(db: aiosqlite.Connection) -> None:
        await db.execute("NOT SQL")

    path = tmp_path / "x.db"
    threads_before = set(_sqlite_threads())
    with pytest.raises(sqlite3.OperationalError):
        await SQLiteFile.open(path, broken)
    assert _open_descriptors(path) == []  # the connection was closed, not left behind
    for thread in set(_sqlite_threads()) - threads_before:
        thread.join(timeout=2)
        assert not thread.is_alive()  # nor its thread, which would keep the process running


async def test_waiting_for_another_process_does_not_stop_the_loop(tmp_path: Path):
    """``make purge`` (another process) holds the write lock for half a second: a write waits
    for it (the busy timeout) on its own thread while the loop goes on serving others."""
    path = tmp_path / "x.db"
    file = await SQLiteFile.open(path, _schema)
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sqlite3, sys, time\n"
        f"db = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
        "db.execute('BEGIN IMMEDIATE')\n"
        "db.execute('INSERT INTO t VALUES (1)')\n"
        "print('locked', flush=True)\n"
        "time.sleep(0.5)\n"
        "db.execute('COMMIT')\n",
        stdout=asyncio.subprocess.PIPE,
    )
    assert holder.stdout is not None
    try:
        assert await holder.stdout.readline() == b"locked\n"
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        started = time.monotonic()
        await file.change("INSERT INTO t VALUES (2)")
        waited = time.monotonic() - started
        ticker.cancel()
        assert waited > 0.2  # it did wait for the other process
        assert ticks >= waited / 0.01 / 3  # and the loop ran all along
        assert await file.fetchall("SELECT n FROM t ORDER BY n") == [(1,), (2,)]
    finally:
        await holder.wait()
        await file.close()


async def test_a_transaction_has_the_connection_to_itself(tmp_path: Path):
    """A statement sent while a transaction is open waits for its end, so it is neither run
    inside the transaction nor rolled back with it."""
    file = await SQLiteFile.open(tmp_path / "x.db", _schema)
    inside, fail = asyncio.Event(), asyncio.Event()

    async def failing_transaction() -> None:
        async with file.transaction() as db:
            await db.execute("INSERT INTO t VALUES (1)")
            inside.set()
            await fail.wait()
            raise ValueError("something went wrong mid-transaction")

    transaction = asyncio.create_task(failing_transaction())
    await inside.wait()
    lone = asyncio.create_task(file.change("INSERT INTO t VALUES (2)"))
    await asyncio.sleep(0.05)
    assert not lone.done()  # waiting for the transaction to end
    fail.set()
    with pytest.raises(ValueError):
        await transaction
    assert await lone == 1
    assert await file.fetchall("SELECT n FROM t") == [(2,)]
    await file.close()


async def test_a_cancelled_transaction_leaves_none_open(tmp_path: Path):
    file = await SQLiteFile.open(tmp_path / "x.db", _schema)
    inside = asyncio.Event()

    async def interrupted() -> None:
        async with file.transaction() as db:
            await db.execute("INSERT INTO t VALUES (1)")
            inside.set()
            await asyncio.Event().wait()  # never set: cancelled here

    task = asyncio.create_task(interrupted())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with file.transaction() as db:  # a BEGIN inside an open one would fail
        await db.execute("INSERT INTO t VALUES (2)")
    assert await file.fetchall("SELECT n FROM t") == [(2,)]
    await file.close()


async def test_a_scrub_empties_the_log(tmp_path: Path):
    path = tmp_path / "x.db"
    file = await SQLiteFile.open(path, _schema)
    await file.change("INSERT INTO t VALUES (1)")
    wal = path.with_name("x.db-wal")
    assert wal.stat().st_size > 0
    await file.change("DELETE FROM t")
    await file.scrub()
    assert wal.stat().st_size == 0
    await file.close()


async def test_a_transaction_waits_for_the_statements_sent_before_it(tmp_path: Path):
    """Lone statements share the connection; one already sent runs before a transaction
    begins, so a rollback cannot take it either."""
    file = await SQLiteFile.open(tmp_path / "x.db", _schema)

    async def failing_transaction() -> None:
        async with file.transaction() as db:
            await db.execute("INSERT INTO t VALUES (1)")
            raise ValueError("something went wrong mid-transaction")

    lone = [asyncio.create_task(file.change("INSERT INTO t VALUES (?)", (n,))) for n in (2, 3)]
    transaction = asyncio.create_task(failing_transaction())
    later = asyncio.create_task(file.change("INSERT INTO t VALUES (4)"))
    results = await asyncio.gather(*lone, transaction, later, return_exceptions=True)
    assert results[:2] == [1, 1] and isinstance(results[2], ValueError) and results[3] == 1
    assert await file.fetchall("SELECT n FROM t ORDER BY n") == [(2,), (3,), (4,)]
    await file.close()
