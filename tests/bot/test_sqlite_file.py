from __future__ import annotations

import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from bot import sqlite_file
from bot.sqlite_file import SQLiteFile


def _schema(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)")


def _open_descriptors(path: Path) -> list[str]:
    """This process's open files that are ``path`` or its journal and log."""
    fds = Path("/proc/self/fd")
    targets = [os.readlink(fd) for fd in fds.iterdir() if fd.is_symlink()]
    return [t for t in targets if t.startswith(str(path))]


def _insert(db: sqlite3.Connection, n: int) -> None:
    db.execute("INSERT INTO t VALUES (?)", (n,))


async def test_statements_run_on_the_loop_and_checkpoints_on_a_worker_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(sqlite_file, "CHECKPOINT_EVERY", 10)
    path = tmp_path / "data" / "x.db"
    file = SQLiteFile.open(path, _schema)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert file.db.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    assert file.db.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL

    threads: list[str] = []
    checkpoint_now = file._checkpoint_now

    def recorded_checkpoint() -> None:
        threads.append(threading.current_thread().name)
        checkpoint_now()

    monkeypatch.setattr(file, "_checkpoint_now", recorded_checkpoint)
    size_before = path.stat().st_size
    for n in range(9):
        file.run(_insert, file.db, n)
    assert file._checkpoint is None  # nothing copied yet: every row is still in the log
    file.run(_insert, file.db, 9)
    assert file._checkpoint is not None
    await file._checkpoint
    assert threads and threads[0].startswith("checkpoint")
    assert path.stat().st_size > size_before  # the log's pages are in the database file now
    await file.close()

    reopened = SQLiteFile.open(path, _schema)
    assert reopened.db.execute("SELECT count(*) FROM t").fetchone() == (10,)
    await reopened.close()
    with pytest.raises(RuntimeError):
        reopened.db  # noqa: B018


async def test_a_durable_file_fsyncs_each_commit(tmp_path: Path):
    file = SQLiteFile.open(tmp_path / "x.db", _schema, fsync_each_commit=True)
    assert file.db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    await file.close()


async def test_a_failed_setup_leaves_nothing_open(tmp_path: Path):
    def broken(db: sqlite3.Connection) -> None:
        db.execute("NOT SQL")

    path = tmp_path / "x.db"
    with pytest.raises(sqlite3.OperationalError):
        SQLiteFile.open(path, broken)
    assert _open_descriptors(path) == []  # the connection was closed, not left behind
