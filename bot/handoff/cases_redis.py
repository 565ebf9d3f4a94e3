"""The hand-off's cases, messages, desk accounts and sessions in Redis (``AIC_REDIS_URL``), so
several bot/ replicas share one desk: a case opened through one replica is claimed through
another, and whichever replica a person or a handler reaches sees the same case.

Same methods and the same meaning as ``SQLiteCaseStore`` (the contract tests in
tests/handoff/test_store.py run against both). Keys, all under ``aic:handoff:``:

- ``case:<id>`` a hash per case; ``ref:<reference>`` -> id (SET NX keeps references unique);
  ``person:<pseudonym>`` the ids of that person's cases (for routing and /forget);
- ``waiting:<queue>`` and ``waiting`` sorted sets of waiting case ids by creation time (the
  queue, places in it, the wait limit); ``live:<queue>`` the live ones; ``cases`` every id by
  creation time (retention);
- ``message:<id>`` a hash per message; ``messages:<case id>`` the case's message ids in order;
  ``undelivered`` ids of messages for the person not yet delivered;
- ``audit:<case id>`` the case's audit record, a list of JSON entries (deleted with the case);
- ``account:<name>``, ``accounts``, ``session:<token hash>``, ``sessions:<name>``, ``sessions``;
- ``login:<keyed hash>`` failed logins counted under one key (a name with an address, or an
  address), a hash that expires by itself when no longer counted.

Every change that checks a state first (``claim``, ``finish``, ``tell_position``,
``lease_delivery``, creating and deleting cases) is one Lua script, so it is atomic: of two
handlers claiming at once through two replicas, exactly one wins. The scripts reach keys they
derive from the case (its queue, its messages), which a single Redis (as deployed) allows and
Redis Cluster would not. Like bot/'s own Redis store, every Redis failure is ``StoreUnavailable``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import redis.asyncio as aioredis

from bot.handoff.cases import (
    HANDLER_ROLE,
    LOGIN_FAILURES_KEPT_SECONDS,
    OPEN_STATES,
    USER,
    WAITING,
    Account,
    AuditEntry,
    Case,
    CaseMessage,
    DeskSession,
)
from bot.handoff.references import new_reference
from bot.people_redis import connect, translated

PREFIX = "aic:handoff:"
# A desk session's hash also expires by itself this long after the session does.
SESSION_GRACE_SECONDS = 86400

# Deletes one case with everything that points at it. KEYS: none (derived from the prefix).
_DELETE_CASE = """
local function delete_case(prefix, id)
  local key = prefix .. 'case:' .. id
  local fields = redis.call('HMGET', key, 'reference', 'queue', 'pseudonym')
  if not fields[1] then return 0 end
  redis.call('DEL', prefix .. 'ref:' .. fields[1])
  redis.call('ZREM', prefix .. 'waiting:' .. fields[2], id)
  redis.call('ZREM', prefix .. 'waiting', id)
  redis.call('SREM', prefix .. 'live:' .. fields[2], id)
  redis.call('ZREM', prefix .. 'cases', id)
  local person = prefix .. 'person:' .. fields[3]
  redis.call('SREM', person, id)
  if redis.call('SCARD', person) == 0 then redis.call('DEL', person) end
  local messages = prefix .. 'messages:' .. id
  for _, message in ipairs(redis.call('ZRANGE', messages, 0, -1)) do
    redis.call('DEL', prefix .. 'message:' .. message)
    redis.call('ZREM', prefix .. 'undelivered', message)
  end
  redis.call('DEL', messages, key, prefix .. 'audit:' .. id)
  return 1
