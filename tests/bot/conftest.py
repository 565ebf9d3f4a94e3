"""Fixtures for bot/'s unit tests: a domain with bot/'s responses and a stand-in Rasa."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
import yaml

from bot.conversation import Conversations
from bot.people import SQLiteStore
from bot.rasa_client import RasaClient
from bot.responses import REQUIRED, Responses
from bot.tracker_admin import SQLiteTrackerAdmin
from tests.bot.connect_proxy import ConnectProxy
from tests.bot.fake_rasa import FakeRasa, start_fake_rasa
from tests.loopback import starting

SECRET = b"unit-test-secret-unit-test-secret"


@pytest.fixture
def domain_path(tmp_path: Path) -> Path:
    """A domain holding exactly bot/'s responses, each text naming its response."""
    responses = {name: [{"text": f"[{name}]"}] for name in REQUIRED}
    responses["utter_frontdoor_unavailable"] = [
        {"text": "[utter_frontdoor_unavailable] 101 999 116 123"}
    ]
    path = tmp_path / "domain.yml"
    path.write_text(yaml.safe_dump({"version": "3.1", "responses": responses}))
    return path


@pytest.fixture
def responses(domain_path: Path) -> Responses:
    return Responses.from_domain(domain_path)


@pytest.fixture
async def fake_rasa() -> AsyncIterator[tuple[FakeRasa, str]]:
    rasa = FakeRasa()
    server = await start_fake_rasa(rasa)
    yield rasa, str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    store = await SQLiteStore.open(tmp_path / "data" / "bot.db")
    yield store
    await store.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def make_conversations(fake_rasa, store, responses, tmp_path, clock):
    """Build Conversations against the fake Rasa; keyword arguments override the defaults."""
    rasa, rasa_url = fake_rasa
    async with aiohttp.ClientSession() as http:

        def make(**overrides) -> Conversations:
            options = dict(
                rasa=RasaClient(http, [rasa_url], overrides.pop("rasa_timeout", 2.0)),
                store=store,
                tracker_admin=SQLiteTrackerAdmin(tmp_path / "tracker.db"),
                responses=responses,
                secret=SECRET,
                rate_limit_per_minute=20,
                max_message_chars=100,
                clock=clock,
            )
            options.update(overrides)
            return Conversations(**options)

        yield make


@pytest.fixture
def conversations(make_conversations) -> Conversations:
    return make_conversations()


@pytest.fixture
async def connect_proxy() -> AsyncIterator[Callable[..., Awaitable[tuple[ConnectProxy, str]]]]:
    """Starts tunnelling proxies on loopback (``await connect_proxy(password=...)``: the proxy
    and its host:port), stopped after the test."""
    async with starting(ConnectProxy) as start:
        yield start
