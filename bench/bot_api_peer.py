"""A minimal local Bot API peer for the load benchmarks.

bot/'s Telegram door talks to it as to Telegram, in either mode: in polling mode (bot/'s
default) the benchmark hands each update to ``deliver`` and bot/ fetches it with
``getUpdates``, as from Telegram; in webhook mode the benchmark posts the update to bot/'s
webhook itself (``post_update``). This peer records each ``sendMessage`` with the time it
arrived, so a turn's latency is measured to the millisecond (the npm emulator used by the
Telegram tests answers ``getUpdates`` only every so often, which would blur the figures).

It serves HTTP/1.1 itself (httptools parses the requests, as for uvicorn) rather than through
aiohttp's server: in a deployment Telegram's servers are elsewhere, but this peer shares the
cores with Rasa and bot/, and aiohttp spent ~0.24 ms of CPU on each call, ~1.8 calls a message.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import httptools

BOT_ID = 4242
MODES = ("polling", "webhook")
WEBHOOK_SECRET = "bench-webhook-secret"
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}


@dataclass
class Sent:
    at: float
    text: str
    buttons: list[tuple[str, str]]


def text_update(update_id: int, chat_id: int, message_id: int, text: str) -> dict[str, Any]:
    """A private chat's text message, as Telegram sends it."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "from": {"id": chat_id, "is_bot": False, "first_name": "B", "language_code": "en"},
            "chat": {"id": chat_id, "first_name": "B", "type": "private"},
            "date": int(time.time()),
            "text": text,
        },
    }


@dataclass
class BotApiPeer:
    sent: dict[int, list[Sent]] = field(default_factory=lambda: defaultdict(list))
    _waiters: dict[int, asyncio.Event] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    # Updates not yet confirmed by a getUpdates offset past them, as Telegram keeps them.
    _pending: deque[dict[str, Any]] = field(default_factory=deque)
    _update_arrived: asyncio.Event = field(default_factory=asyncio.Event)
    calls: Counter[str] = field(default_factory=Counter)  # by method
    fetches: int = 0  # getUpdates calls that returned updates
    handed: int = 0  # updates handed to bot/ (each once, however often fetched)
    posted: int = 0  # updates posted to bot/'s webhook
    _last_handed: int = -1

    _server: asyncio.Server | None = None
    _connections: set[_Connection] = field(default_factory=set)

    async def start(self, host: str = "127.0.0.1") -> str:
        """Serves the Bot API on a free port; returns its base URL (``http://host:port``)."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), host, 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for connection in list(self._connections):
            connection.close()

    def event(self, chat_id: int) -> asyncio.Event:
        return self._waiters.setdefault(chat_id, asyncio.Event())

    def deliver(self, update: dict[str, Any]) -> None:
        """Polling mode: the update waits here for bot/'s next getUpdates."""
        self._pending.append(update)
        self._update_arrived.set()

    async def post_update(
        self, http: aiohttp.ClientSession, bot_url: str, update: dict[str, Any]
    ) -> None:
        """Webhook mode: the update goes to bot/'s webhook, as Telegram posts it."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        self.posted += 1
        async with http.post(f"{bot_url}/telegram/webhook", json=update, headers=headers) as r:
            r.raise_for_status()

    async def send_update(
        self, mode: str, http: aiohttp.ClientSession, bot_url: str, update: dict[str, Any]
    ) -> None:
        if mode == "polling":
            self.deliver(update)
        else:
            await self.post_update(http, bot_url, update)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        while self._pending and self._pending[0]["update_id"] < offset:
            self._pending.popleft()
        if not self._pending:
            self._update_arrived.clear()
            poll_seconds = float(params.get("timeout") or 0)
            try:
                await asyncio.wait_for(self._update_arrived.wait(), poll_seconds)
            except asyncio.TimeoutError:
                return []
        self.fetches += 1
        batch = list(itertools.islice(self._pending, int(params.get("limit") or 100)))
        self.handed += sum(1 for update in batch if update["update_id"] > self._last_handed)
        self._last_handed = max(self._last_handed, batch[-1]["update_id"])
        return batch

    def summary(self) -> str:
        """What the Telegram door asked of the Bot API, per update it was given."""
        updates = self.handed + self.posted
        if not updates:
            return "no updates"
        text = f"{self.calls['sendMessage'] / updates:.2f} sendMessage an update"
        if self.fetches:
            text += f", {self.handed / self.fetches:.1f} updates a getUpdates that returned any"
        return text

    async def answer(self, method: str, params: dict[str, Any]) -> Any:
        """The result of Bot API method ``method`` called with ``params``."""
        self.calls[method] += 1
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            return await self._get_updates(params)
        if method == "sendMessage":
            return self._record(params)
        return True

    def _record(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        markup = params.get("reply_markup") or {}
        if isinstance(markup, str):
            markup = json.loads(markup)
        buttons = [
            (b["text"], b.get("callback_data", ""))
            for row in markup.get("inline_keyboard", [])
            for b in row
        ]
        self.sent[chat_id].append(Sent(time.perf_counter(), params.get("text", ""), buttons))
        self.event(chat_id).set()
        # The sent message, as Telegram returns it: python-telegram-bot parses all of it.
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "from": BOT_USER,
            "chat": {"id": chat_id, "first_name": "B", "type": "private"},
            "date": int(time.time()),
            "text": params.get("text", ""),
        }
        if markup:
            message["reply_markup"] = markup
        return message


class _Connection(asyncio.Protocol):
    """One client's connection: requests answered one after another, in the order they came
    (a long-polling getUpdates holds back the answers behind it, as HTTP/1.1 requires)."""

    def __init__(self, peer: BotApiPeer) -> None:
        self._peer = peer
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._url = b""
        self._json = False
        self._body: list[bytes] = []
        self._previous: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        self._peer._connections.add(self)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._peer._connections.discard(self)

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"content-type":
            self._json = value.split(b";")[0].strip().lower() == b"application/json"

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        url, body, is_json = self._url, b"".join(self._body), self._json
        self._url, self._body, self._json = b"", [], False
        keep_alive = self._parser.should_keep_alive()
        self._previous = asyncio.ensure_future(
            self._respond(self._previous, url, body, is_json, keep_alive)
        )

    async def _respond(
        self,
        previous: asyncio.Future[None] | None,
        url: bytes,
        body: bytes,
        is_json: bool,
        keep_alive: bool,
    ) -> None:
        parts = httptools.parse_url(url).path.decode().split("/")
        status, answer = b"200 OK", {"ok": True}
        if len(parts) != 3 or not parts[1].startswith("bot"):
            status, answer = b"404 Not Found", {"ok": False, "error_code": 404}
        else:
            try:
                params = json.loads(body or b"{}") if is_json else dict(parse_qsl(body.decode()))
                answer["result"] = await self._peer.answer(parts[2], params)
            except (ValueError, KeyError, TypeError) as error:
                status = b"400 Bad Request"
                answer = {"ok": False, "error_code": 400, "description": repr(error)}
        if previous is not None:
            await previous
        if self._transport is None:
            return
        payload = json.dumps(answer).encode()
        head = b"HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % (
            status,
            len(payload),
        )
        if not keep_alive:
            head += b"Connection: close\r\n"
        self._transport.write(head + b"\r\n" + payload)
        if not keep_alive:
            self.close()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
