"""The daily counters move as conversations go through the doors, and hold nothing of anyone.

In-process bot/ (the real app, widget door, hand-off and desk) in front of a stand-in Rasa that
answers as the real one does: text, the statistics figures when the steps begin, the hand-off
request on consent. The same conversations against the trained model are in
tests/e2e/test_statistics.py."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import REGISTRY

from bot.app import create_app
from bot.appkeys import CONVERSATIONS
from bot.handoff import HANDOFF
from bot.settings import Settings, SettingsError
from bot.statistics.counts import CountKey
from bot.statistics.recorder import STATISTICS
from bot.statistics.report import FEWER_THAN_5, shown
from bot.statistics.store import RedisStatisticsStore, SQLiteStatisticsStore
from tests.handoff.apps import PASSWORD, Desk, app_settings, serving
from tests.handoff.apps import StandInRasa as HandoffStandIn
from tests.handoff.apps import add_accounts as add_handlers

FIGURES = {
    "incident_type": "webcam",
    "paid": "yes",
    "platforms": ["instagram", "snapchat"],
    "under_18": "no",
    "force_area": "dyfed_powys",
}
HANDOFF_REQUEST = {
    "handoff": {"summary": {"force_area": "gwent"}, "summary_text": "", "queue": "gwent"}
}


class StandInRasa(HandoffStandIn):
    """Answers "steps" as Rasa's first advice turn (the figures, then a step), "person" with the
    hand-off request, and anything else with a line of text."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict = FIGURES

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        sender, message = body["sender"], body["message"]
        if "steps" in message:
            return web.json_response(
                [
                    {"recipient_id": sender, "custom": {"statistics": {"triage": self.figures}}},
                    {"recipient_id": sender, "text": "First, don't panic."},
                ]
            )
        if "person" in message:
            return web.json_response([{"recipient_id": sender, "custom": HANDOFF_REQUEST}])
        return web.json_response([{"recipient_id": sender, "text": "I'm here to help."}])


@pytest.fixture
async def rasa():
    async with serving(StandInRasa()) as stand_in:
        yield stand_in


@pytest.fixture
def settings(tmp_path: Path, rasa: StandInRasa) -> Settings:
    return app_settings(
        tmp_path,
        rasa.url,
        address_requests_per_minute=10_000,
        handoff_cases_per_address_per_hour=10_000,
    )


class Person:
    """Someone in the widget of a force's site, typing."""

    def __init__(self, client: TestClient, force: str | None = "gwent") -> None:
        self.client = client
        self.session = secrets.token_hex(16)
        self.force = force

    async def say(self, text: str, **fields: str) -> list[dict]:
        body = {"session": self.session, "id": secrets.token_hex(16), "text": text, **fields}
        if self.force is not None:
            body["force"] = self.force
        response = await self.client.post("/widget/api/message", json=body)
        assert response.status == 200
        return (await response.json())["replies"]


async def counted(client: TestClient, force: str) -> dict[tuple[str, ...], int]:
    """Today's counters of ``force`` as written (after a flush, which the app does every
    couple of seconds): {(door, language, measure, value): n}."""
    statistics = client.app[STATISTICS]
    await statistics.flush()
    today = statistics.today().date().isoformat()
    totals: dict[tuple[str, ...], int] = {}
    for _, key, count in await statistics.store.rows(force, today, today):
        part = (key.door, key.language, key.measure, key.value)
        totals[part] = totals.get(part, 0) + count
    return totals


async def test_a_conversation_is_counted_once_under_the_force_whose_site_it_began_on(settings):
    async with TestClient(TestServer(create_app(settings))) as client:
        first = Person(client)
        await first.say("hi, someone is threatening me")
        await first.say("they want money")
        welsh = Person(client)
        await welsh.say("helo, dw i angen help")
        # A force nobody knows (or a forged one) counts under the national figures.
        stranger = Person(client, force="<b>not a force</b>")
        await stranger.say("hello")
        no_force = Person(client, force=None)
        await no_force.say("hello")
        gwent = await counted(client, "gwent")
        assert gwent == {
            ("widget", "en", "conversations", ""): 1,
            ("widget", "cy", "conversations", ""): 1,
        }
        assert await counted(client, "national") == {("widget", "en", "conversations", ""): 2}


