"""Retention: a conversation idle past AIC_RETENTION_HOURS is deleted everywhere, by the purge
inside the running bot/ and by ``python -m bot.purge``."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.appkeys import CONVERSATIONS, STORE
from bot.purge import PURGE_HOOKS, SCHEDULED, purge_now, rewrite_redis_history
from bot.settings import Settings
from scripts.processes import BOT_PYTHON, ROOT, base_env
from tests.bot.conftest import SECRET

DAY = 24 * 3600


def make_tracker(path: Path, rows: list[tuple[str, float]]) -> None:
    """A tracker store with Rasa's SQL schema (the columns that matter here)."""
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id TEXT,"
        " type_name TEXT, timestamp REAL, data TEXT)"
    )
    db.executemany(
        "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, 'user', ?, '{}')",
        rows,
    )
    db.commit()
    db.close()


def tracker_senders(path: Path) -> set[str]:
    db = sqlite3.connect(path)
    try:
        return {row[0] for row in db.execute("SELECT sender_id FROM events")}
    finally:
        db.close()


@pytest.fixture
def settings(tmp_path: Path, domain_path: Path, fake_rasa) -> Settings:
    _, rasa_url = fake_rasa
    return Settings(
        rasa_url=rasa_url,
        rasa_timeout=2.0,
        data_dir=tmp_path / "var",
        pseudonym_secret=SECRET,
        tracker_db=tmp_path / "tracker.db",
        domain_path=domain_path,
    )


async def test_the_purge_deletes_idle_conversations_everywhere_and_keeps_the_rest(settings):
    app = create_app(settings)
    app[SCHEDULED] = False  # purged by hand below, at a chosen time
    async with TestClient(TestServer(app)) as client:
        app = client.app
        conversations = app[CONVERSATIONS]
        hook_times: list[float] = []

        async def desk_retention(now: float) -> int:
            hook_times.append(now)
            return 3

        app[PURGE_HOOKS].append(desk_retention)

        await conversations.handle("telegram", 111, text="an old conversation")
        await conversations.handle("widget", "new-session", text="a recent one")
        idle, active = (
            conversations.pseudonym("telegram", 111),
            conversations.pseudonym("widget", "new-session"),
        )
        now = time.time()
        make_tracker(
            settings.tracker_db,
            [(idle, now - 5), (active, now - 5), ("orphan", now - 2 * DAY), ("recent", now)],
        )
        store = app[STORE]
        # Make the first one idle for 25 hours.
        await store.admit(idle, "telegram", "111", now - 25 * 3600, 20)

        report = await purge_now(app, now=now)

        assert (report.people, report.other) == (1, 3)
        assert report.tracker_rows == 1  # the orphan bot/ never knew
        assert hook_times == [now]
        assert await store.address(idle) is None
        assert await store.offered(idle) == ()
        assert tracker_senders(settings.tracker_db) == {active, "recent"}
        assert await store.address(active) is not None
        # The erased person starts afresh, with a full rate-limit bucket.
        replies = await conversations.handle("telegram", 111, text="hello again")
        assert replies[0].text == "echo: hello again"


async def test_the_purge_runs_on_a_schedule_inside_bot(settings):
    quick = replace(settings, retention_hours=0.5 / 3600, purge_interval_minutes=0.3 / 60)
    async with TestClient(TestServer(create_app(quick))) as client:
        conversations = client.app[CONVERSATIONS]
        await conversations.handle("widget", "s1", text="hi")
        who = conversations.pseudonym("widget", "s1")
        assert await client.app[STORE].address(who) is not None
        for _ in range(50):
            await asyncio.sleep(0.1)
            if await client.app[STORE].address(who) is None:
                break
        assert await client.app[STORE].address(who) is None


async def test_a_purge_that_fails_is_retried_and_does_not_stop_bot(settings, caplog):
    quick = replace(settings, purge_interval_minutes=0.2 / 60)
    async with TestClient(TestServer(create_app(quick))) as client:

        async def broken(now: float) -> int:
            raise sqlite3.OperationalError("database is locked")

        client.app[PURGE_HOOKS].append(broken)
        await asyncio.sleep(0.5)
        assert (await client.get("/healthz")).status == 200
    failures = [r for r in caplog.records if r.getMessage() == "purge failed: OperationalError"]
    assert len(failures) >= 2


def test_make_purge_deletes_what_is_past_retention(tmp_path: Path, domain_path: Path):
    data = tmp_path / "var"
    tracker = tmp_path / "tracker.db"
    env = base_env(
        AIC_DATA_DIR=str(data),
        AIC_TRACKER_DB=str(tracker),
        AIC_PSEUDONYM_SECRET=SECRET.decode(),
        AIC_DOMAIN_PATH=str(domain_path),
        AIC_RETENTION_HOURS="1",
    )

    async def seed() -> None:
        from bot.people import SQLiteStore

        store = await SQLiteStore.open(data / "bot.db")
        await store.admit("idle", "widget", "x", time.time() - 2 * 3600, 20)
        await store.admit("active", "widget", "y", time.time(), 20)
        await store.close()

    asyncio.run(seed())
    make_tracker(tracker, [("idle", time.time() - 2 * 3600), ("active", time.time())])
    result = subprocess.run(
        [str(BOT_PYTHON), "-m", "bot.purge"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Purged 1 inactive conversations" in result.stdout
    assert tracker_senders(tracker) == {"active"}
    db = sqlite3.connect(data / "bot.db")
    assert [row[0] for row in db.execute("SELECT pseudonym FROM people")] == ["active"]
    db.close()


async def test_a_purge_rewrites_redis_history_so_deleted_words_leave_the_disk(redis_server):
    client = aioredis.Redis.from_url(redis_server.url)
    try:
        await client.set("tracker:someone", "they have my photos")
        await client.delete("tracker:someone")
        await client.set("tracker:other", "still here")

        def on_disk() -> bytes:
            return b"".join(
                path.read_bytes()
                for path in redis_server.work.rglob("*")
                if path.is_file() and "aof" in path.name
            )

        assert b"my photos" in on_disk()  # an append-only file keeps the deleted write
        assert await rewrite_redis_history(redis_server.url)
        for _ in range(100):
            info = await client.info("persistence")
            if not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"]:
                if b"my photos" not in on_disk():
                    break
            await asyncio.sleep(0.1)
        assert b"my photos" not in on_disk()
        assert await client.get("tracker:other") == b"still here"
        # Nothing written since: no rewrite for nothing.
        assert not await rewrite_redis_history(redis_server.url)
    finally:
        await client.aclose()
