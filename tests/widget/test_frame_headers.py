"""Who may frame what: the widget's frame by the force sites (AIC_WIDGET_ORIGINS, or any), and
nothing else of bot/ by anyone. Headers of the whole app (``create_app``), and the setting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.settings import Settings, SettingsError
from tests.widget.standin import SECRET

ROOT = Path(__file__).resolve().parents[2]
SESSION = "0123456789abcdef0123456789abcdef"
FORCES = ("https://www.gwent.police.uk", "https://*.police.uk", "http://localhost:8000")


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


async def test_the_frame_may_be_framed_by_any_site_under_a_policy_of_its_own(client):
    response = await client.get("/widget/frame")
    assert response.status == 200
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy == {
        "default-src": "'none'",
        "script-src": "'self'",
        "style-src": "'self'",
        "connect-src": "'self'",
        "img-src": "'self'",
        "base-uri": "'none'",
        "form-action": "'none'",
        "frame-ancestors": "*",
    }
    assert "X-Frame-Options" not in response.headers
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_the_frame_may_be_framed_by_the_force_sites_named_only(settings: Settings):
    app = create_app(replace(settings, widget_origins=FORCES))
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/widget/frame")
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == "'self' " + " ".join(FORCES)
    assert "X-Frame-Options" not in response.headers


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/healthz"),
        ("GET", "/desk"),
        ("GET", "/desk/desk.js"),
        ("GET", "/desk/api/me"),
        ("GET", "/widget/widget.js"),
        ("GET", "/widget/frame.js"),
        ("GET", "/widget/frame.css"),
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
        assert policy["script-src"] == "'self'" and policy["frame-src"] == "'self'"


def test_widget_origins_are_read_from_the_environment():
    settings = Settings.from_env(
        {
            "AIC_PSEUDONYM_SECRET": "s" * 40,
            "AIC_WIDGET_ORIGINS": " https://WWW.Gwent.Police.uk/, https://*.police.uk,,"
            "http://localhost:8000 ",
        }
    )
    assert settings.widget_origins == FORCES
    assert Settings.from_env({"AIC_PSEUDONYM_SECRET": "s" * 40}).widget_origins == ()


@pytest.mark.parametrize(
    "value",
    [
        "*",
        "www.gwent.police.uk",
        "https://www.gwent.police.uk/advice",
        "https://www.gwent.police.uk; script-src *",
        "https://www.gwent.police.uk 'unsafe-inline'",
        "javascript:alert(1)",
        "https://user@www.gwent.police.uk",
        "'self'",
    ],
)
def test_a_widget_origin_that_is_not_an_origin_stops_the_start(value: str):
    with pytest.raises(SettingsError, match="AIC_WIDGET_ORIGINS"):
        Settings.from_env({"AIC_PSEUDONYM_SECRET": "s" * 40, "AIC_WIDGET_ORIGINS": value})
