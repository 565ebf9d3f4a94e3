"""bot/telegram_replies.py: replies as Telegram messages, and how they are sent.

The sending tests run the door's own bot (``TelegramDoor``: python-telegram-bot's ``ExtBot``
on ``HTTPXRequest`` with ``AIORateLimiter``) against the benchmarks' Bot API peer on loopback:
flood control, a Bot API that is down, and an HTTP proxy on the way.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import subprocess
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram.error import NetworkError

from bench.bot_api_peer import BotApiPeer
from bot.logs import WithholdValues
from bot.messages import Button, Reply
from bot.settings import Settings
from bot.telegram_door import TelegramDoor
from bot.telegram_replies import keyboard, one_message_per_keyboard, split_text, utf16_len
from tests.bot.conftest import SECRET

YES_NO = (Button("Yes", "/affirm"), Button("No", "/deny"))


def test_a_short_text_is_one_part():
    assert split_text("hello") == ["hello"]


def test_a_long_text_splits_at_paragraphs_first():
    text = "a" * 3000 + "\n\n" + "b" * 3000
    assert split_text(text) == ["a" * 3000, "b" * 3000]


def test_astral_characters_count_double():
    text = "😀" * 3000  # 6000 UTF-16 units
    parts = split_text(text)
    assert len(parts) == 2
    assert all(utf16_len(part) <= 4096 for part in parts)
    assert "".join(parts) == text


@given(st.text(alphabet=st.sampled_from("ab \n😀"), max_size=12000))
def test_parts_fit_and_keep_every_character(text):
    parts = split_text(text, limit=500)
    assert all(0 < utf16_len(part) <= 500 for part in parts)
    # Only whitespace at the cuts may go.
    assert "".join("".join(parts).split()) == "".join(text.split())


def test_keyboard_data_fits_telegram_whatever_the_payload():
    long_payload = '/inform{"platform":"' + "x" * 200 + '"}'
    rows = keyboard((Button("Yes", "/affirm"), Button("Other", long_payload))).inline_keyboard
    assert [row[0].text for row in rows] == ["Yes", "Other"]
    assert all(len(row[0].callback_data.encode()) <= 64 for row in rows)
    assert rows[1][0].callback_data == Button("Other", long_payload).token


def test_a_button_set_keyboard_is_built_once():
    assert keyboard(YES_NO) is keyboard((Button("Yes", "/affirm"), Button("No", "/deny")))
    assert keyboard(YES_NO[:1]) != keyboard(YES_NO)


def test_a_turns_replies_become_one_message_per_keyboard():
    yes = (Button("Yes", "/affirm"),)
    stop = (Button("Stop", "/stop"),)
    assert one_message_per_keyboard([]) == []
    assert one_message_per_keyboard([Reply("One."), Reply("Two?", yes)]) == [
        Reply("One.\n\nTwo?", yes)
    ]
    # Buttons stay under the text they belong to; what follows starts a new message.
    assert one_message_per_keyboard(
        [Reply("A", yes), Reply("B"), Reply("C", stop), Reply("D"), Reply("E")]
    ) == [Reply("A", yes), Reply("B\n\nC", stop), Reply("D\n\nE")]


# Sending, through the door's bot.


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch):
    """As ``python -m bot`` runs: PTB's durations as timedelta (its int form is deprecated,
    and a warning is an error here)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def peer() -> AsyncIterator[tuple[BotApiPeer, str]]:
    peer = BotApiPeer()
    url = await peer.start()
    yield peer, url
    await peer.stop()


def door_settings(api_url: str, **changes) -> Settings:
    return replace(
        Settings(),
        pseudonym_secret=SECRET,
        telegram_token="4242:unit-test",
        telegram_api_url=f"{api_url}/bot",
        **changes,
    )


@pytest.fixture
async def make_door(conversations, responses):
    """``await make_door(settings)``: a door whose bot is initialised (it has called getMe),
    not started; shut down after the test."""
    doors: list[TelegramDoor] = []

    async def make(settings: Settings) -> TelegramDoor:
        door = TelegramDoor(settings, conversations, responses)
        doors.append(door)
        await door.application.initialize()
        return door

    yield make
    for door in doors:
        await door.stop()


def keyboard_of(sent) -> list[str]:
    return [title for title, _ in sent.buttons]


