"""The case store: what the desk and the doors rely on, and what a restart must keep. Every test
runs on SQLite and on a real Redis (tests/handoff/conftest.py): the switch is settings only."""

from __future__ import annotations

import asyncio

from bot.handoff.cases import (
    HANDLER,
    LEFT,
    LIVE,
    LOGIN_FAILURES_KEPT_SECONDS,
    NOTICE,
    QUEUE,
    REFERRED,
    USER,
    WAITING,
)

SUMMARY = {"incident_type": "webcam", "paid": "no"}


async def new_case(cases, who="p1", queue="gwent", now=100.0, state=WAITING):
    return await cases.create_case(
        pseudonym=who,
        channel="telegram",
        queue=queue,
        summary=SUMMARY,
        summary_text="What happened: a video call was recorded",
        state=state,
        now=now,
    )


async def test_a_case_is_found_by_person_and_by_reference(cases):
    case = await new_case(cases)
    assert (await cases.open_case_for("p1")) == case
    assert (await cases.by_reference(case.reference)) == case
    assert case.summary == SUMMARY
    assert await cases.open_case_for("someone else") is None


async def test_the_queue_is_per_force_and_oldest_first(cases):
    first = await new_case(cases, "a", now=1)
    second = await new_case(cases, "b", now=2)
    await new_case(cases, "c", queue="dorset", now=0)
    assert [c.reference for c in await cases.queue("gwent")] == [first.reference, second.reference]
    assert await cases.position(first) == 1
    assert await cases.position(second) == 2


async def test_two_claims_at_once_exactly_one_wins(cases):
    case = await new_case(cases)
    results = await asyncio.gather(*(cases.claim(case.id, f"h{i}", 5.0) for i in range(10)))
    assert results.count(True) == 1
    claimed = await cases.case(case.id)
    assert claimed.state == LIVE and claimed.handler == f"h{results.index(True)}"


async def test_two_processes_claiming_through_one_store_one_wins(open_cases):
    """Two connections to the same file or the same Redis, as two bot/ replicas have."""
    one, two = await open_cases(), await open_cases()
    for round in range(5):
        case = await new_case(one, who=f"p{round}", now=float(round))
        results = await asyncio.gather(
            *(store.claim(case.id, f"h{i}", 1.0) for i in range(4) for store in (one, two))
        )
        assert results.count(True) == 1
        assert (await two.case(case.id)).state == LIVE


async def test_a_live_case_is_in_its_handlers_queue_only(cases):
    case = await new_case(cases)
    await cases.claim(case.id, "alice", 1.0)
    assert [c.reference for c in await cases.queue("gwent", "alice")] == [case.reference]
    assert await cases.queue("gwent", "bob") == []


async def test_finishing_only_from_the_states_given(cases):
    case = await new_case(cases)
    assert not await cases.finish(case.id, (LIVE,), "closed", 3.0, "advice given")
    assert await cases.finish(case.id, (WAITING,), REFERRED, 3.0)
    assert (await cases.case(case.id)).state == REFERRED
    assert await cases.open_case_for("p1") is None


async def test_messages_are_kept_in_order_and_delivery_is_tracked(cases):
    case = await new_case(cases)
    a = await cases.add_message(case.id, USER, "hello", 1.0, delivered=True)
    b = await cases.add_message(case.id, HANDLER, "hi, I'm here", 2.0)
    assert [m.text for m in await cases.messages(case.id)] == ["hello", "hi, I'm here"]
    assert [m.id for _, m in await cases.undelivered()] == [b.id]
    await cases.mark_delivered(b.id)
    assert await cases.undelivered() == []
    assert [m.id for m in await cases.messages_for("p1", a.id)] == [b.id]


async def test_a_restart_loses_nothing(open_cases):
    store = await open_cases()
    case = await new_case(store)
    await store.add_message(case.id, USER, "kept", 1.0)
    await store.close()
    store = await open_cases()
    assert [m.text for m in await store.messages(case.id)] == ["kept"]
    assert (await store.open_case_for("p1")).reference == case.reference


async def test_forget_deletes_the_persons_cases_and_messages(cases):
    case = await new_case(cases)
    await cases.add_message(case.id, USER, "secret", 1.0)
    other = await new_case(cases, "p2")
    assert await cases.delete_for("p1") == 1
    assert await cases.by_reference(case.reference) is None
    assert await cases.messages(case.id) == []
    assert await cases.by_reference(other.reference) is not None


async def test_retention_deletes_old_ended_cases_but_not_open_ones(cases):
    old_referred = await new_case(cases, "a", now=10, state=REFERRED)
    await cases.add_message(old_referred.id, NOTICE, "reference given", 10)
    old_waiting = await new_case(cases, "b", now=10)
    recent = await new_case(cases, "c", now=1000, state=REFERRED)
    assert await cases.purge(cutoff=500) == 1
    assert await cases.by_reference(old_referred.reference) is None
    assert await cases.by_reference(old_waiting.reference) is not None
    assert await cases.by_reference(recent.reference) is not None


