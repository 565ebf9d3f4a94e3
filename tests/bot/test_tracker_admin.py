from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.tracker_admin import SQLiteTrackerAdmin


async def test_delete_removes_only_that_sender(tmp_path: Path):
    path = tmp_path / "tracker.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, data TEXT)")
        db.executemany(
            "INSERT INTO events (sender_id, data) VALUES (?, ?)",
            [("a", "1"), ("a", "2"), ("b", "3")],
        )
    db.close()
    assert await SQLiteTrackerAdmin(path).delete("a") == 2
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT sender_id FROM events").fetchall() == [("b",)]
    db.close()


async def test_a_missing_store_or_table_deletes_nothing(tmp_path: Path):
    assert await SQLiteTrackerAdmin(tmp_path / "absent.db").delete("a") == 0
    assert not (tmp_path / "absent.db").exists()
    sqlite3.connect(tmp_path / "empty.db").close()
    assert await SQLiteTrackerAdmin(tmp_path / "empty.db").delete("a") == 0


@pytest.mark.parametrize("checkpointed", [False, True], ids=["in the log", "in the database"])
async def test_what_was_said_is_gone_from_the_files_too(tmp_path: Path, checkpointed: bool):
    path = tmp_path / "tracker.db"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")  # as Rasa's store (addons/tracker_store.py)
        db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, data TEXT)")
        db.executemany(
            "INSERT INTO events (sender_id, data) VALUES (?, ?)",
            [("a", "my secret words " * 50), ("b", "someone else")],
        )
    if checkpointed:  # the words have moved from the write-ahead log to the database file
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
    assert await SQLiteTrackerAdmin(path).delete("a") == 1
    files = b"".join(f.read_bytes() for f in sorted(tmp_path.glob("tracker.db*")))  # noqa: ASYNC240
    assert b"my secret words" not in files and b"someone else" in files
