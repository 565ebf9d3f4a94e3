"""Rasa's REST channel and HTTP API, as bot/ uses them. Any failure is ``RasaUnavailable``.

Replies with text (and buttons) become ``Reply``; a custom message (``{"custom": {...}}``, e.g.
``action_handoff_request``'s ``{"custom": {"handoff": {...}}}``) becomes ``Custom``, which no
door shows: the part of bot/ that knows it replaces it with its own replies (the hand-off opens
a case) and ``Conversations`` drops any left over.

With several Rasa servers (``AIC_RASA_URL`` a comma-separated list), each conversation has a
home server chosen from its pseudonym, so one Python process per core shares the load and a
person's messages are always handled in order by the same server. If the home server cannot
be reached at all, the next one takes the message: the trackers are shared (the same SQLite
file or Redis), so the conversation carries on. A server that was reached but failed is not
retried elsewhere: it may have handled the message already.

The calls go through aiohttp's ``ClientSession``, the one bot/ opens for its life
(``bot.app``); ``timeout`` (``AIC_RASA_TIMEOUT``) bounds reaching a server and then waiting for
its answer, as aiohttp's ``ClientTimeout`` counts them.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp

from bot import metrics
from bot.messages import Button, Reply


class RasaUnavailable(Exception):
    """Rasa is down, too slow, or answered something that is not a valid reply."""


@dataclass(frozen=True)
class Custom(Reply):
    """Rasa's custom message payload, kept for bot/ itself; never shown as it is."""

    payload: dict[str, Any] = field(default_factory=dict, hash=False)


class RasaClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_urls: Sequence[str],
        timeout: float,
        token: str | None = None,
    ) -> None:
        if isinstance(base_urls, str) or not base_urls:
            raise ValueError("base_urls: a list of one or more Rasa servers")
        self._session = session
        self._base_urls = [url.rstrip("/") for url in base_urls]
        # ``connect``: a free connection from the pool or a new one; ``sock_read``: the wait for
        # the answer (Rasa says nothing until its turn is done). No ``total``: the session's
        # default of five minutes would otherwise still apply.
        self._timeout = aiohttp.ClientTimeout(total=None, connect=timeout, sock_read=timeout)
        self._token = {"token": token} if token else {}

    async def send(
        self, sender: str, message: str, input_channel: str, metadata: dict[str, Any]
    ) -> list[Reply]:
        body = {
            "sender": sender,
            "message": message,
            "input_channel": input_channel,
            "metadata": metadata,
        }
        data = await self._timed("message", sender, "POST", "/webhooks/rest/webhook", body=body)
        if not isinstance(data, list):
            raise RasaUnavailable("reply is not a list")
        return [reply for item in data if (reply := _reply(item)) is not None]

    async def events(self, sender: str) -> list[dict[str, Any]]:
        """The events of ``sender``'s conversation since its last restart."""
        data = await self._timed(
            "tracker",
            sender,
            "GET",
            f"/conversations/{quote(sender, safe='')}/tracker",
            {"include_events": "AFTER_RESTART"},
        )
        if not isinstance(data, dict) or not isinstance(data.get("events", []), list):
            raise RasaUnavailable("tracker is not a tracker")
        return data.get("events") or []

    async def _timed(self, call: str, sender: str, *args: Any, **kwargs: Any) -> Any:
        """``_request``, its time in ``aic_rasa_request_seconds`` and its failure in
        ``aic_errors`` (a timeout apart from any other failure)."""
        started = time.perf_counter()
        try:
            return await self._request(sender, *args, **kwargs)
        except RasaUnavailable as error:
            timed_out = isinstance(error.__cause__, (TimeoutError, aiohttp.ConnectionTimeoutError))
            metrics.ERRORS.labels("rasa_timeout" if timed_out else "rasa_unavailable").inc()
            raise
        finally:
            metrics.RASA_SECONDS.labels(call).observe(time.perf_counter() - started)

    async def _request(
        self,
        sender: str,
        method: str,
        path: str,
        query: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> Any:
        params = {**(query or {}), **self._token}
        home = home_index(sender, len(self._base_urls))
        for attempt in range(len(self._base_urls)):
            base_url = self._base_urls[(home + attempt) % len(self._base_urls)]
            try:
                async with self._session.request(
                    method, base_url + path, params=params, json=body, timeout=self._timeout
                ) as response:
                    status = response.status
                    raw = await response.read()
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as error:
                # Never reached (refused, no route, or no connection in time): nothing was
                # sent, so the message is safe to hand to the next server.
                last_error: Exception = error
                continue
            except (aiohttp.ClientError, TimeoutError) as error:
                raise RasaUnavailable(type(error).__name__) from error
            if status != 200:
                raise RasaUnavailable(f"status {status}")
            try:
                return json.loads(raw)
            except ValueError as error:
                raise RasaUnavailable(type(error).__name__) from error
        raise RasaUnavailable(type(last_error).__name__) from last_error


def home_index(sender: str, servers: int) -> int:
    """The Rasa server (of ``servers``) that handles ``sender``'s conversation: the same in every
    bot/ process and after restarts, and spread evenly over the pseudonyms."""
    digest = hashlib.sha256(sender.encode()).digest()
    return int.from_bytes(digest[:8], "big") % servers


def _reply(item: Any) -> Reply | None:
    if not isinstance(item, dict):
        raise RasaUnavailable("reply item is not an object")
    text = item.get("text")
    buttons = tuple(
        Button(str(b["title"]), str(b["payload"]))
        for b in item.get("buttons") or []
        if isinstance(b, dict) and b.get("title") and b.get("payload")
    )
    if not isinstance(text, str) or not text.strip():
        custom = item.get("custom")
        if isinstance(custom, dict):
            return Custom(text="", payload=custom)
        # Images are not used by this assistant; a reply with nothing to show is dropped
        # rather than sent as an empty message.
        return None
    return Reply(text=text, buttons=buttons)
