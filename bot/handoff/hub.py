"""Desk events (``{"type": "queue"}``, ``{"type": "case", "reference"}``) for the open desk pages
of one queue: the desk's WebSockets subscribe here and the page reloads what changed.

``Hub`` is one process's: enough with SQLite, where one bot/ runs the desk. ``RedisHub``
publishes over Redis pub/sub (``AIC_REDIS_URL``) and hands every event, whichever replica
published it, to the pages connected to this one: a desk on replica 2 sees a case opened through
replica 1. Events name a queue and a case reference, never a person.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

CHANNEL = "aic:handoff:desk"
RETRY_SECONDS = 1.0


class Hub:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[dict]]] = defaultdict(set)

    def subscribe(self, queue: str) -> asyncio.Queue[dict]:
        inbox: asyncio.Queue[dict] = asyncio.Queue(maxsize=1000)
        self._subscribers[queue].add(inbox)
        return inbox

    def unsubscribe(self, queue: str, inbox: asyncio.Queue[dict]) -> None:
        self._subscribers[queue].discard(inbox)

    async def publish(self, queue: str, event: dict) -> None:
        self.deliver(queue, event)

    def deliver(self, queue: str, event: dict) -> None:
        """Hand an event to this process's pages of ``queue``."""
        for inbox in list(self._subscribers.get(queue, ())):
            try:
                inbox.put_nowait(event)
            except asyncio.QueueFull:
                pass  # that page is not reading; it reloads everything when it reconnects

    def deliver_everywhere(self, event: dict) -> None:
        for queue in list(self._subscribers):
            self.deliver(queue, event)

    def listening(self, queue: str) -> int:
        return len(self._subscribers.get(queue, ()))

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass


class RedisHub(Hub):
    """Desk events shared by every replica through one Redis pub/sub channel."""

    def __init__(self, url: str, retry_seconds: float = RETRY_SECONDS) -> None:
        super().__init__()
        self._url = url
        self._retry_seconds = retry_seconds
        self._publisher = _client(url)
        self._listener: asyncio.Task[None] | None = None
        self.subscribed = asyncio.Event()  # set while this replica hears the channel

    async def publish(self, queue: str, event: dict) -> None:
        try:
            await self._publisher.publish(CHANNEL, json.dumps({"queue": queue, "event": event}))
        except (RedisError, OSError) as error:
            # Only a hint to reload; the pages reload everything when Redis is back.
            log.warning("desk event not published: %s", type(error).__name__)

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen(), name="desk-events")

    async def _listen(self) -> None:
        while True:
            client = _client(self._url, listening=True)
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(CHANNEL)
                self.subscribed.set()
                # Events published while this replica was not listening are lost: every page
                # here reloads its queue and case once.
                self.deliver_everywhere({"type": "queue"})
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is not None:
                        data = json.loads(message["data"])
                        self.deliver(str(data["queue"]), dict(data["event"]))
            except (RedisError, OSError, ValueError, KeyError, TypeError) as error:
                log.warning("desk events: not listening (%s); retrying", type(error).__name__)
            finally:
                self.subscribed.clear()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                with contextlib.suppress(Exception):
                    await client.aclose()
            await asyncio.sleep(self._retry_seconds)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        await self._publisher.aclose()


def _client(url: str, listening: bool = False) -> aioredis.Redis:
    # A listener waits on its socket for as long as nothing is published: no read timeout.
    return aioredis.Redis.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=2,
        socket_timeout=None if listening else 5,
    )
