"""bot/'s store on SQLite and on Redis: the same contract, so the switch is settings only."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.messages import Button
from bot.open_stores import ReconnectingStore, StoreUnavailable, open_store, open_tracker_admin
from bot.people import Address, Admission, SQLiteStore
from bot.people_redis import RedisStore, RedisTrackerAdmin, connect, person_key
from bot.ratelimit import Verdict
from bot.settings import Settings
from bot.tracker_admin import SQLiteTrackerAdmin
from scripts.redis_server import RedisServer


@pytest.fixture(params=["sqlite", "redis"])
async def store(request, tmp_path: Path) -> AsyncIterator[object]:
    if request.param == "sqlite":
        store = await SQLiteStore.open(tmp_path / "bot.db")
    else:
        server = request.getfixturevalue("redis_server")
        store = await RedisStore.open(server.url, ttl_seconds=3600)
    yield store
    await store.close()


async def test_the_mapping_and_buttons_round_trip(store):
    assert await store.address("p1") is None
    assert await store.offered("p1") == ()
    await store.set_offered("p1", [Button("Yes", "/affirm")])  # unknown person: nothing kept
    assert await store.offered("p1") == ()
    await store.admit("p1", "telegram", "12345", 100.0, 20)
    assert await store.address("p1") == Address("telegram", "12345")
    buttons = (Button("Yes", "/affirm"), Button("Instagram", '/inform{"platform":"instagram"}'))
    await store.set_offered("p1", buttons)
    assert await store.offered("p1") == buttons
    await store.admit("p1", "telegram", "12345", 200.0, 20)
    assert await store.offered("p1") == buttons  # a later turn keeps the buttons


async def test_the_rate_limit_spends_and_refills_alike(store):
    verdicts = [(await store.admit("p1", "widget", "s", 0.0, 3)).verdict for _ in range(5)]
    assert verdicts == [
        Verdict.ALLOWED,
        Verdict.ALLOWED,
        Verdict.ALLOWED,
        Verdict.REFUSED,
        Verdict.REFUSED_QUIETLY,
    ]
    # One token back per 20 s.
    assert (await store.admit("p1", "widget", "s", 20.0, 3)).verdict is Verdict.ALLOWED


async def test_turns_at_once_spend_one_bucket_exactly(store):
    """One person's 40 messages at once (SQLite: one statement each, queued together on the
    connection's thread; Redis: one script each): exactly the limit gets through, and one is
    told so."""
    admissions = await asyncio.gather(
        *(store.admit("p1", "widget", "s", 0.0, 20) for _ in range(40))
    )
    verdicts = [admission.verdict for admission in admissions]
    assert verdicts.count(Verdict.ALLOWED) == 20
    assert verdicts.count(Verdict.REFUSED) == 1
    assert verdicts.count(Verdict.REFUSED_QUIETLY) == 19


async def test_admit_records_the_person_spends_a_token_and_reads_the_language(store):
    first = await store.admit("p1", "telegram", "12345", 100.0, 2)
    assert first == Admission(Verdict.ALLOWED, None, False, new=True)
    assert await store.address("p1") == Address("telegram", "12345")
    assert await store.inactive_since(150.0) == ["p1"]
    await store.set_language("p1", "cy", True)
    second = await store.admit("p1", "widget", "s", 200.0, 2)
    assert second == Admission(Verdict.ALLOWED, "cy", True)
    assert await store.address("p1") == Address("widget", "s")
    assert await store.inactive_since(150.0) == []
    # Two a minute, full again at 200 s and now both spent.
    assert (await store.admit("p1", "widget", "s", 200.0, 2)).verdict is Verdict.ALLOWED
    assert (await store.admit("p1", "widget", "s", 200.0, 2)).verdict is Verdict.REFUSED
    assert (await store.admit("p1", "widget", "s", 200.0, 2)).verdict is Verdict.REFUSED_QUIETLY
    # Forgotten, the person's next turn begins a new conversation (bot.statistics counts it).
    await store.delete("p1")
    assert (await store.admit("p1", "widget", "s", 300.0, 2)).new


async def test_retention_finds_the_inactive_and_delete_removes_everything(store):
    await store.admit("old", "widget", "a", 100.0, 20)
    await store.set_offered("old", [Button("Yes", "/affirm")])
    await store.admit("new", "widget", "b", 500.0, 20)
    assert await store.inactive_since(300.0) == ["old"]
    await store.delete("old")
    assert await store.address("old") is None
    assert await store.offered("old") == ()
    assert await store.inactive_since(1000.0) == ["new"]


async def test_redis_keys_expire_by_themselves_and_hold_only_the_pseudonym(redis_server):
    store = await RedisStore.open(redis_server.url, ttl_seconds=86400)
    client = connect(redis_server.url)
    try:
        await store.admit("p1", "telegram", "12345", 100.0, 20)
        assert 86000 < await client.ttl(person_key("p1")) <= 86400
        assert sorted(await client.keys("*")) == ["aic:active", "aic:person:p1"]
    finally:
        await store.close()
        await client.aclose()


async def test_two_replicas_share_one_bucket(redis_server):
    """Two bot/ processes, one person, 40 messages at once: exactly the limit gets through."""
    first = await RedisStore.open(redis_server.url)
    second = await RedisStore.open(redis_server.url)
    try:
        admissions = await asyncio.gather(
            *(store.admit("p1", "widget", "s", 0.0, 20) for store in [first, second] * 20)
        )
        verdicts = [admission.verdict for admission in admissions]
        assert verdicts.count(Verdict.ALLOWED) == 20
        assert verdicts.count(Verdict.REFUSED) == 1
    finally:
        await first.close()
        await second.close()


async def test_the_redis_tracker_admin_deletes_and_purges_rasa_trackers(redis_server):
    client = connect(redis_server.url)
    admin = RedisTrackerAdmin.from_url(redis_server.url)
    try:
        for sender, last in [("gone", 100.0), ("kept", 900.0), ("also-gone", 50.0)]:
            tracker = {"sender_id": sender, "events": [{"event": "user", "timestamp": last}]}
            await client.set(f"tracker:{sender}", json.dumps(tracker))
        await client.set("aic:person:x", "not a tracker")
        assert await admin.delete("also-gone") == 1
        assert await admin.delete("also-gone") == 0
        assert await admin.purge_inactive(500.0) == 1
        assert sorted(await client.keys("*")) == ["aic:person:x", "tracker:kept"]
    finally:
        await admin.close()
        await client.aclose()


async def test_the_sqlite_tracker_admin_purges_old_conversations(tmp_path: Path):
    import sqlite3

    path = tmp_path / "tracker.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, timestamp REAL)")
    db.executemany(
        "INSERT INTO events (sender_id, timestamp) VALUES (?, ?)",
        [("old", 10.0), ("old", 20.0), ("mixed", 10.0), ("mixed", 600.0)],
    )
    db.commit()
    db.close()
    assert await SQLiteTrackerAdmin(path).purge_inactive(500.0) == 2
    rows = sqlite3.connect(path).execute("SELECT sender_id FROM events").fetchall()
    assert rows == [("mixed",), ("mixed",)]


async def test_the_settings_choose_the_stores(tmp_path: Path, redis_server):
    sqlite = Settings(data_dir=tmp_path / "var", pseudonym_secret=b"x" * 32)
    store = await open_store(sqlite)
    assert store.name == "sqlite" and store.is_open
    await store.close()
    assert isinstance(open_tracker_admin(sqlite), SQLiteTrackerAdmin)

    env = {
        "AIC_REDIS_URL": redis_server.url,
        "AIC_TRACKER_REDIS_URL": redis_server.url,
        "AIC_PSEUDONYM_SECRET": "7d" * 20,
        "AIC_RETENTION_HOURS": "2",
    }
    settings = Settings.from_env(env)
    assert settings.retention_seconds == 7200
    store = await open_store(settings)
    assert store.name == "redis" and store.is_open
    await store.close()
    admin = open_tracker_admin(settings)
    assert isinstance(admin, RedisTrackerAdmin)
    await admin.close()


async def test_a_store_down_at_start_is_opened_once_it_is_back(tmp_path: Path):
    server = RedisServer(tmp_path / "redis")  # not started yet
    settings = Settings(redis_url=server.url, pseudonym_secret=b"x" * 32)
    store = await open_store(settings)
    assert isinstance(store, ReconnectingStore) and not store.is_open
    with pytest.raises(StoreUnavailable):
        await store.admit("p1", "widget", "s", 1.0, 20)
    server.start()
    try:
        for _ in range(40):
            try:
                await store.admit("p1", "widget", "s", 1.0, 20)
                break
            except StoreUnavailable:
                await asyncio.sleep(0.1)
        assert await store.address("p1") == Address("widget", "s")
        server.stop()
        with pytest.raises(StoreUnavailable):
            await store.address("p1")  # down again: an error the caller can answer, no crash
        server.start()
        for _ in range(40):
            try:
                await store.address("p1")
                break
            except StoreUnavailable:
                await asyncio.sleep(0.1)
        assert await store.address("p1") == Address("widget", "s")  # kept in its AOF
    finally:
        await store.close()
        server.stop()


async def test_a_sqlite_folder_that_cannot_be_written_is_retried(tmp_path: Path):
    blocker = tmp_path / "var"
    blocker.write_text("a file where the data folder should be")
    store = await open_store(Settings(data_dir=blocker, pseudonym_secret=b"x" * 32))
    assert not store.is_open
    with pytest.raises(StoreUnavailable):
        await store.admit("p1", "widget", "s", 1.0, 20)
    blocker.unlink()
    await asyncio.sleep(1.1)
    await store.admit("p1", "widget", "s", 1.0, 20)
    assert store.is_open
    await store.close()