async def test_a_finished_triage_counts_under_the_area_named_with_its_canonical_figures(
    settings, rasa
):
    async with TestClient(TestServer(create_app(settings))) as client:
        person = Person(client)
        await person.say("hello")
        assert await person.say("what are the steps?") == [
            {"text": "First, don't panic.", "buttons": []}
        ]
        area = await counted(client, "dyfed_powys")
        assert area == {
            ("widget", "en", "triages", ""): 1,
            ("widget", "en", "incident_type", "webcam"): 1,
            ("widget", "en", "paid", "yes"): 1,
            ("widget", "en", "under_18", "no"): 1,
            ("widget", "en", "platform", "instagram"): 1,
            ("widget", "en", "platform", "snapchat"): 1,
        }
        # Figures outside the vocabularies (anything a person could have typed) count as
        # unknown; with no area named, the triage counts under the door's force.
        rasa.figures = {
            "incident_type": "my ex, Dave Smith",
            "paid": "£300 to dave@example.com",
            "platforms": ["07700 900123", "instagram"],
            "under_18": True,
            "force_area": "elsewhere",
        }
        await Person(client).say("the steps please")
        gwent = await counted(client, "gwent")
        assert {k: v for k, v in gwent.items() if k[2] != "conversations"} == {
            ("widget", "en", "triages", ""): 1,
            ("widget", "en", "incident_type", "unknown"): 1,
            ("widget", "en", "paid", "unknown"): 1,
            ("widget", "en", "under_18", "unknown"): 1,
            ("widget", "en", "platform", "instagram"): 1,
        }


async def test_a_request_for_a_person_is_counted_through_claim_wait_and_outcome(settings):
    await add_handlers(settings, alice="gwent")
    async with TestClient(TestServer(create_app(settings))) as client:
        person = Person(client, force=None)
        await person.say("can I talk to a person")
        alice = Desk(client, "alice")
        assert await alice.login(PASSWORD) == 200
        [case] = (await alice.get("queue"))[1]["cases"]
        assert (await alice.post(f"cases/{case['reference']}/claim"))[0] == 200
        status, _ = await alice.post(
            f"cases/{case['reference']}/close", {"outcome": "crime report taken"}
        )
        assert status == 200
        gwent = await counted(client, "gwent")
        assert gwent == {
            ("widget", "en", "handoff", "requested"): 1,
            ("widget", "en", "handoff", "queued"): 1,
            ("widget", "en", "handoff", "claimed"): 1,
            ("widget", "en", "wait", "under 1 minute"): 1,
            ("widget", "en", "outcome", "crime report taken"): 1,
        }
        # The conversation itself began through a widget with no force: national.
        assert await counted(client, "national") == {("widget", "en", "conversations", ""): 1}


async def test_out_of_hours_and_not_picked_up_are_counted_as_references(settings):
    async with TestClient(
        TestServer(create_app(replace(settings, handoff_wait_minutes=1e-5)))
    ) as client:
        await Person(client).say("a person please")
        await client.app[HANDOFF].tick()
        gwent = await counted(client, "gwent")
        assert gwent[("widget", "en", "handoff", "not_picked_up")] == 1
    closed = replace(settings, handoff_hours="gwent=closed")
    async with TestClient(TestServer(create_app(closed))) as client:
        await Person(client).say("a person please")
        gwent = await counted(client, "gwent")
        assert gwent[("widget", "en", "handoff", "out_of_hours")] == 1


async def test_the_report_shows_the_counts_with_small_ones_hidden(settings):
    async with TestClient(TestServer(create_app(settings))) as client:
        for _ in range(6):
            await Person(client).say("hello")
        for _ in range(2):
            await Person(client).say("shwmae, dw i angen help")
        report = await client.app[STATISTICS].report("gwent")
        assert report.force_name == "Gwent Police" and len(report.days) == 30
        by_door = {c.id: c for c in report.charts}["conversations_by_door"]
        widget = {s.id: s for s in by_door.series}["widget"]
        assert widget.values[-1] == 8 and sum(widget.values) == 8
        by_language = {c.id: c for c in report.charts}["conversations_by_language"]
        welsh = {s.id: s for s in by_language.series}["cy"]
        assert welsh.values[-1] == 2
        assert shown(welsh.values[-1]) == FEWER_THAN_5 and shown(8) == "8" and shown(0) == "0"


