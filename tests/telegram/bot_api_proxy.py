"""A thin proxy in front of telegram-test-api, so the bot meets the Bot API as documented.

The bot under test talks to this proxy (``AIC_TELEGRAM_API_URL``); the proxy forwards to the
emulator and smooths over where the emulator departs from https://core.telegram.org/bots/api:

- ``getMe`` lacks ``is_bot``: added.
- Dates of the messages it returns are in milliseconds: turned into seconds.
- ``getUpdates`` answers at once even when empty: held up to the requested ``timeout`` (at
  most 2 s), as long polling does.
- ``setWebhook`` ignores ``secret_token`` and posts updates without the
  ``X-Telegram-Bot-Api-Secret-Token`` header: the emulator posts to this proxy, which adds the
  header and forwards to the bot's webhook.
- It can only produce ``message`` and ``callback_query`` updates: ``deliver`` sends any other
  kind (edited messages, channel posts, member updates) by the bot's own route (getUpdates or
  webhook).
- Methods that return ``True`` in the real API return ``null``: turned into ``true``.
- Its callback queries lack the required ``chat_instance``: added.

Left as the emulator has it, on purpose: methods it does not implement (``setMyCommands``) fail,
which is how the tests show that a failing optional call does not stop the bot.

The proxy also records every Bot API call the bot makes (``calls``) and can answer the next
calls of a method with 429 and a ``retry_after`` (``throttle``), as Telegram's flood control
does.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_HOLD = 2.0
_update_ids = itertools.count(1_000_000)


@dataclass
class Call:
    token: str
    method: str
    params: dict[str, Any]
    throttled: bool = False


@dataclass
class Webhook:
    url: str
    secret: str | None


@dataclass
class BotApiProxy:
    peer_url: str
    calls: list[Call] = field(default_factory=list)
    webhooks: dict[str, Webhook] = field(default_factory=dict)
    _pending: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _throttled: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    url: str = ""

    async def start(self, port: int) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._bot_api)
        app.router.add_post("/relay/{token}", self._relay)
        # No keep-alive towards the emulator: Node closes idle connections after 5 s, and a
        # request racing that close fails.
        self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        await self._runner.cleanup()
        await self._http.close()

    @property
    def api_url(self) -> str:
        """The value for AIC_TELEGRAM_API_URL."""
        return f"{self.url}/bot"

    def throttle(self, token: str, method: str, *retry_after: int) -> None:
        """Answer the next calls of ``method`` with 429, one per ``retry_after`` given."""
        self._throttled.setdefault((token, method), []).extend(retry_after)

    def calls_of(self, method: str, token: str) -> list[Call]:
        return [call for call in self.calls if call.method == method and call.token == token]

    async def deliver(self, token: str, update: dict[str, Any]) -> int | None:
        """Deliver an update the emulator cannot make, the way the bot receives updates.
        Returns the webhook's HTTP status in webhook mode."""
        update = {"update_id": next(_update_ids), **update}
        webhook = self.webhooks.get(token)
        if webhook is None:
            self._pending.setdefault(token, []).append(update)
            return None
        return await self._post_webhook(webhook, update)

    async def _post_webhook(self, webhook: Webhook, update: Any) -> int:
        headers = {SECRET_HEADER: webhook.secret} if webhook.secret else {}
        async with self._http.post(webhook.url, json=update, headers=headers) as response:
            return response.status

    async def _relay(self, request: web.Request) -> web.Response:
        webhook = self.webhooks.get(request.match_info["token"])
        if webhook is not None:
            await self._post_webhook(webhook, _complete(await request.json()))
        # Always 200: the emulator would crash on a failed delivery; the test sees the effect.
        return web.json_response({"ok": True})

    async def _bot_api(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        params = await _params(request)
        if self._throttled.get((token, method)):
            retry_after = self._throttled[(token, method)].pop(0)
            self.calls.append(Call(token, method, params, throttled=True))
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry_after}",
                    "parameters": {"retry_after": retry_after},
                },
                status=429,
            )
        self.calls.append(Call(token, method, params))
        if method == "getUpdates":
            return await self._get_updates(token, params)
        if method == "setWebhook":
            self.webhooks[token] = Webhook(params["url"], params.get("secret_token"))
            params = {"url": f"{self.url}/relay/{token}"}
        elif method == "deleteWebhook":
            self.webhooks.pop(token, None)
        status, data = await self._forward(token, method, params)
        if method == "getMe" and data.get("ok"):
            data["result"].setdefault("is_bot", True)
        return web.json_response(data, status=status)

    async def _get_updates(self, token: str, params: dict[str, Any]) -> web.Response:
        hold = min(float(params.get("timeout") or 0), MAX_HOLD)
        deadline = asyncio.get_running_loop().time() + hold
        while True:
            status, data = await self._forward(token, "getUpdates", {})
            fetched = [_complete(update) for update in data.get("result") or []]
            result = self._pending.pop(token, []) + fetched
            if result or asyncio.get_running_loop().time() >= deadline:
                return web.json_response({"ok": True, "result": result}, status=status)
            await asyncio.sleep(0.05)

    async def _forward(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        url = f"{self.peer_url}/bot{token}/{method}"
        try:
            async with self._http.post(url, json=params) as response:
                data = await response.json(content_type=None)
        except aiohttp.ClientError:
            # The emulator is going away (end of the run): answer as Telegram would if down.
            return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
        if isinstance(data, dict) and data.get("ok") and data.get("result") is None:
            data["result"] = True
        return response.status, _seconds(data)


async def _params(request: web.Request) -> dict[str, Any]:
    """The call's parameters, with JSON-encoded values (reply_markup, commands) decoded."""
    if request.content_type == "application/json":
        raw = await request.json()
    else:
        raw = dict(await request.post()) if request.body_exists else {}
        raw.update(request.query)
    params = {}
    for key, value in raw.items():
        if isinstance(value, str) and value[:1] in "[{":
            try:
                value = json.loads(value)
            except ValueError:
                pass
        params[key] = value
    return params


def _complete(update: dict[str, Any]) -> dict[str, Any]:
    """Add what the emulator leaves out of an update but the Bot API always sends."""
    query = update.get("callback_query")
    if isinstance(query, dict) and "chat_instance" not in query:
        chat = (query.get("message") or {}).get("chat") or {}
        query["chat_instance"] = f"instance-{chat.get('id', 0)}"
    return update


def _seconds(data: Any) -> Any:
    """Dates in milliseconds (the emulator's) to seconds (the Bot API's)."""
    if isinstance(data, dict):
        return {
            key: value // 1000
            if key in ("date", "edit_date") and isinstance(value, int) and value > 10**11
            else _seconds(value)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [_seconds(item) for item in data]
    return data
