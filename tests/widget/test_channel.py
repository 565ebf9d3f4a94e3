"""The widget's JSON channel, in-process, with Conversations replaced by a recording stand-in.

The browser tests (test_browser.py) go through the real bot/ and Rasa; these check what a
browser cannot easily send: malformed bodies, wrong ids, retries racing each other.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

import bot.widget
from bot.appkeys import CONVERSATIONS, SETTINGS
from bot.messages import Button, Reply
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SESSION = "0123456789abcdef0123456789abcdef"
YES = {"title": "Yes", "payload": "/affirm"}
UNAVAILABLE = "Sorry, I can't answer properly right now."


class RecordingConversations:
    """Answers each text with an echo and remembers every call."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.delay = 0.0
        self.forget_reply = [Reply("Done: deleted.")]
        self.fail = False

    # **_: the language a door may pass along is not this stand-in's concern.
    async def handle(self, channel, user_key, text=None, payload=None, **_):
        self.calls.append(("handle", channel, user_key, text, payload))
        await asyncio.sleep(self.delay)
        if self.fail:
            raise RuntimeError("bot/ broke")
        return [Reply(f"echo: {text or payload}", (Button("Yes", "/affirm"),))]

    async def command(self, channel, user_key, name, **_):
        self.calls.append(("command", channel, user_key, name))
        return [Reply("Hello.")]

    async def language(self, channel, user_key):
        return "en"

    def answered_in(self):
        return "en"

    async def history(self, channel, user_key):
        self.calls.append(("history", channel, user_key))
        return [
            {"from": "user", "text": "/start", "buttons": []},
            {"from": "bot", "text": "Hello.", "buttons": []},
            {"from": "user", "text": "hi", "buttons": []},
            {
                "from": "bot",
                "text": "echo: hi",
                "buttons": [{"title": "Yes", "payload": "/affirm"}],
            },
        ]

    async def forget(self, channel, user_key):
        self.calls.append(("forget", channel, user_key))
        return self.forget_reply


@pytest.fixture
def domain(tmp_path: Path) -> Path:
    path = tmp_path / "domain.yml"
    path.write_text(
        "version: '3.1'\nresponses:\n"
        f'  utter_frontdoor_unavailable:\n    - text: "{UNAVAILABLE}"\n'
    )
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "knowledge.yml").write_text("forces:\n  gwent:\n    name: Gwent Police\n")
    return path


@pytest.fixture
async def client(domain: Path) -> AsyncIterator[TestClient]:
    app = web.Application()
    app[SETTINGS] = Settings(pseudonym_secret=b"x" * 32, domain_path=domain)
    app[CONVERSATIONS] = RecordingConversations()  # type: ignore[assignment]
    bot.widget.setup(app)
    async with TestClient(TestServer(app)) as client:
        yield client


def conversations(client: TestClient) -> RecordingConversations:
    return client.app[CONVERSATIONS]  # type: ignore[return-value]


def message(**fields) -> dict:
    return {"session": SESSION, "id": ID, **fields}


async def test_a_message_is_answered_with_replies_and_buttons(client):
    response = await client.post("/widget/api/message", json=message(text="hi"))
    assert response.status == 200
    assert (await response.json())["replies"] == [
        {"text": "echo: hi", "buttons": [{"title": "Yes", "payload": "/affirm"}]}
    ]
    assert conversations(client).calls == [("handle", "widget", SESSION, "hi", None)]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "no-store"


async def test_a_button_press_is_sent_as_a_payload_and_start_as_a_command(client):
    await client.post("/widget/api/message", json=message(payload="/affirm"))
    await client.post("/widget/api/message", json=message(id="e" * 32, command="start"))
    assert conversations(client).calls == [
        ("handle", "widget", SESSION, None, "/affirm"),
        ("command", "widget", SESSION, "start"),
    ]


