"""bot/'s state and Rasa's trackers on Redis, for several bot/ and Rasa replicas (deploy/).

``RedisStore`` has the same methods as ``bot.people.SQLiteStore``: one hash per pseudonym
(``aic:person:<pseudonym>``: door, address, last activity, buttons offered, rate-limit bucket)
and one sorted set of pseudonyms by last activity (``aic:active``) for retention. Each hash
also expires by itself after the retention period, so nothing outlives it even if no purge
ever runs. The rate-limit bucket is updated by a Lua script, atomically, so two replicas cannot
both spend the same person's last token.

``RedisTrackerAdmin`` deletes a sender's tracker from Rasa's ``RedisTrackerStore`` (key
``tracker:<sender_id>``, Rasa's default prefix) for /forget and retention.

Every Redis failure surfaces as ``StoreUnavailable`` (a ``ConnectionError``); the client
reconnects by itself on the next call once Redis is back.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.messages import Button
from bot.people import Address, Admission
from bot.ratelimit import Verdict

log = logging.getLogger(__name__)

PERSON_PREFIX = "aic:person:"
ACTIVE_KEY = "aic:active"
TRACKER_PREFIX = "tracker:"  # Rasa's DEFAULT_REDIS_TRACKER_STORE_KEY_PREFIX
LOCK_PREFIX = "lock:"  # Rasa's DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX

# Buttons are only recorded for someone bot/ knows (as SQLite's UPDATE does nothing for a
# missing row): a press must never create a half person.
_SET_IF_EXISTS = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'offered', ARGV[1])
end
"""

# bot.ratelimit.take() inside Redis, so replicas spending one person's tokens at once cannot
# both take the last one (a WATCH/MULTI loop livelocks under that contention). The store
# contract tests (tests/scale/test_stores.py) check it gives the verdicts SQLite's statement
# gives, which tests/bot/test_store.py holds to take().
_SPEND = """
local now = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local saved = redis.call('HMGET', KEYS[1], 'rate_tokens', 'rate_updated', 'rate_told')
local tokens, updated, told = capacity, now, false
if saved[1] and saved[2] then
  tokens, updated, told = tonumber(saved[1]), tonumber(saved[2]), saved[3] == '1'
end
tokens = math.min(capacity, tokens + math.max(0, now - updated) * capacity / 60.0)
local verdict
if tokens >= 1.0 then
  tokens, told, verdict = tokens - 1.0, false, 0
elseif told then
  verdict = 2
else
  told, verdict = true, 1
end
redis.call('HSET', KEYS[1], 'rate_tokens', tostring(tokens), 'rate_updated', tostring(now),
           'rate_told', told and '1' or '0')
"""
# Store.admit: record the address and last activity, spend a token, read the language, in one
# round trip. KEYS: the person's hash, the activity set; ARGV: now, per_minute, channel,
# address, pseudonym, ttl.
_ADMIT = (
    """
local new = redis.call('EXISTS', KEYS[1]) == 0 and 1 or 0
redis.call('HSET', KEYS[1], 'channel', ARGV[3], 'address', ARGV[4], 'last_active', ARGV[1])
if tonumber(ARGV[6]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[6]) end
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[5])
"""
    + _SPEND
    + """
local language = redis.call('HMGET', KEYS[1], 'language', 'language_chosen')
return {verdict, language[1], language[2], new}
"""
)
_VERDICTS = (Verdict.ALLOWED, Verdict.REFUSED, Verdict.REFUSED_QUIETLY)


class StoreUnavailable(ConnectionError):
    """bot/'s store (or a tracker store) cannot be reached; the person gets the safety text."""


def connect(url: str) -> aioredis.Redis:
    """A client that fails fast when Redis is down and reconnects by itself when it is back."""
    return aioredis.Redis.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=2,
        socket_timeout=5,
        health_check_interval=30,
    )


@asynccontextmanager
async def translated() -> AsyncIterator[None]:
    try:
        yield
    except RedisError as error:
        # The error's text can name the host; the kind is enough for the logs.
        raise StoreUnavailable(f"redis: {type(error).__name__}") from None


def person_key(pseudonym: str) -> str:
    return PERSON_PREFIX + pseudonym


