"""The scaled-out stack for the scale-out and fault tests, started once per run.

- one redis-server on loopback (Rasa's trackers in db 0, its locks in db 1, bot/'s state in 2);
- three Rasa servers on ``deploy/endpoints.redis.yml`` (the shipped file, its ${VARS} set here),
  loading their models at the same time: two for the scale-out test, one for the fault tests;
- a ``SwitchableProxy`` between those Rasa servers and the action server of ``rasa_stack``,
  which a test can switch to down, slow or failing;
- bot/ processes started per test with ``Cluster.start_bot``.

The stack is shared by tests/scale and tests/faults through ``acquire``/``release`` (each
folder's conftest has a session fixture over them), so it starts once whichever runs.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from scripts.processes import (
    BOT_PYTHON,
    ROOT,
    Process,
    base_env,
    free_port,
    http_ok,
    launch_rasa,
    wait_for_rasa,
)
from scripts.redis_server import RedisServer

SECRET = "scale-pseudonym-secret-0123456789abcdef"
ENDPOINTS = ROOT / "deploy" / "endpoints.redis.yml"
SAFETY_MARKERS = ("101", "999", "116 123")


def pseudonym(channel: str, user_key: str) -> str:
    return hmac.new(SECRET.encode(), f"{channel}:{user_key}".encode(), hashlib.sha256).hexdigest()


def new_id() -> str:
    return uuid.uuid4().hex


class SwitchableProxy:
    """An HTTP hop that a test can break: in front of the action server it plays an action
    server that is down or slow, in front of Rasa a Rasa that is down or restarting.

    ``mode`` is "pass" (forward to ``upstream``), "down" (port closed: connection refused),
    "slow" (forward after ``delay`` s), "error" (HTTP 500, as a server that is starting or
    failing answers) or "break" (forward a call without its tracker, so that the server behind
    fails for real, in its own way). Runs in its own thread with its own event loop."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.port = free_port()
        self.mode = "pass"
        self.delay = 0.0
        self.calls = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._http: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> SwitchableProxy:
        self._thread.start()
        self._call(self._start())
        return self

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=30)

    async def _start(self) -> None:
        self._http = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await self._listen()

    async def _listen(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await self._site.start()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        self.calls += 1
        if self.mode == "down":
            # A kept-alive connection from before the port closed: drop it, as a dead server's
            # connections drop.
            if request.transport is not None:
                request.transport.abort()
            raise ConnectionResetError("down")
        if self.mode == "error":
            return web.Response(status=500, text="Internal Server Error")
        if self.mode == "slow":
            await asyncio.sleep(self.delay)
        assert self._http is not None
        body = await request.read()
        if self.mode == "break":
            call = json.loads(body)
            call.pop("tracker", None)
            body = json.dumps(call).encode()
        async with self._http.request(
            request.method,
            self.upstream + request.path_qs,
            data=body,
            headers={"Content-Type": request.content_type},
        ) as response:
            return web.Response(
                status=response.status,
                body=await response.read(),
                content_type=response.content_type,
            )

    def set(self, mode: str, delay: float = 0.0) -> None:
        """Switch mode; "down" closes the port, any other mode opens it again."""
        self._call(self._set(mode, delay))

    async def _set(self, mode: str, delay: float) -> None:
        was_down = self.mode == "down"
        self.mode, self.delay = mode, delay
        if mode == "down" and not was_down and self._site is not None:
            await self._site.stop()
            self._site = None
        elif mode != "down" and was_down:
            await self._listen()

    def stop(self) -> None:
        async def stop() -> None:
            if self._runner is not None:
                await self._runner.cleanup()
            if self._http is not None:
                await self._http.close()

        self._call(stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@dataclass
class Bot:
    name: str
    url: str
    process: Process

    def log_text(self) -> str:
        return self.process.log_path.read_text(errors="replace")


@dataclass
class Cluster:
    work: Path
    redis: RedisServer
    proxy: SwitchableProxy
    rasa: list[tuple[Process, str]]
    bots: list[Bot] = field(default_factory=list)

    @property
    def rasa_urls(self) -> list[str]:
        return [url for _, url in self.rasa]

    def rasa_env(self) -> dict[str, str]:
        return {
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(self.redis.port),
            "REDIS_PASSWORD": "",
            "ACTION_SERVER_URL": f"{self.proxy.url}/webhook",
            # A replica killed mid-turn holds its lock at most this long.
            "TICKET_LOCK_LIFETIME": "20",
        }

    def bot_env(self, rasa_url: str, **extra: str) -> dict[str, str]:
        return {
            "AIC_HOST": "127.0.0.1",
            "AIC_RASA_URL": rasa_url,
            "AIC_PSEUDONYM_SECRET": SECRET,
            "AIC_REDIS_URL": f"redis://127.0.0.1:{self.redis.port}/2",
            "AIC_TRACKER_REDIS_URL": f"redis://127.0.0.1:{self.redis.port}/0",
            "AIC_LOG_LEVEL": "INFO",
            # Every person the tests play is on 127.0.0.1.
            "AIC_ADDRESS_REQUESTS_PER_MINUTE": "1000000",
            "AIC_HANDOFF_CASES_PER_ADDRESS": "1000000",
            **extra,
        }

    def start_bot(self, name: str, rasa_url: str, **extra: str) -> Bot:
        port = free_port()
        env = self.bot_env(rasa_url, AIC_PORT=str(port), AIC_DATA_DIR=str(self.work / name))
        env.update(extra)
        process = Process(name, [str(BOT_PYTHON), "-m", "bot"], self.work, base_env(**env))
        url = f"http://127.0.0.1:{port}"
        try:
            process.wait_until(lambda: http_ok(f"{url}/healthz"), timeout=60)
        except Exception:
            process.stop()
            raise
        bot = Bot(name, url, process)
        self.bots.append(bot)
        return bot

    def stop(self) -> None:
        for bot in self.bots:
            bot.process.stop()
        for process, _ in self.rasa:
            process.stop()
        self.proxy.stop()
        self.redis.stop()


def tracker(rasa_url: str, sender: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{rasa_url}/conversations/{sender}/tracker", timeout=30) as r:
        return json.loads(r.read())


def start_cluster(action_url: str, model: Path, work: Path, rasa_count: int = 3) -> Cluster:
    redis = RedisServer(work / "redis").start()
    proxy = SwitchableProxy(action_url).start()
    cluster = Cluster(work, redis, proxy, [])
    try:
        for index in range(rasa_count):
            cluster.rasa.append(
                launch_rasa(model, ENDPOINTS, work, name=f"rasa-{index}", env=cluster.rasa_env())
            )
        for process, url in cluster.rasa:
            wait_for_rasa(process, url)
    except Exception:
        cluster.stop()
        raise
    return cluster


_shared: dict[str, Any] = {"cluster": None, "users": 0}


def acquire(rasa_stack, tmp_path_factory) -> Cluster:
    if _shared["cluster"] is None:
        work = tmp_path_factory.mktemp("cluster")
        _shared["cluster"] = start_cluster(rasa_stack.action_url, rasa_stack.model, work)
    _shared["users"] += 1
    return _shared["cluster"]


def release() -> None:
    _shared["users"] -= 1
    if _shared["users"] == 0 and _shared["cluster"] is not None:
        _shared["cluster"].stop()
        _shared["cluster"] = None


class WidgetUser:
    """A person in the widget, sending through whichever bot/ replica a test chooses."""

    def __init__(self) -> None:
        self.session = new_id()
        self.sent: list[str] = []  # what reached Rasa, in order (payloads as sent)

    @property
    def sender(self) -> str:
        return pseudonym("widget", self.session)

    def post(self, bot: Bot, route: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{bot.url}/widget/api/{route}",
            data=json.dumps({"session": self.session, **body}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def send(self, bot: Bot, **body: Any) -> list[dict[str, Any]]:
        return self.post(bot, "message", {"id": new_id(), **body})["replies"]


def text_of(replies: list[dict[str, Any]]) -> str:
    return "\n".join(reply["text"] for reply in replies)


def payload_of(replies: list[dict[str, Any]], title: str) -> str:
    for reply in replies:
        for button in reply["buttons"]:
            if button["title"] == title:
                return button["payload"]
    raise AssertionError(f"no button {title!r} in {replies}")


def is_safety_message(replies: list[dict[str, Any]]) -> bool:
    text = text_of(replies)
    return all(marker in text for marker in SAFETY_MARKERS)