@pytest.mark.parametrize("kept_in", ["sqlite", "redis"])
async def test_nothing_counted_holds_a_pseudonym_a_session_id_or_anything_typed(
    settings, kept_in, request
):
    typed = "my name is Rhiannon Price and my number is 07700 900123"
    if kept_in == "redis":
        settings = replace(settings, redis_url=request.getfixturevalue("redis_server").url)
    async with TestClient(TestServer(create_app(settings))) as client:
        person = Person(client)
        await person.say(typed)
        await person.say("now the steps")
        await client.app[CONVERSATIONS].handle("telegram", 424242, text=typed)
        pseudonyms = [
            client.app[CONVERSATIONS].pseudonym("widget", person.session),
            client.app[CONVERSATIONS].pseudonym("telegram", 424242),
        ]
        assert (await counted(client, "dyfed_powys"))[("widget", "en", "triages", "")] == 1
        if kept_in == "redis":
            import redis.asyncio as aioredis

            redis = aioredis.Redis.from_url(settings.redis_url, decode_responses=True)
            keys = await redis.keys("aic:statistics:*")
            fields = [field for key in keys for field in await redis.hkeys(key)]
            stored = " ".join([*keys, *fields])
            await redis.aclose()
            assert stored.count("conversations") == 2 and "triages" in stored
        else:
            stored = (settings.data_dir / "statistics.db").read_bytes().decode(errors="replace")
    for secret in (person.session, "424242", *pseudonyms, "Rhiannon", "07700", "steps"):
        assert secret not in stored


async def test_a_telegram_conversation_counts_under_the_configured_force(settings):
    with pytest.raises(SettingsError):
        create_app(replace(settings, telegram_force="atlantis"))
    app = create_app(replace(settings, telegram_force="north_wales"))
    async with TestClient(TestServer(app)) as client:
        conversations = client.app[CONVERSATIONS]
        await conversations.handle("telegram", 424242, text="hello")
        await conversations.handle("telegram", 424242, text="again")
        assert await counted(client, "north_wales") == {("telegram", "en", "conversations", ""): 1}


async def test_prometheus_counters_move_with_turns_and_fallbacks(settings, rasa):
    def turns() -> float:
        return REGISTRY.get_sample_value("aic_turns_total", {"door": "widget"}) or 0.0

    def fallbacks() -> float:
        labels = {"door": "widget", "reason": "rasa_unavailable"}
        return REGISTRY.get_sample_value("aic_safety_fallbacks_total", labels) or 0.0

    before_turns, before_fallbacks = turns(), fallbacks()
    down = replace(settings, rasa_url="http://127.0.0.1:9", rasa_timeout=0.5)
    async with TestClient(TestServer(create_app(down))) as client:
        [reply] = await Person(client).say("hello?")
        assert "999" in reply["text"]
    assert turns() == before_turns + 1
    assert fallbacks() == before_fallbacks + 1


# --- The stores --------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "redis"])
async def store(request, tmp_path):
    if request.param == "sqlite":
        opened = await SQLiteStatisticsStore.open(tmp_path / "statistics.db")
    else:
        url = request.getfixturevalue("redis_server").url
        opened = await RedisStatisticsStore.open(url, retention_days=400)
    yield opened
    await opened.close()


async def test_stores_add_up_counts_by_day_and_force(store):
    webcam = CountKey("gwent", "widget", "en", "incident_type", "webcam")
    started = CountKey("gwent", "telegram", "cy", "conversations")
    other_force = CountKey("dorset", "widget", "en", "conversations")
    await store.add("2026-12-01", {webcam: 1, started: 2})
    await store.add("2026-12-01", {webcam: 1})
    await store.add("2026-12-03", {started: 1, other_force: 1})
    await store.add("2025-01-01", {started: 1})
    rows = sorted(await store.rows("gwent", "2026-11-05", "2026-12-04"))
    assert rows == sorted(
        [
            ("2026-12-01", webcam, 2),
            ("2026-12-01", started, 2),
            ("2026-12-03", started, 1),
        ]
    )
    assert await store.rows("dorset", "2026-12-03", "2026-12-03") == [
        ("2026-12-03", other_force, 1)
    ]


