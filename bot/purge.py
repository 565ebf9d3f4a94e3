"""Retention: a conversation with no activity for ``AIC_RETENTION_HOURS`` (default 24) is
deleted everywhere: Rasa's tracker (also trackers bot/ no longer knows about) and bot/'s
pseudonym mapping and rate-limit state.

It runs on a schedule inside the running bot/ (every ``AIC_PURGE_INTERVAL_MINUTES``, default
15, first at start) and on demand: ``python -m bot.purge`` (``make purge``), which builds the
same app as ``python -m bot`` (Telegram left off, no port opened), purges once and exits.

A part that keeps its own records with their own retention (the hand-off desk's cases, kept
``AIC_HANDOFF_RETENTION_DAYS``) adds an ``async hook(now: float) -> int`` to
``app[PURGE_HOOKS]``; each purge, scheduled or on demand, calls it with the time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace

import redis.asyncio as aioredis
from aiohttp import web
from redis.exceptions import RedisError

from bot.appkeys import CONVERSATIONS, SETTINGS
from bot.tracker_admin import TrackerAdmin

log = logging.getLogger(__name__)

PurgeHook = Callable[[float], Awaitable[int]]
PURGE_HOOKS = web.AppKey("purge_hooks", list)
TRACKER_ADMIN = web.AppKey("tracker_admin", TrackerAdmin)
SCHEDULED = web.AppKey("purge_scheduled", bool)


@dataclass(frozen=True)
class PurgeReport:
    people: int  # pseudonyms erased (tracker, mapping, rate limit)
    tracker_rows: int  # rows of conversations bot/ no longer knew about
    other: int  # what the hooks deleted

    @property
    def total(self) -> int:
        return self.people + self.tracker_rows + self.other


def setup(app: web.Application) -> None:
    """Call after the core's cleanup context is added (it needs Conversations)."""
    app[PURGE_HOOKS] = []
    app.cleanup_ctx.append(_schedule)


async def purge_now(app: web.Application, now: float | None = None) -> PurgeReport:
    settings = app[SETTINGS]
    now = time.time() if now is None else now
    max_age = settings.retention_seconds
    conversations = app[CONVERSATIONS]
    people = await conversations.forget_inactive(max_age, now=now)
    rows = await app[TRACKER_ADMIN].purge_inactive(now - max_age)
    other = 0
    for hook in app[PURGE_HOOKS]:
        other += await hook(now)
    for url in {url for url in (settings.redis_url, settings.tracker_redis_url) if url}:
        try:
            await rewrite_redis_history(url)
        except (RedisError, OSError) as error:
            log.warning("Redis's append-only file not rewritten: %s", type(error).__name__)
    report = PurgeReport(people, rows, other)
    log.info(
        "purge: %d people, %d orphan tracker rows, %d other records",
        report.people,
        report.tracker_rows,
        report.other,
    )
    return report


async def rewrite_redis_history(url: str) -> bool:
    """Redis's append-only file keeps every write until it is rewritten, a deleted conversation
    (by /forget or retention) among them. After each purge it is rewritten, if anything was
    written since the last time: what was deleted is then gone from the disk too, within one
    purge interval. Snapshots are off in deploy/ (``--save ''``)."""
    client = aioredis.Redis.from_url(url, socket_timeout=5.0)
    try:
        info = await client.info("persistence")
        if (
            not info.get("aof_enabled")
            or info.get("aof_rewrite_in_progress")
            or info.get("aof_current_size", 0) <= info.get("aof_base_size", 0)
        ):
            return False
        await client.bgrewriteaof()
        return True
    finally:
        await client.aclose()


async def _schedule(app: web.Application) -> AsyncIterator[None]:
    if not app.get(SCHEDULED, True):
        yield
        return
    task = asyncio.create_task(_loop(app), name="purge")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _loop(app: web.Application) -> None:
    interval = app[SETTINGS].purge_interval_minutes * 60
    while True:
        try:
            await purge_now(app)
        except Exception as error:  # a store down now is retried at the next interval
            log.error("purge failed: %s", type(error).__name__)
        await asyncio.sleep(interval)


async def run_once() -> PurgeReport:
    from bot.app import create_app
    from bot.settings import Settings

    # Telegram off: purging must not register a webhook or start polling.
    settings = replace(Settings.from_env(), telegram_token=None)
    app = create_app(settings)
    app[SCHEDULED] = False
    runner = web.AppRunner(app)
    await runner.setup()  # runs the cleanup contexts; no site, so no port is opened
    try:
        return await purge_now(app)
    finally:
        await runner.cleanup()


def main() -> int:
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        report = asyncio.run(run_once())
    except ConnectionError as error:
        print(f"Purge failed: a store is unavailable ({error}).", file=sys.stderr)
        return 1
    print(
        f"Purged {report.people} inactive conversations, {report.tracker_rows} orphan tracker "
        f"rows and {report.other} other records."
    )
    return 0


if __name__ == "__main__":
    # Run the importable module's main, so the app keys are the ones bot.app uses (this file
    # as __main__ is a second copy of the module, with keys of its own).
    from bot.purge import main as _main

    sys.exit(_main())