async def test_sessions_expire_and_a_new_password_ends_them(cases):
    await cases.add_account("alice", "gwent", "hash", 0)
    await cases.create_session("t1", "alice", "csrf", expires_at=100)
    assert (await cases.session("t1", 50)).force == "gwent"
    assert await cases.session("t1", 100) is None
    await cases.create_session("t2", "alice", "csrf", expires_at=1000)
    await cases.set_password("alice", "new hash")
    assert await cases.session("t2", 50) is None


async def test_finishing_a_waiting_case_takes_it_out_of_the_queue(cases):
    first = await new_case(cases, "a", now=1)
    second = await new_case(cases, "b", now=2)
    third = await new_case(cases, "c", now=3)
    assert await cases.position(third) == 3
    assert await cases.finish(first.id, (WAITING, LIVE), LEFT, 4.0, "person left")
    assert await cases.claim(second.id, "alice", 4.0)
    assert await cases.position(third) == 1
    assert [c.reference for c in await cases.queue("gwent")] == [third.reference]
    assert [c.reference for c in await cases.waiting_since(10)] == [third.reference]
    assert (await cases.case(first.id)).outcome == "person left"
    assert not await cases.claim(first.id, "alice", 5.0)


async def test_the_place_told_is_recorded_once_per_change(cases):
    case = await new_case(cases)
    assert await cases.tell_position(case.id, 2)
    assert not await cases.tell_position(case.id, 2)
    assert await cases.tell_position(case.id, 1)


async def test_a_message_is_leased_to_one_sender_at_a_time(cases):
    case = await new_case(cases)
    message = await cases.add_message(
        case.id, NOTICE, "Mae person wedi ymuno", 1.0, desk_text="A person has joined"
    )
    leases = await asyncio.gather(*(cases.lease_delivery(message.id, 10.0, 30) for _ in range(6)))
    assert leases.count(True) == 1
    assert not await cases.lease_delivery(message.id, 39.0, 30)
    assert await cases.lease_delivery(message.id, 41.0, 30)  # the sender died: taken again
    await cases.mark_delivered(message.id)
    assert not await cases.lease_delivery(message.id, 100.0, 30)
    [stored] = await cases.messages(case.id)
    assert stored.desk_text == "A person has joined" and stored.text == "Mae person wedi ymuno"
    assert stored.delivered


async def test_queue_updates_are_messages_for_the_person(cases):
    case = await new_case(cases)
    update = await cases.add_message(case.id, QUEUE, "You're next", 1.0)
    assert [m.id for _, m in await cases.undelivered()] == [update.id]
    assert [m.sender for m in await cases.messages_for("p1", 0)] == [QUEUE]


async def test_accounts_and_their_sessions(cases):
    await cases.add_account("bob", "dorset", "h1", 0)
    await cases.add_account("alice", "gwent", "h2", 0)
    assert [a.username for a in await cases.accounts()] == ["alice", "bob"]
    assert (await cases.account("alice")).password_hash == "h2"
    await cases.create_session("t1", "alice", "csrf", expires_at=100)
    await cases.create_session("t2", "alice", "csrf", expires_at=1000)
    await cases.delete_session("t2")
    assert await cases.session("t2", 50) is None
    assert await cases.purge_sessions(200) == 1
    assert await cases.session("t1", 50) is None
    await cases.create_session("t3", "bob", "csrf", expires_at=1000)
    assert await cases.remove_account("bob")
    assert await cases.session("t3", 50) is None and await cases.account("bob") is None
    assert not await cases.remove_account("bob")
    assert not await cases.set_password("nobody", "h")


async def test_an_account_is_a_handler_or_a_supervisor_and_a_session_follows_its_role(cases):
    await cases.add_account("hana", "gwent", "h1", 0)
    await cases.add_account("sam", "gwent", "h2", 0, role="supervisor")
    assert (await cases.account("hana")).role == "handler"
    assert [(a.username, a.role) for a in await cases.accounts()] == [
        ("hana", "handler"),
        ("sam", "supervisor"),
    ]
    await cases.create_session("t1", "hana", "csrf", expires_at=1000)
    session = await cases.session("t1", 50)
    assert session.role == "handler" and not session.is_supervisor
    # A change of role holds from the next request of a session already open.
    assert await cases.set_role("hana", "supervisor")
    assert (await cases.session("t1", 50)).is_supervisor
    assert await cases.set_role("hana", "handler")
    assert not (await cases.session("t1", 50)).is_supervisor
    assert not await cases.set_role("nobody", "supervisor")
    assert await cases.account("nobody") is None


async def test_redis_keeps_nothing_of_a_forgotten_or_purged_case(redis_server):
    import redis.asyncio as aioredis

    from bot.handoff.cases_redis import RedisCaseStore

    store = await RedisCaseStore.open(redis_server.url)
    client = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
    try:
        case = await new_case(store, "forget-me")
        await store.add_message(case.id, USER, "secret", 1.0)
        await store.add_message(case.id, HANDLER, "hello", 2.0)
        old = await new_case(store, "old-one", now=1.0, state=REFERRED)
        await store.add_message(old.id, NOTICE, "reference given", 1.0)
        await store.record(case.reference, "alice", "wrote", 2.0)
        await store.record(old.reference, "system", "opened", 1.0, REFERRED)
        assert await store.delete_for("forget-me") == 1
        assert await store.purge(cutoff=50.0) == 1
        keys = await client.keys("*")
        assert [k for k in keys if "forget-me" in k or "old-one" in k] == []
        assert sorted(k for k in keys if not k.startswith("aic:handoff:ids:")) == []
    finally:
        await client.aclose()
        await store.close()


