"""What the desk keeps about handlers, through the app on each store: each case's audit record
(who opened, claimed, wrote to and closed it; never what anyone wrote), shown to handlers of its
force and gone with the case; and failed logins counted in the store, so a pause holds on every
replica, under keyed hashes only."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.appkeys import CONVERSATIONS
from bot.handoff import HANDOFF
from bot.handoff.cases_redis import RedisCaseStore
from bot.handoff.cases_sqlite import SQLiteCaseStore, store_path
from bot.handoff.desk import LOGIN_FAILURES_BEFORE_PAUSE
from bot.handoff.passwords import hash_password
from bot.settings import Settings
from tests.handoff.apps import PASSWORD, SESSION, Desk
from tests.handoff.test_desk_login import ATTACKER, HANDLER, sent_from
from tests.handoff.test_flow import feed, widget_say

HANDLER_WORDS, PERSON_WORDS = "Hello, I'm Sam from Gwent.", "my secret words"


@pytest.fixture(params=["sqlite", "redis"])
def on_store(request, settings: Settings) -> Settings:
    if request.param == "redis":
        return replace(settings, redis_url=request.getfixturevalue("redis_server").url)
    return settings


async def add_accounts(settings: Settings, **forces: str) -> None:
    if settings.redis_url:
        store = await RedisCaseStore.open(settings.redis_url)
    else:
        store = await SQLiteCaseStore.open(store_path(settings))
    for name, force in forces.items():
        await store.add_account(name, force, hash_password(PASSWORD), 0)
    await store.close()


def trail(case: dict) -> list[tuple]:
    return [(e["by"], e["action"], e["detail"]) for e in case["audit"]]


async def test_the_audit_record_follows_the_case_and_goes_with_it(on_store, rasa):
    await add_accounts(on_store, alice="gwent", dai="dorset")
    async with TestClient(TestServer(create_app(on_store))) as client:
        handoff = client.app[HANDOFF]
        await widget_say(client, "I want a person")
        alice, dai = Desk(client, "alice"), Desk(client, "dai")
        assert await alice.login() == 200 and await dai.login() == 200
        [brief] = (await alice.get("queue"))[1]["cases"]
        reference = brief["reference"]
        assert trail((await alice.get(f"cases/{reference}"))[1]) == [
            ("system", "opened", "waiting")
        ]

        assert (await alice.post(f"cases/{reference}/claim"))[0] == 200
        await widget_say(client, PERSON_WORDS)
        for _ in range(2):
            status, _ = await alice.post(f"cases/{reference}/messages", {"text": HANDLER_WORDS})
            assert status == 200
        status, closed = await alice.post(f"cases/{reference}/close", {"outcome": "advice given"})
        assert status == 200
        assert trail(closed) == [
            ("system", "opened", "waiting"),
            ("alice", "claimed", None),
            ("alice", "wrote", None),
            ("alice", "wrote", None),
            ("alice", "closed", "advice given"),
        ]
        times = [e["at"] for e in closed["audit"]]
        assert times == sorted(times) and times[0] == brief["created_at"]
        # Never what anyone wrote, nor who the person is.
        written = json.dumps(closed["audit"])
        pseudonym = client.app[CONVERSATIONS].pseudonym("widget", SESSION)
        for private in (HANDLER_WORDS, PERSON_WORDS, "secret", "Sam", pseudonym, SESSION):
            assert private not in written
        # Another force sees nothing of it.
        assert (await dai.get(f"cases/{reference}"))[0] == 404

        # Retention deletes the ended case with its record.
        later = handoff.clock() + on_store.handoff_retention_days * 86400 + 1
        assert await handoff.purge(later) == 1
        assert await handoff.cases.audit(reference) == []

        # /forget deletes an open case with its record.
        await widget_say(client, "a person please")
        [case] = await handoff.cases.queue("gwent")
        assert [e.action for e in await handoff.cases.audit(case.reference)] == ["opened"]
        assert (await feed(client))["active"] is True
        response = await client.post("/widget/api/forget", json={"session": SESSION})
        assert response.status == 200
        assert await handoff.cases.audit(case.reference) == []


async def test_the_person_leaving_and_the_wait_running_out_are_recorded(on_store, rasa):
    on_store = replace(on_store, handoff_wait_minutes=0.0001)
    async with TestClient(TestServer(create_app(on_store))) as client:
        handoff = client.app[HANDOFF]
        await widget_say(client, "a person please")
        [first] = await handoff.cases.queue("gwent")
        await widget_say(client, payload="/handoff_leave")
        await widget_say(client, "a person please again")
        [second] = await handoff.cases.queue("gwent")
        started = handoff.clock()
        handoff.clock = lambda: started + 1
        await handoff.tick()
        assert [(e.actor, e.action) for e in await handoff.cases.audit(first.reference)] == [
            ("system", "opened"),
            ("person", "left"),
        ]
        assert [(e.actor, e.action) for e in await handoff.cases.audit(second.reference)] == [
            ("system", "opened"),
            ("system", "referred"),
        ]


async def kept_login_keys(settings: Settings) -> list[str]:
    if settings.redis_url:
        client = aioredis.Redis.from_url(settings.redis_url, decode_responses=True)
        try:
            return await client.keys("aic:handoff:login:*")
        finally:
            await client.aclose()
    with sqlite3.connect(store_path(settings)) as db:
        return [key for (key,) in db.execute("SELECT key FROM login_failures")]


async def test_a_login_pause_holds_on_every_replica_and_keeps_no_name_or_address(on_store, rasa):
    await add_accounts(on_store, alice="gwent")
    on_store = replace(on_store, trusted_proxies=("127.0.0.1",))
    # Two bot/ replicas on one store (on SQLite: two processes on one file).
    other = replace(on_store, data_dir=on_store.data_dir / "2") if on_store.redis_url else on_store
    one, two = (
        TestClient(TestServer(create_app(on_store))),
        TestClient(TestServer(create_app(other))),
    )
    async with one, two:
        for number in range(LOGIN_FAILURES_BEFORE_PAUSE):
            replica = (one, two)[number % 2]
            status = await Desk(replica, "alice").login("wrong", **sent_from(ATTACKER))
            assert status == 401
        for replica in (one, two):
            assert await Desk(replica, "alice").login(**sent_from(ATTACKER)) == 429
            # The handler, elsewhere, with the right password.
            assert await Desk(replica, "alice").login(**sent_from(HANDLER)) == 200
        keys = await kept_login_keys(on_store)
        assert len(keys) == 2  # the name with the address, the address
        assert not [k for k in keys if ATTACKER in k or "alice" in k]
