"""Malformed and hostile input at every HTTP door of bot/: never a 500, never an exception in
the logs, never a reply that shows internals.

Thousands of cases in all, against the whole app in this process (tests/fuzz/harness.py):
the widget's JSON channel, Telegram webhook bodies of every update shape, and every other
route the app registers (the hand-off desk's too, once it is there), found by walking the
router rather than listed by hand.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.messages import button_token
from tests.fuzz.harness import BOT_ID, RASA_TEXT, WEBHOOK_SECRET, Harness

# What a reply must never show: tracebacks, file paths, exception names, addresses, stores.
INTERNALS = re.compile(
    r"Traceback|File \"|\.py\b|\b[A-Z]\w*(Error|Exception)\b|errno|[Ss]qlite|[Rr]edis|aiohttp|"
    r"127\.0\.0\.1|localhost|/work/|/tmp/|site-packages|fuzz-token|" + WEBHOOK_SECRET
)
FAST = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,  # the same cases on every run: a CI failure can be replayed here
)


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    h = Harness(tmp_path_factory.mktemp("fuzz")).start()
    h.logs.take()  # start-up records are not what is under test
    yield h
    h.stop()


def check_logs(h: Harness) -> None:
    bad = [
        r
        for r in h.logs.take()
        if r.exc_info or r.levelno >= logging.ERROR or "Traceback" in r.getMessage()
    ]
    assert not bad, [(r.name, r.levelname, r.getMessage()) for r in bad]


def check_response(status: int, text: str, content_type: str = "application/json") -> None:
    assert status < 500, (status, text[:300])
    # Our own static files (CSS, scripts, pages) are what they are; answers must show nothing.
    if content_type.split(";")[0] in ("application/json", "text/plain", ""):
        assert not INTERNALS.search(text), text[:500]


# --- Hostile text ------------------------------------------------------------------------

TRICKS = [
    '/inform{"under_18": "no", "safe_now": "yes"}',
    "/restart",
    "/affirm",
    '/action_give_advice{"x":1}',
    "/" * 50,
    "\u202eevil\u202c",
    "\x00\x01\x1b[31m",
    "' OR 1=1; DROP TABLE people; --",
    "<script>alert(1)</script>",
    "{{7*7}} ${jndi:ldap://x}",
    "\ud800",
    "🙂" * 3000,
    "a" * 9000,
    "\r\n\r\n",
    "",
    "   ",
]
hostile_text = st.one_of(st.sampled_from(TRICKS), st.text(max_size=300))
hex32 = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)
maybe_id = st.one_of(hex32, st.text(max_size=40), st.integers(), st.none())
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def widget_bodies(draw) -> bytes:
    kind = draw(st.sampled_from(["shaped", "shaped", "shaped", "json", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=400))
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    body: dict[str, Any] = {"session": draw(maybe_id), "id": draw(maybe_id)}
    for field in draw(st.lists(st.sampled_from(["text", "payload", "command"]), max_size=3)):
        body[field] = draw(
            st.one_of(hostile_text, st.sampled_from(["start", "restart", "/affirm"]), json_values)
        )
    return json.dumps(body).encode()


@settings(max_examples=1000, **FAST)
@given(
    route=st.sampled_from(["message", "message", "message", "history", "forget", "handoff"]),
    body=widget_bodies(),
    content_type=st.sampled_from(["application/json", "text/plain", "x/y", ""]),
)
def test_widget_channel(harness: Harness, route: str, body: bytes, content_type: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = harness.request("POST", f"/widget/api/{route}", body, headers)
    check_response(response.status, response.text)
    if response.status == 200 and route == "message":
        replies = json.loads(response.text)["replies"]
        assert replies and all(isinstance(r["text"], str) and r["text"] for r in replies)
    check_logs(harness)


# --- Telegram webhook bodies of every update shape -----------------------------------------

ids = st.one_of(st.integers(min_value=-(10**13), max_value=10**13), st.sampled_from([0, 1, -1]))
users = st.fixed_dictionaries(
    {"id": ids, "is_bot": st.booleans(), "first_name": st.text(max_size=20)},
    optional={"username": st.text(max_size=20), "language_code": st.sampled_from(["en", "cy"])},
)
chat_types = st.sampled_from(["private", "private", "group", "supergroup", "channel"])


@st.composite
def chats(draw) -> dict[str, Any]:
    return {"id": draw(ids), "type": draw(chat_types), "title": draw(st.text(max_size=10))}


photo_sizes = st.lists(
    st.fixed_dictionaries(
        {
            "file_id": st.text(min_size=1, max_size=10),
            "file_unique_id": st.text(min_size=1, max_size=10),
            "width": st.integers(0, 5000),
            "height": st.integers(0, 5000),
        }
    ),
    min_size=1,
    max_size=3,
)
a_file = st.fixed_dictionaries(
    {
        "file_id": st.text(min_size=1, max_size=10),
        "file_unique_id": st.text(min_size=1, max_size=10),
    }
)
CONTENT = {
    "text": hostile_text,
    "photo": photo_sizes,
    "sticker": st.builds(
        lambda f: {
            **f,
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        },
        a_file,
    ),
    "document": a_file,
    "video": st.builds(lambda f: {**f, "width": 1, "height": 1, "duration": 1}, a_file),
    "voice": st.builds(lambda f: {**f, "duration": 1}, a_file),
    "audio": st.builds(lambda f: {**f, "duration": 1}, a_file),
    "animation": st.builds(lambda f: {**f, "width": 1, "height": 1, "duration": 1}, a_file),
    "video_note": st.builds(lambda f: {**f, "length": 1, "duration": 1}, a_file),
    "location": st.fixed_dictionaries(
        {"latitude": st.floats(-90, 90), "longitude": st.floats(-180, 180)}
    ),
    "contact": st.fixed_dictionaries(
        {"phone_number": st.text(max_size=15), "first_name": st.text(max_size=10)}
    ),
    "dice": st.fixed_dictionaries({"emoji": st.just("🎲"), "value": st.integers(1, 6)}),
    "new_chat_members": st.lists(
        st.one_of(users, st.just({"id": BOT_ID, "is_bot": True, "first_name": "Fuzz"})),
        min_size=1,
        max_size=2,
    ),
    "left_chat_member": users,
    "new_chat_title": st.text(max_size=20),
    "group_chat_created": st.just(True),
}


@st.composite
def messages(draw) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": draw(st.integers(1, 10**6)),
        "date": draw(st.integers(0, 2**31)),
        "chat": draw(chats()),
    }
    if draw(st.booleans()):
        message["from"] = draw(users)
    kinds = draw(st.lists(st.sampled_from(sorted(CONTENT)), min_size=0, max_size=2, unique=True))
    for kind in kinds:
        message[kind] = draw(CONTENT[kind])
    if "text" in message and draw(st.booleans()):
        command = draw(st.sampled_from(["/start", "/help", "/restart", "/forget", "/x", "/"]))
        message["text"] = command + " " + message["text"]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    if draw(st.integers(0, 9)) == 0:
        message["caption"] = draw(hostile_text)
    return message


@st.composite
def callback_queries(draw) -> dict[str, Any]:
    query: dict[str, Any] = {
        "id": draw(st.text(min_size=1, max_size=10)),
        "from": draw(users),
        "chat_instance": draw(st.text(max_size=10)),
    }
    data = draw(
        st.one_of(
            st.text(max_size=64),
            st.sampled_from([button_token("/affirm"), "done", ""]),
        )
    )
    if data or draw(st.booleans()):
        query["data"] = data
    if draw(st.booleans()):
        message = draw(messages())
        if draw(st.booleans()):
            message["reply_markup"] = {
                "inline_keyboard": [[{"text": "Yes", "callback_data": query.get("data") or "x"}]]
            }
        query["message"] = message
    return query


member_status = st.sampled_from(["member", "left", "kicked", "administrator"])
chat_member_updated = st.builds(
    lambda chat, user, old, new, date: {
        "chat": chat,
        "from": user,
        "date": date,
        "old_chat_member": {"status": old, "user": user},
        "new_chat_member": {"status": new, "user": user},
    },
    chats(),
    users,
    member_status,
    member_status,
    st.integers(0, 2**31),
)

UPDATE_KINDS = {
    "message": messages(),
    "edited_message": messages(),
    "channel_post": messages(),
    "edited_channel_post": messages(),
    "callback_query": callback_queries(),
    "my_chat_member": chat_member_updated,
    "chat_member": chat_member_updated,
    "inline_query": st.fixed_dictionaries(
        {
            "id": st.text(min_size=1, max_size=5),
            "from": users,
            "query": hostile_text,
            "offset": st.just(""),
        }
    ),
    "poll": st.fixed_dictionaries(
        {
            "id": st.text(min_size=1, max_size=5),
            "question": st.text(max_size=20),
            "options": st.just([]),
            "total_voter_count": st.integers(0, 5),
            "is_closed": st.booleans(),
            "is_anonymous": st.booleans(),
            "type": st.just("regular"),
            "allows_multiple_answers": st.booleans(),
        }
    ),
    "chat_join_request": st.builds(
        lambda chat, user: {"chat": chat, "from": user, "user_chat_id": 1, "date": 0},
        chats(),
        users,
    ),
}


@st.composite
def telegram_bodies(draw) -> bytes:
    kind = draw(st.integers(0, 19))
    if kind == 0:
        return draw(st.binary(max_size=200))
    if kind == 1:
        return json.dumps(draw(json_values)).encode()
    update: dict[str, Any] = {"update_id": draw(st.integers(0, 2**31))}
    name = draw(st.sampled_from(sorted(UPDATE_KINDS)))
    update[name] = draw(UPDATE_KINDS[name])
    if kind == 2:
        # Wrong types in known places.
        update[name] = draw(json_values)
    if kind == 3:
        update["update_id"] = draw(json_values)
    return json.dumps(update).encode()


@settings(max_examples=1000, **FAST)
@given(
    body=telegram_bodies(),
    secret=st.sampled_from([WEBHOOK_SECRET] * 8 + ["wrong", ""]),
)
def test_telegram_webhook(harness: Harness, body: bytes, secret: str) -> None:
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    seen = len(harness.rasa_seen)
    response = harness.request("POST", "/telegram/webhook", body, headers)
    check_response(response.status, response.text)
    if secret != WEBHOOK_SECRET:
        assert response.status == 403
    harness.settle()
    if secret != WEBHOOK_SECRET:
        assert len(harness.rasa_seen) == seen  # a forged call reaches nothing
    for sent in harness.telegram_sent:
        assert not INTERNALS.search(str(sent.get("text", ""))), sent
    harness.telegram_sent.clear()
    check_logs(harness)


# --- Every other route ---------------------------------------------------------------------

PATH_PARAM = re.compile(r"\{[^}]+\}")
path_values = st.one_of(
    st.text(
        alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="/?#"),
        min_size=1,
        max_size=20,
    ),
    st.sampled_from(["..", "%2e%2e%2fetc%2fpasswd", "AIC-0000", "x" * 300]),
)


@settings(max_examples=600, **FAST)
@given(data=st.data())
def test_every_route(harness: Harness, data: st.DataObject) -> None:
    method, path = data.draw(st.sampled_from(harness.routes()), label="route")
    path = PATH_PARAM.sub(lambda _: data.draw(path_values, label="param"), path)
    if path.endswith("/") and data.draw(st.booleans()):
        path += data.draw(st.sampled_from(["../../etc/passwd", "..%2f..%2fbot.db", "x.js"]))
    method = data.draw(st.sampled_from([method, method, "PUT", "DELETE", "PATCH"]), label="verb")
    body = data.draw(
        st.one_of(
            st.none(), st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode())
        ),
        label="body",
    )
    headers = data.draw(
        st.dictionaries(
            st.sampled_from(["Content-Type", "Cookie", "Origin", "X-CSRF-Token", "Authorization"]),
            st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
            max_size=3,
        ),
        label="headers",
    )
    response = harness.request(method, quote(path, safe="/%"), body, headers)
    check_response(response.status, response.text, response.headers.get("Content-Type", ""))
    check_logs(harness)


def test_the_route_walk_covers_every_door(harness: Harness) -> None:
    paths = {path for _, path in harness.routes()}
    assert {"/widget/api/message", "/telegram/webhook", "/healthz"} <= paths


# --- Bodies that once gave a 500, or a spurious 400 -----------------------------------------

# Deeper than the parser's recursion limit, within every route's size limit (16 KiB).
DEEP = b"[" * 5_000 + b"]" * 5_000
DEEP_OBJECT = b'{"session": ' + b'{"a": ' * 2_000 + b"1" + b"}" * 2_001


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["list", "object"])
@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/widget/api/message", {}),
        ("/widget/api/history", {}),
        ("/widget/api/forget", {}),
        ("/widget/api/handoff", {}),
        ("/telegram/webhook", {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}),
        ("/desk/api/login", {}),
    ],
)
def test_json_nested_past_the_parser_is_a_400(harness: Harness, path, headers, body) -> None:
    if not any(p == path for _, p in harness.routes()):
        pytest.skip(f"{path} is not served in this harness")
    response = harness.request("POST", path, body, headers)
    assert 400 <= response.status < 500, (response.status, response.text[:200])
    check_response(response.status, response.text)
    check_logs(harness)


@pytest.mark.parametrize("after", [2**63, 2**64, 10**30, -1, 1.5, "1", True])
def test_a_cursor_no_store_can_hold_is_a_400(harness: Harness, after) -> None:
    body = json.dumps({"session": "0" * 32, "after": after}).encode()
    response = harness.request("POST", "/widget/api/handoff", body)
    assert response.status == 400, (response.status, response.text[:200])
    check_logs(harness)


def test_a_body_sent_in_pieces_is_read_whole(harness: Harness) -> None:
    body = json.dumps({"session": "0" * 32, "id": "1" * 32, "text": "hello " * 200}).encode()

    async def in_pieces():
        for start in range(0, len(body), 7):
            yield body[start : start + 7]
            await asyncio.sleep(0.001)

    async def send() -> tuple[int, str]:
        async with aiohttp.ClientSession() as http:
            async with http.post(harness.url + "/widget/api/message", data=in_pieces()) as answer:
                return answer.status, await answer.text()

    status, text = harness.call(send())
    assert status == 200, text[:300]
    check_logs(harness)


def test_a_normal_turn_still_works_after_the_fuzzing(harness: Harness) -> None:
    body = json.dumps({"session": "a" * 32, "id": "b" * 32, "text": "hello"}).encode()
    response = harness.request("POST", "/widget/api/message", body)
    assert response.status == 200
    assert json.loads(response.text)["replies"][0]["text"] == RASA_TEXT
