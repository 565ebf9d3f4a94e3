"""addons.lock_store: Rasa's Redis lock store, each change to a lock atomic across servers."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import EndpointConfig

from addons.lock_store import AtomicRedisLockStore

CONVERSATION = "a-pseudonym"


def servers(redis_server, count: int) -> list[AtomicRedisLockStore]:
    """One lock store per simulated Rasa server, as endpoints.yml would create it."""
    config = EndpointConfig(
        url="127.0.0.1",
        type="addons.lock_store.AtomicRedisLockStore",
        port=redis_server.port,
        db=1,
    )
    return [LockStore.create(config) for _ in range(count)]


def test_rasa_creates_it_from_the_endpoints_file(redis_server):
    [store] = servers(redis_server, 1)
    assert isinstance(store, AtomicRedisLockStore)
    assert store.red.connection_pool.connection_kwargs["port"] == redis_server.port


def test_servers_issuing_tickets_at_once_never_get_the_same_one(redis_server):
    stores = servers(redis_server, 8)
    with ThreadPoolExecutor(8) as pool:
        tickets = list(pool.map(lambda i: stores[i % 8].issue_ticket(CONVERSATION, 60), range(200)))
    assert sorted(tickets) == list(range(200))


def test_clean_up_keeps_the_lock_while_someone_waits_and_deletes_it_after(redis_server):
    first, second = servers(redis_server, 2)
    mine = first.issue_ticket(CONVERSATION, 60)
    theirs = second.issue_ticket(CONVERSATION, 60)
    first.cleanup(CONVERSATION, mine)
    lock = second.get_lock(CONVERSATION)
    assert lock is not None and not lock.is_locked(theirs)  # their turn now
    second.cleanup(CONVERSATION, theirs)
    assert second.get_lock(CONVERSATION) is None
    assert not first.red.exists(first.key_prefix + CONVERSATION)


def test_expired_tickets_are_dropped(redis_server):
    [store] = servers(redis_server, 1)
    stale = store.issue_ticket(CONVERSATION, 0.05)
    fresh = store.issue_ticket(CONVERSATION, 60)
    time.sleep(0.1)
    store.update_lock(CONVERSATION)
    lock = store.get_lock(CONVERSATION)
    assert lock is not None and [t.number for t in lock.tickets] == [fresh] != [stale]


async def test_two_servers_take_one_conversation_in_turn(redis_server):
    first, second = servers(redis_server, 2)
    held: list[str] = []

    async def turn(store: AtomicRedisLockStore, name: str) -> None:
        async with store.lock(CONVERSATION, wait_time_in_seconds=0.01):
            held.append(f"{name} in")
            await asyncio.sleep(0.1)
            held.append(f"{name} out")

    await asyncio.gather(turn(first, "a"), turn(second, "b"), turn(first, "c"))
    assert [entry.split()[1] for entry in held] == ["in", "out"] * 3
    assert first.get_lock(CONVERSATION) is None
