"""A minimal local Bot API peer for the load benchmarks and bot/'s Telegram door tests.

bot/'s Telegram door talks to it as to Telegram, in either mode: in polling mode (bot/'s
default) the benchmark hands each update to ``deliver`` and bot/ fetches it with
``getUpdates``, as from Telegram; in webhook mode the benchmark posts the update to bot/'s
webhook itself (``post_update``). This peer records each ``sendMessage`` with the time it
arrived, so a turn's latency is measured to the millisecond (the npm emulator used by the
Telegram tests answers ``getUpdates`` only every so often, which would blur the figures).
Like Telegram's flood control, it can answer the next calls of a method with 429 and a
``retry_after`` (``throttle``).

It is an aiohttp application, served on loopback (or over TLS, given a certificate). Its CPU
time is the benchmark's process's, never bot/'s.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import ssl
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

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
    # Method -> the retry_after of each 429 still to answer it with.
    _throttled: dict[str, list[int]] = field(default_factory=dict)
    throttled: Counter[str] = field(default_factory=Counter)  # 429s answered, by method

    _runner: web.AppRunner | None = None

    async def start(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> str:
        """Serves the Bot API on a free port (over TLS with a server context ``tls``); returns
        its base URL (``http://host:port`` or ``https://host:port``)."""
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._call)
        # A long poll still waiting is not waited for on the way out.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, 0, ssl_context=tls)
        await site.start()
        port = self._runner.addresses[0][1]
        return f"{'https' if tls else 'http'}://{host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    def throttle(self, method: str, *retry_after: int) -> None:
        """Answer the next calls of ``method`` with 429, one per ``retry_after`` given."""
        self._throttled.setdefault(method, []).extend(retry_after)

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

    async def _call(self, request: web.Request) -> web.Response:
        """One Bot API call, ``/bot<token>/<method>``, its parameters as JSON or a form (PTB
        sends a form); the answer as Telegram's, ``{"ok": ..., "result": ...}``."""
        parts = request.path.split("/")
        if len(parts) != 3 or not parts[1].startswith("bot"):
            return web.json_response({"ok": False, "error_code": 404}, status=404)
        method = parts[2]
        if self._throttled.get(method):
            retry_after = self._throttled[method].pop(0)
            self.throttled[method] += 1
            flood = {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {retry_after}",
                "parameters": {"retry_after": retry_after},
            }
            return web.json_response(flood, status=429)
        try:
            if request.content_type == "application/json":
                params = json.loads(await request.read() or b"{}")
            else:
                params = dict(await request.post())
            result = await self.answer(method, params)
        except (ValueError, KeyError, TypeError) as error:
            refused = {"ok": False, "error_code": 400, "description": repr(error)}
            return web.json_response(refused, status=400)
        return web.json_response({"ok": True, "result": result})
