"""bot/ apps for the hand-off's in-process tests: a stand-in Rasa that answers "person" with
Rasa's hand-off request, and a handler's desk through its HTTP API. The fixtures over them
(``rasa``, ``settings``) are in conftest.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.handoff.cases import HANDLER_ROLE, SUPERVISOR_ROLE
from bot.handoff.cases_sqlite import SQLiteCaseStore
from bot.handoff.passwords import hash_password
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SECRET = b"unit-test-secret-unit-test-secret"
PASSWORD = "correct horse battery"
SESSION = "a" * 32
REQUEST = {
    "handoff": {
        "summary": {"incident_type": "webcam", "force_area": "gwent"},
        "summary_text": "What happened: a video call was recorded",
        "queue": "gwent",
    }
}


class StandInRasa:
    """Answers "person" with the hand-off request, anything else with an echo."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self.url = ""  # set by ``serving``

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self.webhook)
        return app

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body["message"])
        if "person" in body["message"]:
            return web.json_response([{"recipient_id": body["sender"], "custom": REQUEST}])
        return web.json_response(
            [{"recipient_id": body["sender"], "text": f"echo: {body['message']}"}]
        )


def app_settings(tmp_path: Path, rasa_url: str, **overrides) -> Settings:
    """bot/'s settings for an app in this process on ``rasa_url``, its data under ``tmp_path``."""
    return Settings(
        rasa_url=rasa_url,
        rasa_timeout=2.0,
        data_dir=tmp_path / "var",
        pseudonym_secret=SECRET,
        tracker_db=tmp_path / "tracker.db",
        domain_path=ROOT / "domain.yml",
        **overrides,
    )


@asynccontextmanager
async def serving(stand_in: StandInRasa) -> AsyncIterator[StandInRasa]:
    """A stand-in Rasa on a loopback port (its ``url``), for as long as the block runs."""
    server = TestServer(stand_in.app(), host="127.0.0.1")
    await server.start_server()
    stand_in.url = str(server.make_url("")).rstrip("/")
    try:
        yield stand_in
    finally:
        await server.close()


async def add_accounts(
    settings: Settings, supervisors: Collection[str] = (), **forces: str
) -> None:
    """Desk accounts, name=force; those named in ``supervisors`` have the supervisor's role."""
    store = await SQLiteCaseStore.open(settings.data_dir / "handoff.db")
    for name, force in forces.items():
        role = SUPERVISOR_ROLE if name in supervisors else HANDLER_ROLE
        await store.add_account(name, force, hash_password(PASSWORD), 0, role)
    await store.close()


class Desk:
    """A handler's browser: its own cookie jar, like a separate browser profile."""

    def __init__(self, client: TestClient, name: str) -> None:
        self.base = str(client.make_url("")).rstrip("/")
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.name, self.csrf = name, ""
        OPEN.append(self.http)

    async def login(self, password: str = PASSWORD, **headers: str) -> int:
        response = await self.http.post(
            f"{self.base}/desk/api/login",
            json={"username": self.name, "password": password},
            headers=headers,
        )
        if response.status == 200:
            self.csrf = (await response.json())["csrf"]
            self.cookie = response.headers["Set-Cookie"]
        return response.status

    async def get(self, path: str):
        response = await self.http.get(f"{self.base}/desk/api/{path}")
        return response.status, await response.json()

    async def post(self, path: str, body: dict | None = None, csrf: bool = True):
        headers = {"X-CSRF-Token": self.csrf} if csrf else {}
        response = await self.http.post(
            f"{self.base}/desk/api/{path}", json=body or {}, headers=headers
        )
        return response.status, await response.json()


OPEN: list[aiohttp.ClientSession] = []
