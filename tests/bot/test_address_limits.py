"""Limits per client address (bot/address_limits.py): the same contract in memory and on Redis,
shared by replicas on Redis, and no address kept as it is."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import redis.asyncio as aioredis

from bot.address_limits import (
    AddressLimits,
    Limit,
    MemoryAddressLimits,
    RedisAddressLimits,
    address_key,
)

SECRET = b"s" * 32
FIVE_A_MINUTE = Limit("requests", capacity=5, period_seconds=60)
TWO_AN_HOUR = Limit("cases", capacity=2, period_seconds=3600)
Opener = Callable[[], Awaitable[AddressLimits]]


@pytest.fixture(params=["memory", "redis"])
async def open_limits(request) -> AsyncIterator[Opener]:
    opened: list[AddressLimits] = []
    shared = MemoryAddressLimits(SECRET)
    if request.param == "redis":
        server = request.getfixturevalue("redis_server")

    async def open_one() -> AddressLimits:
        limits = (
            RedisAddressLimits.from_url(server.url, SECRET)
            if request.param == "redis"
            else shared  # one process: the same buckets
        )
        opened.append(limits)
        return limits

    yield open_one
    for limits in opened:
        await limits.close()


async def test_a_burst_up_to_the_limit_then_one_more_each_refill(open_limits):
    limits = await open_limits()
    assert [await limits.take(FIVE_A_MINUTE, "198.51.100.7", 1000.0) for _ in range(6)] == [
        True,
        True,
        True,
        True,
        True,
        False,
    ]
    assert await limits.take(FIVE_A_MINUTE, "198.51.100.7", 1012.0)  # 12 s: one more
    assert not await limits.take(FIVE_A_MINUTE, "198.51.100.7", 1012.5)


async def test_each_address_and_each_limit_has_its_own_bucket(open_limits):
    limits = await open_limits()
    for _ in range(5):
        assert await limits.take(FIVE_A_MINUTE, "198.51.100.7", 1000.0)
    assert not await limits.take(FIVE_A_MINUTE, "198.51.100.7", 1000.0)
    assert await limits.take(FIVE_A_MINUTE, "198.51.100.8", 1000.0)
    assert await limits.take(TWO_AN_HOUR, "198.51.100.7", 1000.0)


async def test_replicas_share_the_buckets(open_limits):
    first, second = await open_limits(), await open_limits()
    assert await first.take(TWO_AN_HOUR, "203.0.113.5", 50.0)
    assert await second.take(TWO_AN_HOUR, "203.0.113.5", 50.0)
    assert not await first.take(TWO_AN_HOUR, "203.0.113.5", 50.0)
    assert not await second.take(TWO_AN_HOUR, "203.0.113.5", 50.0)


async def test_a_long_limit_is_not_forgotten_when_short_ones_are_pruned():
    limits = MemoryAddressLimits(SECRET)
    for _ in range(2):
        assert await limits.take(TWO_AN_HOUR, "203.0.113.5", 0.0)
    for n in range(MemoryAddressLimits.PRUNE_EVERY):
        await limits.take(FIVE_A_MINUTE, f"192.0.2.{n % 250}", 120.0)
    assert not await limits.take(TWO_AN_HOUR, "203.0.113.5", 130.0)


async def test_redis_holds_a_pseudonym_of_the_address_and_lets_it_expire(redis_server):
    limits = RedisAddressLimits.from_url(redis_server.url, SECRET)
    client = aioredis.Redis.from_url(redis_server.url)
    try:
        await limits.take(FIVE_A_MINUTE, "198.51.100.7", 1000.0)
        keys = [key.decode() for key in await client.keys("*")]
        assert keys == [f"aic:limit:requests:{address_key(SECRET, '198.51.100.7')}"]
        assert "198.51.100.7" not in str(await client.hgetall(keys[0]))
        assert 0 < await client.ttl(keys[0]) <= 60
    finally:
        await client.aclose()
        await limits.close()


async def test_redis_down_lets_requests_through(redis_server):
    limits = RedisAddressLimits.from_url(redis_server.url, SECRET)
    redis_server.stop()
    try:
        assert await limits.take(FIVE_A_MINUTE, "198.51.100.7", 1000.0)
    finally:
        redis_server.start()
        await limits.close()
