"""The anonymous statistics and the Prometheus metrics, end to end: people type whole
conversations through Telegram (on the Bot API peer) and the widget's API, bot/ runs as a
subprocess in front of the trained model, and then a supervisor reads the desk's figures and
Prometheus scrapes /metrics. Nobody presses a button."""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
import subprocess
import time
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.pseudonym import pseudonym
from scripts.processes import BOT_PYTHON, ROOT, base_env, free_port
from tests.e2e.rest_client import RestUser
from tests.fixtures.telegram_peer import start_telegram_bot

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
TELEGRAM_CHAT = 7_700_123_457
# The Welsh speaker on Telegram chooses Welsh, then answers in it; the area they give
# (Caerdydd) is South Wales, while the Telegram bot is North Wales'.
WELSH_ON_TELEGRAM = [
    "mae rhywun wedi recordio fi ar alwad fideo",
    "snapchat",
    "naddo",
    "dw i'n 30",
    "ydw",
    "caerdydd",
]
# On Gwent's site, in English: the facts come in the first message, the rest is "not sure".
ENGLISH_ON_THE_WIDGET = (
    "a woman on instagram recorded our video call and wants £200. I haven't paid, I'm 35"
)


def account(server, name: str, force: str, role: str) -> None:
    subprocess.run(
        [str(BOT_PYTHON), "-m", "bot.handoff.accounts", "add", name, "--force", force]
        + ["--role", role, "--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        cwd=ROOT,
        env=base_env(**server.env),
        capture_output=True,
    )


def counted(data_dir: Path) -> dict[tuple[str, ...], int]:
    """Every counter in the statistics file, summed over days (bot/ writes what it counted every
    couple of seconds: see ``written``)."""
    with sqlite3.connect(data_dir / "statistics.db") as db:
        rows = db.execute(
            "SELECT force, door, language, measure, value, SUM(count) FROM daily_counts"
            " GROUP BY force, door, language, measure, value"
        ).fetchall()
    db.close()
    return {tuple(row[:5]): row[5] for row in rows}


async def written(data_dir: Path, expected: int, seconds: float = 15.0) -> dict:
    """The counters once they add up to ``expected`` (they are written a few seconds after the
    turns that counted them), or as they are when ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while True:
        counts = counted(data_dir) if (data_dir / "statistics.db").exists() else {}
        if sum(counts.values()) >= expected or time.monotonic() > deadline:
            return counts
        await asyncio.sleep(0.25)


async def widget_turn(http: aiohttp.ClientSession, url: str, session: str, text: str) -> list:
    body = {"session": session, "id": secrets.token_hex(16), "text": text, "force": "gwent"}
    async with http.post(f"{url}/widget/api/message", json=body) as response:
        assert response.status == 200
        return (await response.json())["replies"]


async def supervisor_figures(url: str, name: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as desk:
        login = {"username": name, "password": PASSWORD}
        async with desk.post(f"{url}/desk/api/login", json=login) as response:
            assert response.status == 200
        async with desk.get(f"{url}/desk/api/statistics") as response:
            return response.status, await response.json()


def chart(figures: dict, chart_id: str) -> dict:
    return next(c for c in figures["charts"] if c["id"] == chart_id)


def total_of(figures: dict, chart_id: str, category: str) -> str:
    found = chart(figures, chart_id)
    [series] = found["series"]
    return series["values"][found["categories"].index(category)]


async def test_typed_conversations_move_the_counters_the_page_and_the_metrics(
    bot_launcher, telegram_peer, rasa_stack
):
    metrics_port = free_port()
    server = await start_telegram_bot(
        bot_launcher,
        telegram_peer,
        "polling",
        AIC_TELEGRAM_FORCE="north_wales",
        AIC_METRICS_PORT=str(metrics_port),
        AIC_ACTION_SERVER_URL=rasa_stack.action_url,
    )
    try:
        # Telegram, in Welsh, to the steps.
        person = telegram_peer.user(server.env["AIC_TELEGRAM_TOKEN"], TELEGRAM_CHAT)
        await person.say("/cymraeg")
        await person.turn()
        for text in WELSH_ON_TELEGRAM:
            await person.say(text)
            await person.turn()
        telegram_triage = ("south_wales", "telegram", "cy")
        assert counted(server.data_dir).get((*telegram_triage, "triages", "")) == 1, counted(
            server.data_dir
        )

        # The widget on Gwent's site, in English, to the steps.
        session = secrets.token_hex(16)
        secret = server.env["AIC_PSEUDONYM_SECRET"].encode()
        # Rasa's side of the same conversation, to see when the triage's questions are over.
        in_rasa = RestUser(rasa_stack.rasa_url)
        in_rasa.sender = pseudonym(secret, "widget", session)
        async with aiohttp.ClientSession() as http:
            await widget_turn(http, server.url, session, ENGLISH_ON_THE_WIDGET)
            for _ in range(8):
                tracker = await asyncio.to_thread(in_rasa.tracker)
                if not (tracker.get("active_loop") or {}).get("name"):
                    break
                await widget_turn(http, server.url, session, "not sure")
            # More turns in the steps count no conversation and no triage again.
            await widget_turn(http, server.url, session, "ok what next")

        counts = await written(server.data_dir, 12)
        assert counts[("north_wales", "telegram", "cy", "conversations", "")] == 1
        assert {key[3:]: n for key, n in counts.items() if key[:3] == telegram_triage} == {
            ("triages", ""): 1,
            ("incident_type", "webcam"): 1,
            ("platform", "snapchat"): 1,
            ("paid", "no"): 1,
            ("under_18", "no"): 1,
        }
        widget = ("gwent", "widget", "en")
        assert {key[3:]: n for key, n in counts.items() if key[:3] == widget} == {
            ("conversations", ""): 1,
            ("triages", ""): 1,
            ("incident_type", "webcam"): 1,
            ("platform", "instagram"): 1,
            ("paid", "no"): 1,
            ("under_18", "no"): 1,
        }
        # One conversation begun on each door, and six counts for each triage.
        assert sum(counts.values()) == 12

        # Nothing in any counter names the people: no chat id, session id, pseudonym or words.
        who = [
            str(TELEGRAM_CHAT),
            session,
            pseudonym(secret, "telegram", TELEGRAM_CHAT),
            pseudonym(secret, "widget", session),
        ]
        raw = (server.data_dir / "statistics.db").read_bytes()
        for text in [*who, "recordio", "woman", "£200", "Alex", "alex_e2e"]:
            assert text.encode() not in raw

        # Gwent's supervisor reads Gwent's figures, a 1 as "fewer than 5"; a handler none.
        account(server, "sian", "gwent", "supervisor")
        account(server, "hal", "gwent", "handler")
        account(server, "dai", "south_wales", "supervisor")
        status, gwent = await supervisor_figures(server.url, "sian")
        assert status == 200 and gwent["force"] == "gwent"
        [telegram_series, widget_series] = chart(gwent, "conversations_by_door")["series"]
        assert widget_series["values"][-1] == "fewer than 5"
        assert telegram_series["values"][-1] == "0"
        assert total_of(gwent, "platforms", "instagram") == "fewer than 5"
        assert "snapchat" not in chart(gwent, "platforms")["categories"]
        status, south_wales = await supervisor_figures(server.url, "dai")
        assert status == 200
        assert total_of(south_wales, "platforms", "snapchat") == "fewer than 5"
        assert total_of(south_wales, "paid", "yes") == "0"
        status, refused = await supervisor_figures(server.url, "hal")
        assert (status, refused) == (403, {"error": "supervisors_only"})

        # Prometheus' view of the same turns, from the listener of its own.
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{metrics_port}/metrics") as response:
                assert response.status == 200
                exposition = await response.text()
            async with http.get(f"{server.url}/metrics") as response:
                assert response.status == 404
        samples = {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(exposition)
            for sample in family.samples
        }
        assert samples[("aic_turns_total", (("door", "telegram"),))] == 1 + len(WELSH_ON_TELEGRAM)
        assert samples[("aic_turns_total", (("door", "widget"),))] >= 3
        assert samples[("aic_rasa_request_seconds_count", (("call", "message"),))] >= 9
        for component in ("rasa", "action_server", "store", "case_store", "statistics_store"):
            assert samples[("aic_up", (("component", component),))] == 1, component
        assert samples[("aic_handoff_queue_length", (("force", "gwent"),))] == 0
        labels = {value for _, pairs in samples for _, value in pairs}
        for text in [*who, "recordio", "instagram", "Alex"]:
            assert not any(text in value for value in labels)
    finally:
        await asyncio.to_thread(server.stop)