end
"""

# ARGV: prefix, id, reference, then the case's fields as name, value pairs.
_CREATE_CASE = """
local prefix, id, reference = ARGV[1], ARGV[2], ARGV[3]
if redis.call('SET', prefix .. 'ref:' .. reference, id, 'NX') == false then return 0 end
local key = prefix .. 'case:' .. id
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', key, 'id', id, 'reference', reference, unpack(fields))
local case = redis.call('HMGET', key, 'pseudonym', 'queue', 'state', 'created_at')
redis.call('SADD', prefix .. 'person:' .. case[1], id)
redis.call('ZADD', prefix .. 'cases', case[4], id)
if case[3] == 'waiting' then
  redis.call('ZADD', prefix .. 'waiting:' .. case[2], case[4], id)
  redis.call('ZADD', prefix .. 'waiting', case[4], id)
elseif case[3] == 'live' then
  redis.call('SADD', prefix .. 'live:' .. case[2], id)
end
return 1
"""

# ARGV: prefix, id, handler, now. Only a waiting case can be claimed: exactly one claim wins.
_CLAIM = """
local prefix, id = ARGV[1], ARGV[2]
local key = prefix .. 'case:' .. id
if redis.call('HGET', key, 'state') ~= 'waiting' then return 0 end
local queue = redis.call('HGET', key, 'queue')
redis.call('HSET', key, 'state', 'live', 'handler', ARGV[3], 'claimed_at', ARGV[4])
redis.call('ZREM', prefix .. 'waiting:' .. queue, id)
redis.call('ZREM', prefix .. 'waiting', id)
redis.call('SADD', prefix .. 'live:' .. queue, id)
return 1
"""

# ARGV: prefix, id, new state, now, outcome ('' keeps the old one), then the states it may
# come from.
_FINISH = """
local prefix, id, state = ARGV[1], ARGV[2], ARGV[3]
local key = prefix .. 'case:' .. id
local current = redis.call('HGET', key, 'state')
if not current then return 0 end
local allowed = false
for i = 6, #ARGV do if ARGV[i] == current then allowed = true end end
if not allowed then return 0 end
local queue = redis.call('HGET', key, 'queue')
redis.call('HSET', key, 'state', state, 'ended_at', ARGV[4])
if ARGV[5] ~= '' then redis.call('HSET', key, 'outcome', ARGV[5]) end
redis.call('ZREM', prefix .. 'waiting:' .. queue, id)
redis.call('ZREM', prefix .. 'waiting', id)
redis.call('SREM', prefix .. 'live:' .. queue, id)
if state == 'waiting' then
  local created = redis.call('HGET', key, 'created_at')
  redis.call('ZADD', prefix .. 'waiting:' .. queue, created, id)
  redis.call('ZADD', prefix .. 'waiting', created, id)
elseif state == 'live' then
  redis.call('SADD', prefix .. 'live:' .. queue, id)
end
return 1
"""

# KEYS: the case. ARGV: position.
_TELL_POSITION = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HGET', KEYS[1], 'told_position') == ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'told_position', ARGV[1])
return 1
"""

# KEYS: the case, its message list, the message, the undelivered set. ARGV: the message's
# fields as name, value pairs. A message for a case that is gone (forgotten) is not kept.
_ADD_MESSAGE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local fields = {}
for i = 1, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[3], unpack(fields))
local message = redis.call('HMGET', KEYS[3], 'id', 'sender', 'delivered')
redis.call('ZADD', KEYS[2], message[1], message[1])
if message[2] ~= 'user' and message[3] == '0' then
  redis.call('ZADD', KEYS[4], message[1], message[1])
end
return 1
"""

# KEYS: the message. ARGV: now, lease until.
_LEASE = """
local fields = redis.call('HMGET', KEYS[1], 'delivered', 'lease_until')
if not fields[1] or fields[1] == '1' then return 0 end
if fields[2] and tonumber(fields[2]) > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'lease_until', ARGV[2])
return 1
"""

# KEYS: the message, the undelivered set. ARGV: the message id.
_MARK_DELIVERED = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'delivered', '1') end
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
"""

