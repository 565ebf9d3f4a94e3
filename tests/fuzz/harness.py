"""bot/'s whole app in this process, for throwing thousands of requests at it quickly.

The app (both doors, Telegram in webhook mode, and whatever other routes ``create_app`` adds,
such as the hand-off desk) runs in a thread of its own with its own event loop, in front of a
stand-in Rasa and a stand-in Bot API, so synchronous Hypothesis tests can call it. Every log
record is kept, so a test can check that no exception was logged.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.app import create_app
from bot.settings import Settings

TOKEN = "123456:fuzz-token"
WEBHOOK_SECRET = "fuzz-webhook-secret"
RASA_TEXT = "What happened? [from rasa]"
BOT_ID = 123456


class KeptRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._lock:
            self.records.append(record)

    def take(self) -> list[logging.LogRecord]:
        with self._lock:
            records, self.records = self.records, []
        return records


def fake_rasa_app(seen: list[dict[str, Any]]) -> web.Application:
    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append(body)
        return web.json_response(
            [
                {
                    "recipient_id": body.get("sender"),
                    "text": RASA_TEXT,
                    "buttons": [{"title": "Yes", "payload": "/affirm"}],
                }
            ]
        )

    async def tracker(request: web.Request) -> web.Response:
        return web.json_response({"sender_id": request.match_info["sender"], "events": []})

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    app.router.add_get("/conversations/{sender}/tracker", tracker)
    return app


def fake_bot_api_app(sent: list[dict[str, Any]]) -> web.Application:
    """Just enough of the Bot API for the door: every method succeeds."""
    counter = iter(range(1, 10**9))

    async def method(request: web.Request) -> web.Response:
        name = request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = dict(await request.post())
        if name == "getMe":
            result: Any = {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Fuzz",
                "username": "fuzz_bot",
                "can_join_groups": False,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        elif name in ("sendMessage", "editMessageReplyMarkup", "editMessageText"):
            sent.append({"method": name, **params})
            chat_id = params.get("chat_id", 1)
            result = {
                "message_id": next(counter),
                "date": 1_700_000_000,
                "chat": {"id": int(chat_id), "type": "private"},
                "text": params.get("text", ""),
            }
        else:
            result = True
        return web.json_response({"ok": True, "result": result})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", method)
    return app


@dataclass
class Response:
    status: int
    text: str
    headers: dict[str, str]


class Harness:
    def __init__(self, work: Path, domain_path: Path = Path("domain.yml")) -> None:
        self.work = work
        self.domain_path = domain_path
        self.rasa_seen: list[dict[str, Any]] = []
        self.telegram_sent: list[dict[str, Any]] = []
        self.logs = KeptRecords()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runners: list[web.AppRunner] = []
        self.app: web.Application | None = None
        self.url = ""
        self._http: aiohttp.ClientSession | None = None

    def call(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def start(self) -> Harness:
        logging.getLogger().addHandler(self.logs)
        logging.getLogger().setLevel(logging.DEBUG)
        self._thread.start()
        self.call(self._start(), timeout=60)
        return self

    async def _serve(self, app: web.Application) -> str:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runners.append(runner)
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def _start(self) -> None:
        rasa_url = await self._serve(fake_rasa_app(self.rasa_seen))
        api_url = await self._serve(fake_bot_api_app(self.telegram_sent))
        settings = replace(
            Settings(),
            rasa_url=rasa_url,
            rasa_timeout=5.0,
            data_dir=self.work / "var",
            pseudonym_secret=b"fuzz-pseudonym-secret-0123456789abcdef",
            tracker_db=self.work / "tracker.db",
            domain_path=self.domain_path,
            telegram_token=TOKEN,
            telegram_mode="webhook",
            telegram_webhook_url="https://example.invalid/telegram/webhook",
            telegram_webhook_secret=WEBHOOK_SECRET,
            telegram_api_url=f"{api_url}/bot",
            # Fuzzing sends far more than a person could; the limit is tested elsewhere.
            rate_limit_per_minute=10**9,
            address_requests_per_minute=10**9,
        )
        self.app = create_app(settings)
        self.url = await self._serve(self.app)
        self._http = aiohttp.ClientSession()

    def routes(self) -> list[tuple[str, str]]:
        """Every (method, path) the app answers, as registered."""
        assert self.app is not None
        found = []
        for route in self.app.router.routes():
            info = route.resource.get_info() if route.resource is not None else {}
            path = info.get("path") or info.get("formatter") or info.get("prefix")
            if path and route.method != "HEAD":
                found.append((route.method, path))
        return sorted(set(found))

    def request(
        self,
        method: str,
        path: str,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        return self.call(self._request(method, path, data, headers or {}))

    async def _request(
        self, method: str, path: str, data: bytes | None, headers: dict[str, str]
    ) -> Response:
        assert self._http is not None
        async with self._http.request(
            method, self.url + path, data=data, headers=headers, allow_redirects=False
        ) as response:
            body = await response.read()
            return Response(
                response.status, body.decode("utf-8", "replace"), dict(response.headers)
            )

    def settle(self, timeout: float = 10) -> None:
        """Wait until the Telegram door has processed every queued update."""
        self.call(self._settle(timeout), timeout=timeout + 5)

    async def _settle(self, timeout: float) -> None:
        from bot.telegram_door import TELEGRAM_DOOR

        assert self.app is not None
        application = self.app[TELEGRAM_DOOR].application
        deadline = self._loop.time() + timeout
        while self._loop.time() < deadline:
            busy = application.update_processor.current_concurrent_updates
            if application.update_queue.empty() and busy == 0:
                await asyncio.sleep(0.01)
                if application.update_queue.empty() and (
                    application.update_processor.current_concurrent_updates == 0
                ):
                    return
            await asyncio.sleep(0.005)
        raise TimeoutError("the Telegram door did not settle")

    def stop(self) -> None:
        async def stop() -> None:
            if self._http is not None:
                await self._http.close()
            for runner in reversed(self._runners):
                await runner.cleanup()

        try:
            self.call(stop(), timeout=60)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()
            logging.getLogger().removeHandler(self.logs)