class RedisStore:
    def __init__(self, client: aioredis.Redis, ttl_seconds: float | None = None) -> None:
        self._redis = client
        self._ttl = int(ttl_seconds) if ttl_seconds else None
        self._set_if_exists = client.register_script(_SET_IF_EXISTS)
        self._admit = client.register_script(_ADMIT)

    @classmethod
    async def open(cls, url: str, ttl_seconds: float | None = None) -> RedisStore:
        store = cls(connect(url), ttl_seconds)
        async with translated():
            await store._redis.ping()
        return store

    async def admit(
        self, pseudonym: str, channel: str, address: str, now: float, per_minute: int
    ) -> Admission:
        args = [repr(now), per_minute, channel, address, pseudonym, self._ttl or 0]
        async with translated():
            code, language, chosen, new = await self._admit(
                keys=[person_key(pseudonym), ACTIVE_KEY], args=args
            )
        return Admission(_VERDICTS[int(code)], language or None, chosen == "1", new == 1)

    async def address(self, pseudonym: str) -> Address | None:
        async with translated():
            channel, address = await self._redis.hmget(
                person_key(pseudonym), ["channel", "address"]
            )
        return Address(channel, address) if channel is not None and address is not None else None

    async def set_offered(self, pseudonym: str, buttons: Sequence[Button]) -> None:
        encoded = json.dumps([[b.title, b.payload] for b in buttons])
        async with translated():
            await self._set_if_exists(keys=[person_key(pseudonym)], args=[encoded])

    async def offered(self, pseudonym: str) -> tuple[Button, ...]:
        async with translated():
            raw = await self._redis.hget(person_key(pseudonym), "offered")
        if not raw:
            return ()
        return tuple(Button(title, payload) for title, payload in json.loads(raw))

    async def language(self, pseudonym: str) -> tuple[str | None, bool]:
        async with translated():
            language, chosen = await self._redis.hmget(
                person_key(pseudonym), "language", "language_chosen"
            )
        return (language or None), chosen == "1"

    async def set_language(self, pseudonym: str, language: str, chosen: bool) -> None:
        async with translated():
            # As set_offered: only for someone bot/ already knows.
            if await self._redis.exists(person_key(pseudonym)):
                await self._redis.hset(
                    person_key(pseudonym),
                    mapping={"language": language, "language_chosen": "1" if chosen else "0"},
                )

    async def delete(self, pseudonym: str) -> None:
        async with translated():
            pipe = self._redis.pipeline(transaction=True)
            pipe.delete(person_key(pseudonym))
            pipe.zrem(ACTIVE_KEY, pseudonym)
            await pipe.execute()

    async def inactive_since(self, cutoff: float) -> list[str]:
        async with translated():
            return list(await self._redis.zrangebyscore(ACTIVE_KEY, "-inf", f"({cutoff}"))

    async def close(self) -> None:
        await self._redis.aclose()


class RedisTrackerAdmin:
    """Deletes trackers from Rasa's RedisTrackerStore."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._redis = client

    @classmethod
    def from_url(cls, url: str) -> RedisTrackerAdmin:
        return cls(connect(url))

    async def delete(self, sender_id: str) -> int:
        async with translated():
            return int(await self._redis.delete(TRACKER_PREFIX + sender_id))

    async def purge_inactive(self, cutoff: float) -> int:
        """Delete trackers whose last event is older than ``cutoff``.

        With ``record_exp`` set (deploy/endpoints.redis.yml) Redis expires them by itself; this
        catches trackers written without an expiry, and those bot/ no longer knows about.
        """
        deleted = 0
        async with translated():
            async for key in self._redis.scan_iter(match=TRACKER_PREFIX + "*", count=500):
                raw = await self._redis.get(key)
                if raw is None:
                    continue
                if _last_timestamp(raw) < cutoff:
                    deleted += int(await self._redis.delete(key))
        return deleted

    async def close(self) -> None:
        await self._redis.aclose()


def _last_timestamp(raw: str) -> float:
    try:
        events = json.loads(raw).get("events") or []
        return max(float(e.get("timestamp") or 0) for e in events) if events else 0.0
    except (ValueError, TypeError, AttributeError):
        return 0.0  # unreadable: nothing worth keeping