ID = "f" * 32


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'"text"',
        b"{}",
        *(
            json.dumps(fields).encode()
            for fields in (
                {"session": "0123", "id": ID, "text": "hi"},
                {"session": SESSION.upper(), "id": ID, "text": "hi"},
                {"session": 5, "id": ID, "text": "hi"},
                {"session": SESSION, "text": "hi"},
                {"session": SESSION, "id": "1", "text": "hi"},
                {"session": SESSION, "id": ID},
                {"session": SESSION, "id": ID, "text": "hi", "payload": "/affirm"},
                {"session": SESSION, "id": ID, "text": ["hi"]},
                {"session": SESSION, "id": ID, "payload": ""},
                {"session": SESSION, "id": ID, "command": "forget"},
            )
        ),
    ],
)
async def test_malformed_messages_get_a_clean_400(client, body):
    response = await client.post(
        "/widget/api/message", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert (await response.json())["error"] == "bad_request"
    assert conversations(client).calls == []


async def test_oversized_fields_and_bodies_get_a_clean_400(client):
    too_long = await client.post("/widget/api/message", json=message(text="a" * 8001))
    assert too_long.status == 400
    too_big = await client.post("/widget/api/message", data=b"{" + b" " * 20000 + b"}")
    assert too_big.status == 400
    assert (await too_big.json())["detail"] == "body too large"
    for path in ("/widget/api/history", "/widget/api/forget"):
        bad = await client.post(path, json={"session": "../../etc"})
        assert bad.status == 400
    assert conversations(client).calls == []


async def test_a_long_message_within_the_cap_reaches_conversations_which_answers_it(client):
    # Conversations has its own, lower limit and answers with its "too long" message.
    response = await client.post("/widget/api/message", json=message(text="a" * 5000))
    assert response.status == 200


async def test_a_retried_message_is_processed_once(client):
    conversations(client).delay = 0.2
    body = message(text="once")
    first, second = await asyncio.gather(
        client.post("/widget/api/message", json=body),
        client.post("/widget/api/message", json=body),
    )
    third = await client.post("/widget/api/message", json=body)
    answers = [await r.json() for r in (first, second, third)]
    assert answers[0] == answers[1] == answers[2]
    assert len(conversations(client).calls) == 1
    # A new id is a new message.
    await client.post("/widget/api/message", json=message(id="a" * 32, text="once"))
    assert len(conversations(client).calls) == 2


async def test_a_failure_in_bot_still_gives_the_safety_message_and_allows_a_retry(client):
    conversations(client).fail = True
    response = await client.post("/widget/api/message", json=message(text="hi"))
    assert response.status == 200
    assert (await response.json())["replies"][0]["text"] == UNAVAILABLE
    conversations(client).fail = False
    retry = await client.post("/widget/api/message", json=message(text="hi"))
    assert (await retry.json())["replies"][0]["text"] == "echo: hi"


async def test_history_leaves_out_the_start_command(client):
    response = await client.post("/widget/api/history", json={"session": SESSION})
    assert response.status == 200
    assert (await response.json())["messages"] == [
        {"from": "bot", "text": "Hello.", "buttons": []},
        {"from": "user", "text": "hi", "buttons": []},
        {"from": "bot", "text": "echo: hi", "buttons": [{"title": "Yes", "payload": "/affirm"}]},
    ]


async def test_forget_reports_success_only_when_conversations_deleted(client):
    ok = await client.post("/widget/api/forget", json={"session": SESSION})
    assert ok.status == 200
    assert await ok.json() == {"ok": True, "text": "Done: deleted."}
    conversations(client).forget_reply = [Reply(UNAVAILABLE)]
    failed = await client.post("/widget/api/forget", json={"session": SESSION})
    assert failed.status == 503
    assert (await failed.json())["ok"] is False


async def test_forget_accepts_the_quick_exit_beacon_sent_as_text_plain(client):
    response = await client.post(
        "/widget/api/forget",
        data=f'{{"session": "{SESSION}"}}',
        headers={"Content-Type": "text/plain;charset=UTF-8"},
    )
    assert response.status == 200
    assert conversations(client).calls == [("forget", "widget", SESSION)]


async def test_config_gives_the_unavailable_text_from_the_domain_and_the_force_name(client):
    response = await client.get("/widget/config.json?force=gwent")
    data = await response.json()
    assert data["unavailable"] == UNAVAILABLE
    assert data["force_name"] == "Gwent Police"
    unknown = await (await client.get("/widget/config.json?force=nowhere")).json()
    assert unknown["force_name"] is None


async def test_preflight_allows_cross_origin_json_posts(client):
    response = await client.options(
        "/widget/api/message",
        headers={"Origin": "https://force.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]


async def test_the_widget_files_the_frame_and_the_demo_page_are_served(client):
    script = await client.get("/widget/widget.js")
    assert script.status == 200
    assert "javascript" in script.headers["Content-Type"]
    # Loaded by every force's page.
    assert script.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    frame = await client.get("/widget/frame")
    assert frame.status == 200
    assert "text/html" in frame.headers["Content-Type"]
    assert 'src="frame.js"' in await frame.text()
    for path, kind in (("/widget/frame.js", "javascript"), ("/widget/frame.css", "text/css")):
        response = await client.get(path)
        assert response.status == 200
        assert kind in response.headers["Content-Type"]
        # Only the frame, on bot/'s own origin, loads these.
        assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
        assert "Access-Control-Allow-Origin" not in response.headers
    # (Not found: 405, as the widget's paths answer OPTIONS for CORS preflights.)
    assert (await client.get("/widget/widget.css")).status in (404, 405)
    # Only the demo's stylesheet is served from the static folder, not the folder's files.
    assert (await client.get("/widget/static/demo.css")).status == 200
    assert (await client.get("/widget/static/frame.html")).status in (404, 405)
    page = await client.get("/")
    assert page.status == 200
    # The demo page needs no more than a force's page: script-src and frame-src for the
    # assistant's host (here its own).
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-src 'self'" in policy
    assert "connect-src" not in policy
    html = await page.text()
    assert 'src="/widget/widget.js"' in html
    assert "Demo page" in html


STATIC = ROOT / "bot" / "widget" / "static"


def test_the_widget_source_never_touches_local_storage_cookies_or_html_parsing():
    # A guard on the source; the browser tests check the storage of a real session.
    for name in ("widget.js", "frame.js"):
        source = (STATIC / name).read_text()
        assert not re.search(r"localStorage\s*[.\[]", source), name
        assert not re.search(r"\.cookie\b", source), name
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", source), (
            name
        )


def test_the_page_script_keeps_nothing_and_asks_the_network_nothing():
    # The page's script draws the launcher and the frame; everything else is the frame's.
    # The browser tests (test_frame.py) check a real page's storage, DOM and messages.
    source = (STATIC / "widget.js").read_text()
    for use in (
        "sessionStorage",
        "localStorage",
        "indexedDB",
        "fetch(",
        "XMLHttpRequest",
        "sendBeacon",
        "WebSocket",
        "EventSource",
    ):
        assert use not in source, use