async def test_replies_arrive_as_few_messages_as_carry_them(peer, make_door, caplog):
    api, url = peer
    # bot/'s log filter, on every record down to PTB's and httpx's debug ones.
    caplog.handler.addFilter(WithholdValues())
    caplog.set_level(logging.DEBUG)
    door = await make_door(door_settings(url))
    long = "word " * 1000  # 5000 characters: two messages
    await door.push(7, [Reply("One."), Reply("Have you paid?", YES_NO), Reply(long, YES_NO)])
    first, second, third = api.sent[7]
    assert "Have you paid" not in caplog.text and "unit-test" not in caplog.text
    assert (first.text, keyboard_of(first)) == ("One.\n\nHave you paid?", ["Yes", "No"])
    # A long text in parts, its buttons under the last.
    assert (second.buttons, keyboard_of(third)) == ([], ["Yes", "No"])
    assert (second.text + " " + third.text).split() == long.split()
    assert [token for _, token in first.buttons] == [b.token for b in YES_NO]


async def test_flood_control_is_waited_out_and_the_message_arrives(peer, make_door):
    api, url = peer
    door = await make_door(door_settings(url))
    api.throttle("sendMessage", 1)  # Telegram's 429: "retry after 1"
    started = asyncio.get_running_loop().time()
    await door.push(7, [Reply("Are you safe right now?", YES_NO)])
    waited = asyncio.get_running_loop().time() - started
    assert [s.text for s in api.sent[7]] == ["Are you safe right now?"]
    assert (api.throttled["sendMessage"], api.calls["sendMessage"]) == (1, 1)
    assert waited >= 1.0  # the limiter waited as long as Telegram asked


async def test_an_optional_call_is_tried_twice_then_done_without(
    peer, conversations, responses, caplog
):
    api, url = peer
    api.throttle("setMyCommands", 1, 1)
    door = TelegramDoor(door_settings(url), conversations, responses)
    try:
        await door.start()  # does not raise: the commands are not needed to talk
    finally:
        await door.stop()
    # The English commands met two 429s and were given up; the Welsh ones went through.
    assert (api.throttled["setMyCommands"], api.calls["setMyCommands"]) == (2, 1)
    assert "telegram setMyCommands failed: RetryAfter" in caplog.text
    assert api.calls["getUpdates"] >= 1  # and the door went on to poll


async def test_a_bot_api_that_is_down_is_a_network_error_at_once(peer, make_door, caplog):
    api, url = peer
    door = await make_door(door_settings(url))
    await api.stop()
    started = asyncio.get_running_loop().time()
    with pytest.raises(NetworkError):
        await door.push(7, [Reply("a private thing")])
    # Not repeated: the door's error handler answers with the safety message instead.
    assert asyncio.get_running_loop().time() - started < 2.0
    assert "a private thing" not in caplog.text


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
async def tls_peer(certificate, monkeypatch) -> AsyncIterator[tuple[BotApiPeer, str]]:
    """The peer over https, as api.telegram.org, with a certificate httpx is made to trust
    (``SSL_CERT_FILE``, read when a request object is made)."""
    cert, key = certificate
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    peer = BotApiPeer()
    url = await peer.start(tls=tls)
    yield peer, url
    await peer.stop()


async def test_calls_go_through_the_proxy(tls_peer, make_door, connect_proxy):
    api, url = tls_peer
    proxy, address = await connect_proxy(password="s3cret")
    door = await make_door(door_settings(url, telegram_proxy_url=f"http://user:s3cret@{address}"))
    await door.push(7, [Reply("Have you paid?", YES_NO)])
    await door.push(7, [Reply("Thank you.")])
    assert [s.text for s in api.sent[7]] == ["Have you paid?", "Thank you."]
    assert api.calls["getMe"] == 1
    # One tunnel to the Bot API, kept alive for getMe and both messages.
    assert proxy.tunnels == [url.removeprefix("https://").encode()]


async def test_a_proxy_that_refuses_stops_the_calls(
    tls_peer, conversations, responses, connect_proxy
):
    api, url = tls_peer
    _, address = await connect_proxy(password="s3cret")
    settings = door_settings(url, telegram_proxy_url=f"http://user:wrong@{address}")
    door = TelegramDoor(settings, conversations, responses)
    try:
        with pytest.raises(NetworkError):
            await door.application.initialize()
    finally:
        await door.stop()
    assert not api.calls
