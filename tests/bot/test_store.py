from __future__ import annotations

import random
import sqlite3
import stat
from pathlib import Path

from bot.messages import Button
from bot.people import Address, SQLiteStore
from bot.ratelimit import Bucket, Verdict, take


async def test_state_survives_a_restart(tmp_path: Path):
    path = tmp_path / "bot.db"
    store = await SQLiteStore.open(path)
    await store.admit("p1", "telegram", "42", now=10.0, per_minute=2)
    await store.set_offered("p1", [Button("Yes", "/affirm"), Button("Insta", '/inform{"p":"i"}')])
    await store.admit("p1", "telegram", "42", now=10.0, per_minute=2)
    await store.close()

    store = await SQLiteStore.open(path)
    assert await store.address("p1") == Address("telegram", "42")
    assert await store.offered("p1") == (
        Button("Yes", "/affirm"),
        Button("Insta", '/inform{"p":"i"}'),
    )
    third = await store.admit("p1", "telegram", "42", now=10.0, per_minute=2)
    assert third.verdict is Verdict.REFUSED  # the bucket survived too
    await store.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_delete_removes_everything_about_one_person(store):
    await store.admit("p1", "telegram", "42", now=1.0, per_minute=20)
    await store.admit("p2", "widget", "abc", now=1.0, per_minute=20)
    await store.set_offered("p1", [Button("Yes", "/affirm")])
    await store.delete("p1")
    assert await store.address("p1") is None
    assert await store.offered("p1") == ()
    assert await store.address("p2") == Address("widget", "abc")


async def test_each_turn_updates_address_and_activity(store):
    await store.admit("p1", "telegram", "42", now=1.0, per_minute=20)
    await store.admit("p1", "telegram", "43", now=5.0, per_minute=20)
    assert await store.address("p1") == Address("telegram", "43")
    assert await store.inactive_since(5.0) == []
    assert await store.inactive_since(6.0) == ["p1"]


async def test_unknown_people_have_nothing(store):
    assert await store.address("nobody") is None
    assert await store.offered("nobody") == ()


async def test_admit_spends_tokens_as_take_does(tmp_path: Path):
    """The one statement that admits a turn (bot/people.py) is bot.ratelimit.take() in SQL:
    the same verdicts and the same bucket, over bursts, pauses, a clock stepping back and a
    limit that changes."""
    path = tmp_path / "bot.db"
    store = await SQLiteStore.open(path)
    draw = random.Random(27)
    buckets: dict[str, Bucket | None] = {"p1": None, "p2": None}
    now = 1_000.0
    for _ in range(600):
        now += draw.choice([0.0, 0.0, 0.3, 1.7, 4.0, 45.0, -2.5])
        who = draw.choice(["p1", "p2"])
        per_minute = draw.choice([1, 3, 20, 20, 20])
        buckets[who], expected = take(buckets[who], now, per_minute)
        admission = await store.admit(who, "widget", who, now, per_minute)
        assert admission.verdict is expected
    await store.close()
    db = sqlite3.connect(path)
    try:
        for who, bucket in buckets.items():
            row = db.execute(
                "SELECT rate_tokens, rate_updated, rate_told > 0 FROM people WHERE pseudonym=?",
                (who,),
            ).fetchone()
            assert bucket is not None and row == (bucket.tokens, bucket.updated_at, bucket.told)
    finally:
        db.close()