# ARGV: prefix, reference, the entry. Nothing is kept for a case that is gone (forgotten).
_RECORD = """
local id = redis.call('GET', ARGV[1] .. 'ref:' .. ARGV[2])
if not id then return 0 end
redis.call('RPUSH', ARGV[1] .. 'audit:' .. id, ARGV[3])
return 1
"""

# KEYS: the login keys. ARGV: now, paused until, counted until, seconds a count is kept
# (whole), then each key's limit. A count past its time (by the clock given) starts again;
# EXPIRE deletes it in the end whatever happens.
_LOGIN_FAILED = """
local now = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local old = redis.call('HGET', key, 'expires_at')
  if old and tonumber(old) <= now then redis.call('DEL', key) end
  local failures = redis.call('HINCRBY', key, 'failures', 1)
  local expires, ttl = ARGV[3], tonumber(ARGV[4])
  if failures >= tonumber(ARGV[4 + i]) then
    redis.call('HSET', key, 'failures', 0, 'paused_until', ARGV[2])
    if tonumber(ARGV[2]) > tonumber(expires) then
      expires, ttl = ARGV[2], math.ceil(tonumber(ARGV[2]) - now)
    end
  end
  local kept = redis.call('HGET', key, 'expires_at')
  if not kept or tonumber(kept) < tonumber(expires) then
    redis.call('HSET', key, 'expires_at', expires)
  end
  if redis.call('TTL', key) < ttl then redis.call('EXPIRE', key, ttl) end
end
return 1
"""

# ARGV: prefix, pseudonym.
_DELETE_FOR = (
    _DELETE_CASE
    + """
local deleted = 0
for _, id in ipairs(redis.call('SMEMBERS', ARGV[1] .. 'person:' .. ARGV[2])) do
  deleted = deleted + delete_case(ARGV[1], id)
end
redis.call('DEL', ARGV[1] .. 'person:' .. ARGV[2])
return deleted
"""
)

# ARGV: prefix, cutoff. Cases created before the cutoff that are no longer open.
_PURGE = (
    _DELETE_CASE
    + """
local deleted = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', ARGV[1] .. 'cases', '-inf', '(' .. ARGV[2])) do
  local state = redis.call('HGET', ARGV[1] .. 'case:' .. id, 'state')
  if state ~= 'waiting' and state ~= 'live' then
    deleted = deleted + delete_case(ARGV[1], id)
  end
end
return deleted
"""
)

# Ends every session of an account. ARGV: prefix, username.
_END_SESSIONS = """
local function end_sessions(prefix, username)
  local sessions = prefix .. 'sessions:' .. username
  for _, token in ipairs(redis.call('SMEMBERS', sessions)) do
    redis.call('DEL', prefix .. 'session:' .. token)
    redis.call('ZREM', prefix .. 'sessions', token)
  end
  redis.call('DEL', sessions)
end
"""

# ARGV: prefix, username, force, password hash, created at, role.
_ADD_ACCOUNT = """
local key = ARGV[1] .. 'account:' .. ARGV[2]
if redis.call('EXISTS', key) == 1 then return 0 end
redis.call('HSET', key, 'username', ARGV[2], 'force', ARGV[3], 'password_hash', ARGV[4],
           'created_at', ARGV[5], 'role', ARGV[6])
redis.call('SADD', ARGV[1] .. 'accounts', ARGV[2])
return 1
"""

# ARGV: prefix, username, role. Only an account that exists.
_SET_ROLE = """
local key = ARGV[1] .. 'account:' .. ARGV[2]
if redis.call('EXISTS', key) == 0 then return 0 end
redis.call('HSET', key, 'role', ARGV[3])
return 1
"""

# ARGV: prefix, username, password hash. A new password ends every session of the old one.
_SET_PASSWORD = (
    _END_SESSIONS
    + """
local key = ARGV[1] .. 'account:' .. ARGV[2]
if redis.call('EXISTS', key) == 0 then return 0 end
redis.call('HSET', key, 'password_hash', ARGV[3])
end_sessions(ARGV[1], ARGV[2])
return 1
"""
)

