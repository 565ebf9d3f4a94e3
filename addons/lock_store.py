"""Rasa's Redis lock store with every change to a lock made atomically.

Rasa 3.6's ``RedisLockStore`` issues a ticket by reading the conversation's lock, adding the
ticket and writing the lock back, with nothing stopping another Rasa server from doing the
same in between: two servers given one person's messages at once could both get the same
ticket, both process their message, and the second tracker saved overwrite the first (a lost
message; tests/scale/test_two_replicas.py caught it). Its clean-up also deletes the lock after
checking that nobody waits, so a ticket issued in between vanished and its message failed.

Here each of those read-modify-writes runs in a Redis transaction on the lock's key (WATCH,
then MULTI/EXEC, again from the read if another server changed the key meanwhile). Same keys
and values as Rasa's. Use it in endpoints.yml as ``type: addons.lock_store.AtomicRedisLockStore``
with the same settings as ``type: redis``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

T = TypeVar("T")
# What a change does to the lock: the lock to keep (None deletes it) and what to return.
Change = Callable[[TicketLock | None], tuple[TicketLock | None, T]]


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        # Rasa passes a custom lock store its endpoint; ``type: redis`` gets its fields.
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url, **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _change(self, conversation_id: str, change: Change[T]) -> T:
        key = self.key_prefix + conversation_id

        def attempt(pipe: Any) -> T:
            raw = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(raw)) if raw else None
            kept, result = change(lock)
            pipe.multi()
            if kept is None:
                pipe.delete(key)
            else:
                pipe.set(key, kept.dumps())
            return result

        return self.red.transaction(attempt, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, issue)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._change(conversation_id, _finish(ticket_number, delete_if_idle=False))

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        self._change(conversation_id, _finish(ticket_number, delete_if_idle=True))


def _finish(ticket_number: int, delete_if_idle: bool) -> Change[None]:
    def finish(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
        if lock is None:
            return None, None
        lock.remove_ticket_for(ticket_number)
        if delete_if_idle and not lock.is_someone_waiting():
            return None, None
        return lock, None

    return finish
