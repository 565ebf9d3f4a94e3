"""A minimal local Bot API peer for the load benchmark.

bot/ runs its Telegram door in webhook mode against it: the benchmark posts updates to bot/'s
webhook as Telegram would, and this peer records each ``sendMessage`` with the time it arrived,
so a turn's latency is measured to the millisecond (the npm emulator used by the Telegram tests
is read by polling, which would blur the figures by its polling interval).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 4242


@dataclass
class Sent:
    at: float
    text: str
    buttons: list[tuple[str, str]]


@dataclass
class BotApiPeer:
    sent: dict[int, list[Sent]] = field(default_factory=lambda: defaultdict(list))
    _waiters: dict[int, asyncio.Event] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    calls: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._method)
        return app

    def event(self, chat_id: int) -> asyncio.Event:
        return self._waiters.setdefault(chat_id, asyncio.Event())

    async def _method(self, request: web.Request) -> web.Response:
        self.calls += 1
        name = request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = dict(await request.post())
        result: Any = True
        if name == "getMe":
            result = {"id": BOT_ID, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
        elif name == "sendMessage":
            chat_id = int(params["chat_id"])
            markup = params.get("reply_markup") or {}
            if isinstance(markup, str):
                import json

                markup = json.loads(markup)
            buttons = [
                (b["text"], b.get("callback_data", ""))
                for row in markup.get("inline_keyboard", [])
                for b in row
            ]
            self.sent[chat_id].append(Sent(time.perf_counter(), params.get("text", ""), buttons))
            self.event(chat_id).set()
            result = {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": params.get("text", ""),
            }
        return web.json_response({"ok": True, "result": result})