# ARGV: prefix, username.
_REMOVE_ACCOUNT = (
    _END_SESSIONS
    + """
end_sessions(ARGV[1], ARGV[2])
redis.call('SREM', ARGV[1] .. 'accounts', ARGV[2])
return redis.call('DEL', ARGV[1] .. 'account:' .. ARGV[2])
"""
)

# ARGV: prefix, now.
_PURGE_SESSIONS = """
local removed = 0
for _, token in ipairs(redis.call('ZRANGEBYSCORE', ARGV[1] .. 'sessions', '-inf', ARGV[2])) do
  local key = ARGV[1] .. 'session:' .. token
  local username = redis.call('HGET', key, 'username')
  if username then redis.call('SREM', ARGV[1] .. 'sessions:' .. username, token) end
  redis.call('DEL', key)
  redis.call('ZREM', ARGV[1] .. 'sessions', token)
  removed = removed + 1
end
return removed
"""


def _number(raw: str | None) -> float | None:
    return float(raw) if raw not in (None, "") else None


def _case(fields: dict[str, str]) -> Case | None:
    if not fields:
        return None
    return Case(
        id=int(fields["id"]),
        reference=fields["reference"],
        pseudonym=fields["pseudonym"],
        channel=fields["channel"],
        queue=fields["queue"],
        summary=json.loads(fields["summary"]),
        summary_text=fields["summary_text"],
        state=fields["state"],
        handler=fields.get("handler") or None,
        outcome=fields.get("outcome") or None,
        created_at=float(fields["created_at"]),
        claimed_at=_number(fields.get("claimed_at")),
        ended_at=_number(fields.get("ended_at")),
    )


def _message(fields: dict[str, str]) -> CaseMessage | None:
    if not fields:
        return None
    return CaseMessage(
        id=int(fields["id"]),
        case_id=int(fields["case_id"]),
        sender=fields["sender"],
        text=fields["text"],
        at=float(fields["at"]),
        delivered=fields.get("delivered") == "1",
        desk_text=fields.get("desk_text") or None,
    )


def _pairs(mapping: dict[str, Any]) -> list[Any]:
    return [item for name, value in mapping.items() for item in (name, value)]


