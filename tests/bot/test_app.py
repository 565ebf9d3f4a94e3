from __future__ import annotations

import io
import logging
import os
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.appkeys import CONVERSATIONS
from bot.responses import MissingResponses
from bot.settings import Settings
from tests.bot.conftest import SECRET


@pytest.fixture
def settings(tmp_path: Path, domain_path: Path, fake_rasa) -> Settings:
    _, rasa_url = fake_rasa
    return Settings(
        rasa_url=rasa_url,
        rasa_timeout=2.0,
        data_dir=tmp_path / "var",
        pseudonym_secret=SECRET,
        tracker_db=tmp_path / "tracker.db",
        domain_path=domain_path,
    )


async def test_the_app_starts_answers_health_and_talks_to_rasa(settings, caplog):
    caplog.set_level(logging.DEBUG)
    async with TestClient(TestServer(create_app(settings))) as client:
        response = await client.get("/healthz")
        assert response.status == 200
        assert await response.json() == {"status": "ok"}
        conversations = client.app[CONVERSATIONS]
        replies = await conversations.handle("telegram", 987654321, text="a private thing")
        assert [r.text for r in replies] == ["echo: a private thing"]
    assert (settings.data_dir / "bot.db").exists()
    # Logs carry neither what people write nor their ids.
    assert "private thing" not in caplog.text
    assert "987654321" not in caplog.text


async def test_the_app_keeps_its_state_across_a_restart(settings, fake_rasa):
    rasa, _ = fake_rasa
    rasa.buttons = [{"title": "Yes", "payload": "/affirm"}]
    async with TestClient(TestServer(create_app(settings))) as client:
        await client.app[CONVERSATIONS].handle("widget", "s1", text="hi")
    async with TestClient(TestServer(create_app(settings))) as client:
        await client.app[CONVERSATIONS].handle("widget", "s1", payload="/affirm")
    assert rasa.received[-1]["message"] == '/affirm{"language": "en"}'


def test_a_domain_without_bot_responses_stops_the_start(settings, tmp_path: Path):
    empty = tmp_path / "empty.yml"
    empty.write_text("version: '3.1'\nresponses: {}\n")
    with pytest.raises(MissingResponses):
        create_app(replace(settings, domain_path=empty))


def test_library_records_that_quote_updates_are_withheld():
    from bot.logs import WithholdValues

    record = logging.LogRecord(
        "telegram.ext.ExtBot",
        logging.CRITICAL,
        __file__,
        1,
        "Error while parsing updates! Received data was %r",
        ({"chat": {"id": 987654321}},),
        None,
    )
    WithholdValues().filter(record)
    assert "987654321" not in record.getMessage()
    own = logging.LogRecord(
        "bot.conversation", logging.INFO, __file__, 1, "on %s", ("telegram",), None
    )
    WithholdValues().filter(own)
    assert own.getMessage() == "on telegram"


async def test_telegram_unreachable_at_start_keeps_the_rest_up(settings, unused_tcp_port, caplog):
    unreachable = replace(
        settings,
        telegram_token="123:unit-test",
        telegram_api_url=f"http://127.0.0.1:{unused_tcp_port}/bot",
    )
    async with TestClient(TestServer(create_app(unreachable))) as client:
        assert (await client.get("/healthz")).status == 200
        replies = await client.app[CONVERSATIONS].handle("widget", "s1", text="hi")
        assert [r.text for r in replies] == ["echo: hi"]
    assert "telegram door not up" in caplog.text


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.mark.parametrize("route", ["/widget/api/message", "/telegram/webhook", "/healthz"])
@pytest.mark.parametrize("encoding", ["deflate", "gzip", "br", "identity, deflate"])
async def test_a_compressed_body_is_refused_unread(settings, route, encoding):
    """A deflate bomb: 200 KiB on the wire, 200 MiB of zeros inflated (CVE-2025-69223)."""
    import zlib

    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = bomb.compress(b"\0" * (200 * 1024 * 1024)) + bomb.flush()
    assert len(body) < 256 * 1024
    async with TestClient(TestServer(create_app(settings))) as client:
        before = _rss_bytes()
        response = await client.post(
            route,
            data=body,
            headers={"Content-Encoding": encoding, "Content-Type": "application/json"},
        )
        grown = _rss_bytes() - before
        assert grown < 32 * 1024 * 1024
        assert response.status == 415
        assert await response.json() == {"error": "unsupported_content_encoding"}
        # The app goes on answering plain requests.
        assert (await client.get("/healthz")).status == 200


async def test_a_compressed_body_past_any_size_is_refused_without_reading_it_all(settings):
    body = os.urandom(4 * 1024 * 1024)
    async with TestClient(TestServer(create_app(settings))) as client:
        try:
            response = await client.post(
                "/widget/api/message", data=io.BytesIO(body), headers={"Content-Encoding": "gzip"}
            )
            # Answered before the rest arrived, then the connection was closed.
            assert response.status == 415
        except aiohttp.ClientError:
            pass  # or the close reached the sender before the answer: never a 2xx or a 5xx
        assert (await client.get("/healthz")).status == 200
