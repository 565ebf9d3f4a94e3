"""The case store: what the desk and the doors rely on, and what a restart must keep."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.handoff.store import (
    HANDLER,
    LIVE,
    NOTICE,
    REFERRED,
    USER,
    WAITING,
    SQLiteCaseStore,
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


async def test_two_processes_claiming_through_the_same_file_one_wins(tmp_path: Path):
    path = tmp_path / "handoff.db"
    one, two = await SQLiteCaseStore.open(path), await SQLiteCaseStore.open(path)
    try:
        case = await new_case(one)
        results = await asyncio.gather(one.claim(case.id, "a", 1.0), two.claim(case.id, "b", 1.0))
        assert sorted(results) == [False, True]
    finally:
        await one.close()
        await two.close()


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


async def test_a_restart_loses_nothing(tmp_path: Path):
    path = tmp_path / "handoff.db"
    store = await SQLiteCaseStore.open(path)
    case = await new_case(store)
    await store.add_message(case.id, USER, "kept", 1.0)
    await store.close()
    store = await SQLiteCaseStore.open(path)
    try:
        assert [m.text for m in await store.messages(case.id)] == ["kept"]
        assert (await store.open_case_for("p1")).reference == case.reference
    finally:
        await store.close()


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