async def test_the_audit_record_is_kept_in_order_and_goes_with_the_case(cases):
    forgotten = await new_case(cases, "forget-me")
    old = await new_case(cases, "old-one", now=1.0, state=REFERRED)
    kept = await new_case(cases, "stays", now=1.0)
    for case in (forgotten, old, kept):
        await cases.record(case.reference, "system", "opened", 1.0, case.state)
    await cases.record(forgotten.reference, "alice", "claimed", 2.0)
    await cases.record(forgotten.reference, "alice", "wrote", 3.0)
    await cases.record(forgotten.reference, "alice", "closed", 4.0, "advice given")
    assert [
        (e.actor, e.action, e.at, e.detail) for e in await cases.audit(forgotten.reference)
    ] == [
        ("system", "opened", 1.0, WAITING),
        ("alice", "claimed", 2.0, None),
        ("alice", "wrote", 3.0, None),
        ("alice", "closed", 4.0, "advice given"),
    ]
    assert {e.reference for e in await cases.audit(forgotten.reference)} == {forgotten.reference}

    assert await cases.delete_for("forget-me") == 1
    assert await cases.audit(forgotten.reference) == []
    # Nothing is recorded for a case that is gone, and nothing comes back with the reference.
    await cases.record(forgotten.reference, "alice", "wrote", 5.0)
    assert await cases.audit(forgotten.reference) == []

    assert await cases.purge(cutoff=50.0) == 1
    assert await cases.audit(old.reference) == []
    assert len(await cases.audit(kept.reference)) == 1  # still open: kept, with its record


async def test_failed_logins_pause_per_key_across_replicas(open_cases):
    one, two = await open_cases(), await open_cases()
    limits = {"pair": 2, "address": 3}
    await one.login_failed(limits, 100.0, 60.0)
    assert not await two.login_paused(["pair", "address"], 100.0)
    await two.login_failed(limits, 101.0, 60.0)  # the second failure, through another replica
    assert await one.login_paused(["pair"], 101.0)
    assert not await one.login_paused(["address", "elsewhere"], 101.0)
    assert await two.login_paused(["elsewhere", "pair"], 160.0)
    assert not await two.login_paused(["pair"], 161.5)  # the pause is over
    # The pause started the pair's count again; the address's went on: one more pauses it.
    await one.login_failed({"other pair": 2, "address": 3}, 170.0, 60.0)
    assert await two.login_paused(["address"], 170.0)
    assert not await two.login_paused(["other pair"], 170.0)
    # A right password clears the pair's count only.
    await one.login_failed({"pair": 2}, 300.0, 60.0)
    await two.login_succeeded("pair")
    await one.login_failed({"pair": 2}, 301.0, 60.0)
    assert not await one.login_paused(["pair"], 301.0)


async def test_login_failures_are_forgotten_when_no_longer_counted(cases):
    await cases.login_failed({"pair": 2}, 100.0, 60.0)
    later = 100.0 + LOGIN_FAILURES_KEPT_SECONDS + 1
    await cases.login_failed({"pair": 2}, later, 60.0)
    assert not await cases.login_paused(["pair"], later)  # the first failure no longer counts


async def test_sqlite_deletes_login_failures_no_longer_counted(tmp_path):
    import sqlite3

    from bot.handoff.cases_sqlite import SQLiteCaseStore

    path = tmp_path / "handoff.db"
    store = await SQLiteCaseStore.open(path)
    try:
        await store.login_failed({"pair": 5, "address": 1}, 100.0, 60.0)
        await store.purge_sessions(100.0 + LOGIN_FAILURES_KEPT_SECONDS - 1)
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT COUNT(*) FROM login_failures").fetchone()[0] == 2
        await store.purge_sessions(100.0 + LOGIN_FAILURES_KEPT_SECONDS)
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT COUNT(*) FROM login_failures").fetchone()[0] == 0
    finally:
        await store.close()


async def test_redis_login_failures_expire_by_themselves(redis_server):
    import redis.asyncio as aioredis

    from bot.handoff.cases_redis import RedisCaseStore

    store = await RedisCaseStore.open(redis_server.url)
    client = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
    try:
        await store.login_failed({"pair": 5, "address": 1}, 100.0, 60.0)
        keys = await client.keys("aic:handoff:login:*")
        assert sorted(keys) == ["aic:handoff:login:address", "aic:handoff:login:pair"]
        for key in keys:
            assert 0 < await client.ttl(key) <= LOGIN_FAILURES_KEPT_SECONDS
    finally:
        await client.aclose()
        await store.close()
