"""Limits per client address, for the routes anyone can call: one script on one address cannot
flood bot/ by sending a fresh session id with each request, nor fill a force's hand-off queue.

An address is never kept as it is: its key is a pseudonym of it (HMAC with bot/'s secret), held
only while its bucket is not full again. On one bot/ the buckets live in memory; with Redis they
are shared by every replica (one script a take). If Redis cannot be reached the request goes
through: a limit must not turn into an outage.
"""

from __future__ import annotations

import contextvars
import logging
import math
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.pseudonym import pseudonym
from bot.ratelimit import Bucket, refill

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    """``capacity`` takes, refilled evenly over ``period_seconds``."""

    name: str
    capacity: int
    period_seconds: float


class AddressLimits(Protocol):
    async def take(self, limit: Limit, address: str, now: float) -> bool: ...

    async def close(self) -> None: ...


def address_key(secret: bytes, address: str) -> str:
    return pseudonym(secret, "address", address)[:32]


class MemoryAddressLimits:
    """One process's buckets. Full buckets are dropped as they are met, so memory follows the
    addresses active within a period, not every address ever seen."""

    PRUNE_EVERY = 1000

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        # (limit's name, address key) -> (bucket, the limit's period)
        self._buckets: dict[tuple[str, str], tuple[Bucket, float]] = {}
        self._takes = 0

    async def take(self, limit: Limit, address: str, now: float) -> bool:
        key = (limit.name, address_key(self._secret, address))
        bucket = self._buckets.get(key, (None, 0.0))[0]
        tokens = refill(bucket, now, limit.capacity, limit.period_seconds)
        allowed = tokens >= 1.0
        self._buckets[key] = (
            Bucket(tokens - 1.0 if allowed else tokens, now),
            limit.period_seconds,
        )
        self._takes += 1
        if self._takes % self.PRUNE_EVERY == 0:
            self._prune(now)
        return allowed

    def _prune(self, now: float) -> None:
        """A bucket untouched for a whole period is full again: the same as no bucket."""
        for key, (bucket, period) in list(self._buckets.items()):
            if now - bucket.updated_at >= period:
                del self._buckets[key]

    async def close(self) -> None:
        self._buckets.clear()


# KEYS[1]: the bucket. ARGV: capacity, period (s), now (s). A hash of tokens and time, which
# expires once it would be full again: nothing is kept of a quiet address.
_TAKE = """
local capacity = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
local elapsed = math.max(0, now - at)
tokens = math.min(capacity, tokens + elapsed * capacity / period)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(period))
return allowed
"""


class RedisAddressLimits:
    def __init__(self, client: aioredis.Redis, secret: bytes) -> None:
        self._client = client
        self._secret = secret
        self._take = client.register_script(_TAKE)

    @classmethod
    def from_url(cls, url: str, secret: bytes) -> RedisAddressLimits:
        return cls(aioredis.Redis.from_url(url, socket_timeout=2.0), secret)

    async def take(self, limit: Limit, address: str, now: float) -> bool:
        key = f"aic:limit:{limit.name}:{address_key(self._secret, address)}"
        try:
            allowed = await self._take(
                keys=[key], args=[limit.capacity, limit.period_seconds, repr(now)]
            )
        except (RedisError, OSError) as error:
            log.warning("address limit not checked (%s): request let through", type(error).__name__)
            return True
        return bool(allowed)

    async def close(self) -> None:
        await self._client.aclose()


# The address the request being handled came from, for the limits deeper in (the hand-off's
# cases per address); unset for Telegram, whose requests come from Telegram's own servers.
REQUESTING_ADDRESS: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "requesting_address", default=None
)


def requests_limit(per_minute: int) -> Limit:
    return Limit("requests", capacity=per_minute, period_seconds=60.0)


def cases_limit(per_hour: int) -> Limit:
    return Limit("cases", capacity=per_hour, period_seconds=3600.0)


def open_address_limits(redis_url: str | None, secret: bytes) -> AddressLimits:
    """Shared by every replica on Redis; this process's own otherwise (one bot/ on SQLite)."""
    if redis_url:
        return RedisAddressLimits.from_url(redis_url, secret)
    return MemoryAddressLimits(secret)


def retry_after(limit: Limit) -> int:
    """Seconds until one more take is allowed, at the most."""
    return max(1, math.ceil(limit.period_seconds / limit.capacity))