async def test_redis_counters_expire_after_the_retention_and_sqlite_ones_are_purged(
    redis_server, tmp_path
):
    import redis.asyncio as aioredis

    store = await RedisStatisticsStore.open(redis_server.url, retention_days=30)
    client = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
    try:
        await store.add("2026-12-01", {CountKey("gwent", "widget", "en", "conversations"): 1})
        [key] = await client.keys("aic:statistics:*")
        assert key == "aic:statistics:gwent:2026-12-01"
        expires = await client.expiretime(key)
        # 31 days after its day, in seconds since the epoch (2026-12-01 is 1796083200).
        assert expires == 1796083200 + 31 * 86400
    finally:
        await client.aclose()
        await store.close()
    sqlite = await SQLiteStatisticsStore.open(tmp_path / "s.db")
    key = CountKey("gwent", "widget", "en", "conversations")
    await sqlite.add("2026-01-01", {key: 1})
    await sqlite.add("2026-12-01", {key: 1})
    assert await sqlite.purge("2026-06-01") == 1
    assert await sqlite.rows("gwent", "2026-01-01", "2026-12-31") == [("2026-12-01", key, 1)]
    await sqlite.close()


async def test_the_purge_deletes_days_past_the_statistics_retention(settings):
    from bot.purge import purge_now

    app = create_app(replace(settings, statistics_retention_days=30))
    async with TestClient(TestServer(app)) as client:
        statistics = client.app[STATISTICS]
        key = CountKey("gwent", "widget", "en", "conversations")
        today = statistics.today().date()
        old, kept = (today.replace(year=today.year - 1)).isoformat(), today.isoformat()
        await statistics.store.add(old, {key: 1})
        await statistics.store.add(kept, {key: 1})
        report = await purge_now(client.app)
        assert report.other >= 1
        assert await statistics.store.rows("gwent", old, kept) == [(kept, key, 1)]


async def test_a_statistics_store_that_fails_never_stands_in_a_conversations_way(settings):
    async with TestClient(TestServer(create_app(settings))) as client:
        statistics = client.app[STATISTICS]
        working = statistics.store.add

        async def broken(day, counts):
            raise ConnectionError("down")

        statistics.store.add = broken

        def errors() -> float:
            labels = {"kind": "statistics_store_unavailable"}
            return REGISTRY.get_sample_value("aic_errors_total", labels) or 0.0

        before = errors()
        person = Person(client)
        assert await person.say("hello") == [{"text": "I'm here to help.", "buttons": []}]
        assert await person.say("the steps") == [{"text": "First, don't panic.", "buttons": []}]
        await statistics.flush()
        assert errors() == before + 1
        # The counts wait for the store to come back, and are written then.
        statistics.store.add = working
        counts = await counted(client, "dyfed_powys")
        assert counts[("widget", "en", "triages", "")] == 1
        assert (await counted(client, "gwent"))[("widget", "en", "conversations", "")] == 1


async def test_a_turn_only_counts_in_memory_and_the_app_writes_the_counts_by_itself(settings):
    from bot.statistics import recorder

    async with TestClient(TestServer(create_app(settings))) as client:
        statistics = client.app[STATISTICS]
        writes: list[dict] = []
        working = statistics.store.add

        async def recording(day, counts):
            writes.append(dict(counts))
            await working(day, counts)

        statistics.store.add = recording
        for _ in range(20):
            await Person(client).say("hello")
        assert writes == []  # no turn waited on the store
        await asyncio.sleep(recorder.FLUSH_SECONDS + 0.5)
        # Twenty new conversations: one write, of one counter.
        assert writes == [{CountKey("gwent", "widget", "en", "conversations"): 20}]
        await Person(client).say("hello")
    # The last counts are written as the app stops.
    assert writes[-1] == {CountKey("gwent", "widget", "en", "conversations"): 1}
