"""Nothing bot/ serves may be framed by another site's page (``bot/framing.py``). Headers of the
whole app (``create_app``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SECRET = b"widget-browser-tests-secret-0123456789"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        rasa_url="http://127.0.0.1:9",  # nothing is asked of Rasa here
        data_dir=tmp_path / "var",
        pseudonym_secret=SECRET,
        tracker_db=tmp_path / "tracker.db",
        domain_path=ROOT / "domain.yml",
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


def directives(policy: str) -> dict[str, str]:
    parts = (part.strip().split(None, 1) for part in policy.split(";") if part.strip())
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/healthz"),
        ("GET", "/desk"),
        ("GET", "/desk/desk.js"),
        ("GET", "/desk/api/me"),
        ("GET", "/widget/widget.js"),
        ("GET", "/widget/config.json"),
        ("GET", "/widget/api/ping"),
        ("POST", "/widget/api/history"),
        ("OPTIONS", "/widget/api/message"),
        ("GET", "/no-such-page"),
    ],
)
async def test_nothing_else_of_bot_may_be_framed(client, method: str, path: str):
    response = await client.request(method, path, json={"session": "not an id"})
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == "'none'", (path, response.status)
    assert response.headers["X-Frame-Options"] == "DENY"
    # A page's own policy is kept, with the framing rule added to it, never replaced.
    if path == "/":
        assert policy["script-src"] == "'self'" and policy["connect-src"] == "'self'"