class RedisCaseStore:
    def __init__(self, client: aioredis.Redis, prefix: str = PREFIX) -> None:
        self._redis = client
        self._prefix = prefix
        self._scripts = {
            name: client.register_script(source)
            for name, source in {
                "create": _CREATE_CASE,
                "claim": _CLAIM,
                "finish": _FINISH,
                "tell_position": _TELL_POSITION,
                "add_message": _ADD_MESSAGE,
                "lease": _LEASE,
                "mark_delivered": _MARK_DELIVERED,
                "delete_for": _DELETE_FOR,
                "purge": _PURGE,
                "add_account": _ADD_ACCOUNT,
                "set_role": _SET_ROLE,
                "set_password": _SET_PASSWORD,
                "remove_account": _REMOVE_ACCOUNT,
                "purge_sessions": _PURGE_SESSIONS,
                "record": _RECORD,
                "login_failed": _LOGIN_FAILED,
            }.items()
        }

    @classmethod
    async def open(cls, url: str) -> RedisCaseStore:
        store = cls(connect(url))
        async with translated():
            await store._redis.ping()
        return store

    def _key(self, *parts: Any) -> str:
        return self._prefix + ":".join(str(part) for part in parts)

    async def _script(self, name: str, keys: Iterable[str] = (), args: Iterable[Any] = ()) -> int:
        async with translated():
            return int(await self._scripts[name](keys=list(keys), args=list(args)))

    async def _cases(self, ids: Iterable[Any]) -> list[Case]:
        async with translated():
            pipe = self._redis.pipeline(transaction=False)
            for case_id in ids:
                pipe.hgetall(self._key("case", case_id))
            rows = await pipe.execute()
        return [case for fields in rows if (case := _case(fields)) is not None]

    async def _messages(self, ids: Iterable[Any]) -> list[CaseMessage]:
        async with translated():
            pipe = self._redis.pipeline(transaction=False)
            for message_id in ids:
                pipe.hgetall(self._key("message", message_id))
            rows = await pipe.execute()
        found = [message for fields in rows if (message := _message(fields)) is not None]
        return sorted(found, key=lambda m: m.id)

    # --- Cases ---------------------------------------------------------------------------------

    async def create_case(
        self,
        *,
        pseudonym: str,
        channel: str,
        queue: str,
        summary: dict[str, Any],
        summary_text: str,
        state: str,
        now: float,
    ) -> Case:
        fields = {
            "pseudonym": pseudonym,
            "channel": channel,
            "queue": queue,
            "summary": json.dumps(summary),
            "summary_text": summary_text,
            "state": state,
            "created_at": repr(now),
        }
        async with translated():
            case_id = int(await self._redis.incr(self._key("ids", "case")))
        for _ in range(20):
            reference = new_reference()
            args = [self._prefix, case_id, reference, *_pairs(fields)]
            if await self._script("create", args=args):
                case = await self.case(case_id)
                assert case is not None
                return case
        raise RuntimeError("no free case reference")

    async def open_case_for(self, pseudonym: str) -> Case | None:
        async with translated():
            ids = await self._redis.smembers(self._key("person", pseudonym))
        cases = [c for c in await self._cases(ids) if c.state in OPEN_STATES]
        return max(cases, key=lambda c: c.id, default=None)

    async def case(self, case_id: int) -> Case | None:
        async with translated():
            return _case(await self._redis.hgetall(self._key("case", case_id)))

    async def by_reference(self, reference: str) -> Case | None:
        async with translated():
            case_id = await self._redis.get(self._key("ref", reference))
        return await self.case(int(case_id)) if case_id is not None else None

    async def queue(self, queue: str, handler: str | None = None) -> list[Case]:
        """The queue's waiting cases, oldest first, then the live ones ``handler`` holds."""
        async with translated():
            waiting = await self._redis.zrange(self._key("waiting", queue), 0, -1)
            live = await self._redis.smembers(self._key("live", queue)) if handler else set()
        cases = [
            c
            for c in await self._cases([*waiting, *live])
            if c.state == WAITING or c.handler == handler
        ]
        return sorted(cases, key=lambda c: (c.created_at, c.id))

    async def position(self, case: Case) -> int:
        async with translated():
            waiting = await self._redis.zrange(
                self._key("waiting", case.queue), 0, -1, withscores=True
            )
        return sum(
            1
            for member, created in waiting
            if created < case.created_at or (created == case.created_at and int(member) <= case.id)
        )

    async def claim(self, case_id: int, handler: str, now: float) -> bool:
        """Exactly one handler wins: the script only claims a case that is still waiting."""
        return await self._script("claim", args=[self._prefix, case_id, handler, repr(now)]) == 1

    async def finish(
        self,
        case_id: int,
        from_states: tuple[str, ...],
        state: str,
        now: float,
        outcome: str | None = None,
    ) -> bool:
        args = [self._prefix, case_id, state, repr(now), outcome or "", *from_states]
        return await self._script("finish", args=args) == 1

    async def waiting_since(self, cutoff: float) -> list[Case]:
        async with translated():
            ids = await self._redis.zrangebyscore(self._key("waiting"), "-inf", f"({cutoff!r}")
        return [c for c in await self._cases(ids) if c.state == WAITING]

    async def tell_position(self, case_id: int, position: int) -> bool:
        return await self._script("tell_position", [self._key("case", case_id)], [position]) == 1

    # --- Messages ------------------------------------------------------------------------------

    async def add_message(
        self,
        case_id: int,
        sender: str,
        text: str,
        now: float,
        delivered: bool = False,
        desk_text: str | None = None,
    ) -> CaseMessage:
        async with translated():
            message_id = int(await self._redis.incr(self._key("ids", "message")))
        fields = {
            "id": message_id,
            "case_id": case_id,
            "sender": sender,
            "text": text,
            "at": repr(now),
            "delivered": "1" if delivered else "0",
            "desk_text": desk_text or "",
        }
        keys = [
            self._key("case", case_id),
            self._key("messages", case_id),
            self._key("message", message_id),
            self._key("undelivered"),
        ]
        if not await self._script("add_message", keys, _pairs(fields)):
            raise LookupError("no such case")  # forgotten meanwhile: nothing is kept
        return CaseMessage(message_id, case_id, sender, text, now, delivered, desk_text)

    async def messages(self, case_id: int) -> list[CaseMessage]:
        async with translated():
            ids = await self._redis.zrange(self._key("messages", case_id), 0, -1)
        return await self._messages(ids)

    async def messages_for(self, pseudonym: str, after: int) -> list[CaseMessage]:
        async with translated():
            cases = await self._redis.smembers(self._key("person", pseudonym))
            pipe = self._redis.pipeline(transaction=False)
            for case_id in cases:
                pipe.zrangebyscore(self._key("messages", case_id), f"({after}", "+inf")
            ids = [message_id for found in await pipe.execute() for message_id in found]
        return await self._messages(ids)

    async def undelivered(self) -> list[tuple[Case, CaseMessage]]:
        """Messages for people that were stored but not yet sent (e.g. bot/ stopped between)."""
        async with translated():
            ids = await self._redis.zrange(self._key("undelivered"), 0, -1)
        result = []
        for message in await self._messages(ids):
            if message.sender == USER:
                continue
            case = await self.case(message.case_id)
            if case is not None:
                result.append((case, message))
        return result

    async def lease_delivery(self, message_id: int, now: float, seconds: float) -> bool:
        keys = [self._key("message", message_id)]
        return await self._script("lease", keys, [repr(now), repr(now + seconds)]) == 1

    async def mark_delivered(self, message_id: int) -> None:
        # Only an existing message is marked: a forgotten one must not come back as a stub.
        keys = [self._key("message", message_id), self._key("undelivered")]
        await self._script("mark_delivered", keys, [message_id])

    # --- Audit ---------------------------------------------------------------------------------

    async def record(
        self, reference: str, actor: str, action: str, at: float, detail: str | None = None
    ) -> None:
        """Adds to the case's audit record; nothing when the case is gone (forgotten)."""
        entry = json.dumps({"actor": actor, "action": action, "at": at, "detail": detail})
        await self._script("record", args=[self._prefix, reference, entry])

    async def audit(self, reference: str) -> list[AuditEntry]:
        async with translated():
            case_id = await self._redis.get(self._key("ref", reference))
            if case_id is None:
                return []
            entries = await self._redis.lrange(self._key("audit", case_id), 0, -1)
        return [AuditEntry(reference, **json.loads(entry)) for entry in entries]

    # --- Deletion ------------------------------------------------------------------------------

    async def delete_for(self, pseudonym: str) -> int:
        """/forget: every case of this person, with its messages and audit record."""
        return await self._script("delete_for", args=[self._prefix, pseudonym])

    async def purge(self, cutoff: float) -> int:
        """Retention: cases created before ``cutoff`` that are no longer open, with their
        messages and audit records."""
        return await self._script("purge", args=[self._prefix, repr(cutoff)])

    async def purge_sessions(self, now: float) -> int:
        return await self._script("purge_sessions", args=[self._prefix, repr(now)])

    # --- Accounts and sessions -----------------------------------------------------------------

    async def add_account(
        self,
        username: str,
        force: str,
        password_hash: str,
        now: float,
        role: str = HANDLER_ROLE,
    ) -> None:
        args = [self._prefix, username, force, password_hash, repr(now), role]
        if not await self._script("add_account", args=args):
            raise ValueError(f"account {username} exists already")

    async def account(self, username: str) -> Account | None:
        async with translated():
            fields = await self._redis.hgetall(self._key("account", username))
        if not fields:
            return None
        return Account(
            fields["username"],
            fields["force"],
            fields["password_hash"],
            fields.get("role") or HANDLER_ROLE,
        )

    async def accounts(self) -> list[Account]:
        async with translated():
            names = sorted(await self._redis.smembers(self._key("accounts")))
        found = [await self.account(name) for name in names]
        return [account for account in found if account is not None]

    async def set_role(self, username: str, role: str) -> bool:
        # In a script: a removed account is never brought back as a hash with a role alone.
        return await self._script("set_role", args=[self._prefix, username, role]) == 1

    async def set_password(self, username: str, password_hash: str) -> bool:
        args = [self._prefix, username, password_hash]
        return await self._script("set_password", args=args) == 1

    async def remove_account(self, username: str) -> bool:
        return await self._script("remove_account", args=[self._prefix, username]) == 1

    async def create_session(
        self, token_hash: str, username: str, csrf: str, expires_at: float
    ) -> None:
        key = self._key("session", token_hash)
        # Expiry in Redis too, a day after the session's own end: nothing outlives it for long
        # even if no purge runs. The session itself ends at expires_at (checked on every use).
        ttl = max(int(expires_at - time.time()), 0) + SESSION_GRACE_SECONDS
        async with translated():
            pipe = self._redis.pipeline(transaction=True)
            pipe.hset(
                key, mapping={"username": username, "csrf": csrf, "expires_at": repr(expires_at)}
            )
            pipe.expire(key, ttl)
            pipe.sadd(self._key("sessions", username), token_hash)
            pipe.zadd(self._key("sessions"), {token_hash: expires_at})
            await pipe.execute()

    async def session(self, token_hash: str, now: float) -> DeskSession | None:
        async with translated():
            fields = await self._redis.hgetall(self._key("session", token_hash))
            if not fields or float(fields["expires_at"]) <= now:
                return None
            force, role = await self._redis.hmget(
                self._key("account", fields["username"]), "force", "role"
            )
        if force is None:
            return None
        return DeskSession(
            fields["username"],
            force,
            fields["csrf"],
            float(fields["expires_at"]),
            role or HANDLER_ROLE,
        )

    async def delete_session(self, token_hash: str) -> None:
        key = self._key("session", token_hash)
        async with translated():
            username = await self._redis.hget(key, "username")
            pipe = self._redis.pipeline(transaction=True)
            pipe.delete(key)
            pipe.zrem(self._key("sessions"), token_hash)
            if username:
                pipe.srem(self._key("sessions", username), token_hash)
            await pipe.execute()

    # --- Failed logins -------------------------------------------------------------------------
    # Each key's hash expires by itself once it is no longer counted: no purge needed.

    async def login_paused(self, keys: Sequence[str], now: float) -> bool:
        async with translated():
            pipe = self._redis.pipeline(transaction=False)
            for key in keys:
                pipe.hmget(self._key("login", key), "paused_until", "expires_at")
            found = await pipe.execute()
        return any(
            until is not None and float(until) > now and float(expires) > now
            for until, expires in found
        )

    async def login_failed(
        self, limits: Mapping[str, int], now: float, pause_seconds: float
    ) -> None:
        """One more failure under each key; a key reaching its limit is paused for
        ``pause_seconds`` and counts from nothing again."""
        keys = [self._key("login", key) for key in limits]
        args = [
            repr(now),
            repr(now + pause_seconds),
            repr(now + LOGIN_FAILURES_KEPT_SECONDS),
            math.ceil(LOGIN_FAILURES_KEPT_SECONDS),
            *limits.values(),
        ]
        await self._script("login_failed", keys, args)

    async def login_succeeded(self, key: str) -> None:
        async with translated():
            await self._redis.delete(self._key("login", key))

    async def close(self) -> None:
        await self._redis.aclose()
