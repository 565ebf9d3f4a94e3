"""/metrics on its own listener (bot/metrics_server.py): what it serves, to whom, and the
availability checks it runs at each scrape. Every test starts bot/'s real app, whose metrics
listener binds a free port on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families

import bot.metrics
from bot import metrics_server
from bot.app import create_app
from bot.appkeys import HEALTH_CHECKS
from bot.handoff import HANDOFF
from bot.handoff.cases import LIVE, WAITING
from bot.metrics import COMPONENTS, HANDOFF_QUEUE_LENGTH, UP
from bot.people_redis import StoreUnavailable
from bot.settings import Settings
from scripts.processes import free_port
from tests.bot.conftest import SECRET
from tests.loopback import serving

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana-dashboard.json"
TOKEN = "3f9c2b7e1d4a6f8091b2c3d4e5f60718"
# Every metric bot/metrics.py defines, by the name its family has in the exposition.
OWN_FAMILIES = {
    family.name: family.type
    for metric in vars(bot.metrics).values()
    if isinstance(metric, MetricWrapperBase)
    for family in metric.describe()
}


@pytest.fixture(autouse=True)
def fresh_gauges():
    """The gauges live in the process-wide registry: no test reads another's figures."""
    UP.clear()
    HANDOFF_QUEUE_LENGTH.clear()


class StandIn:
    """Rasa's ``GET /`` and the action server's ``GET /health``: answering ``status``, or not
    answering at all until the test ends (``hang``)."""

    def __init__(self, status: int = 200, hang: bool = False) -> None:
        self.status = status
        self.hang = hang
        self.released = asyncio.Event()
        self.calls = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self.answer)
        app.router.add_get("/health", self.answer)
        return app

    async def answer(self, request: web.Request) -> web.Response:
        self.calls += 1
        if self.hang:
            await self.released.wait()
        return web.Response(status=self.status, text="Hello from Rasa: 3.6.21")


@pytest.fixture
async def stand_in() -> AsyncIterator[Callable[..., Awaitable[tuple[StandIn, str]]]]:
    """``await stand_in(status=..., hang=...)``: a started stand-in and its base URL."""
    started: list[StandIn] = []
    async with contextlib.AsyncExitStack() as stack:

        async def start(**options) -> tuple[StandIn, str]:
            server = StandIn(**options)
            started.append(server)
            return server, await stack.enter_async_context(serving(server.app()))

        yield start
        for server in started:  # a hanging answer ends, so its server can stop
            server.released.set()


def closed_url() -> str:
    """An address where nothing listens: connections to it are refused."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def settings(tmp_path: Path, domain_path: Path) -> Settings:
    """bot/ with the test domain (the hand-off off), metrics on a free port, and Rasa and the
    action server nowhere."""
    return Settings(
        rasa_url=closed_url(),
        rasa_timeout=2.0,
        data_dir=tmp_path / "var",
        pseudonym_secret=SECRET,
        tracker_db=tmp_path / "tracker.db",
        domain_path=domain_path,
        metrics_port=free_port(),
        action_server_url=closed_url(),
    )


@contextlib.asynccontextmanager
async def running(app: web.Application) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(app)) as client:
        yield client


def metrics_url(settings: Settings) -> str:
    return f"http://{settings.metrics_host}:{settings.metrics_port}/metrics"


async def scrape(
    settings: Settings, method: str = "GET", path: str = "/metrics", **headers: str
) -> tuple[int, str, str]:
    """One request to the metrics listener: status, Content-Type and body."""
    url = metrics_url(settings).removesuffix("/metrics") + path
    async with aiohttp.ClientSession() as http:
        async with http.request(method, url, headers=headers) as response:
            return response.status, response.headers.get("Content-Type", ""), await response.text()


async def families(settings: Settings) -> dict[str, Metric]:
    status, _, text = await scrape(settings)
    assert status == 200, text
    return {family.name: family for family in text_string_to_metric_families(text)}


def up_of(exposition: dict[str, Metric]) -> dict[str, float]:
    return {s.labels["component"]: s.value for s in exposition["aic_up"].samples}


async def up(settings: Settings) -> dict[str, float]:
    """``aic_up`` by component, after one scrape."""
    return up_of(await families(settings))


def queue_lengths(exposition: dict[str, Metric]) -> dict[str, float]:
    return {s.labels["force"]: s.value for s in exposition["aic_handoff_queue_length"].samples}


# --- What the listener serves ------------------------------------------------------------------


async def test_the_exposition_parses_and_holds_every_metric_and_component(
    settings, stand_in, fake_rasa
):
    _, answering = await stand_in()
    on = replace(
        settings, rasa_url=answering, action_server_url=answering, domain_path=ROOT / "domain.yml"
    )
    # bot.statistics registers its store's check itself, as any other part of bot/ may.
    app = create_app(on)
    async with running(app):
        status, content_type, text = await scrape(on)
        assert status == 200
        assert content_type.startswith("text/plain; version=0.0.4")
        exposition = {family.name: family for family in text_string_to_metric_families(text)}
    assert OWN_FAMILIES.keys() == {n for n in exposition if n.startswith("aic_")}
    for name, kind in OWN_FAMILIES.items():
        assert exposition[name].type == kind
    # prometheus-client's process and Python collectors are there too.
    assert "process_cpu_seconds" in exposition and "python_info" in exposition
    assert up_of(exposition) == dict.fromkeys(COMPONENTS, 1.0)


async def test_openmetrics_is_served_to_a_scraper_that_asks_for_it(settings):
    async with running(create_app(settings)):
        status, content_type, text = await scrape(
            settings, Accept="application/openmetrics-text; version=1.0.0"
        )
    assert status == 200
    assert content_type.startswith("application/openmetrics-text; version=1.0.0")
    assert text.endswith("# EOF\n")
    assert {f.name for f in openmetrics_families(text)} >= OWN_FAMILIES.keys()


async def test_metrics_are_not_on_the_public_port_and_nothing_else_is_on_theirs(settings):
    async with running(create_app(settings)) as client:
        assert (await client.get("/metrics")).status == 404
        assert (await client.get("/healthz")).status == 200
        for path in ("/healthz", "/", "/widget/", "/desk/", "/metrics/", "/metrics.txt"):
            assert (await scrape(settings, path=path))[0] == 404, path
        for method in ("HEAD", "POST", "PUT", "DELETE"):
            assert (await scrape(settings, method=method))[0] == 405, method
        assert (await scrape(settings))[0] == 200
    routes = [
        (route.method, route.resource.canonical)
        for route in metrics_server.create_metrics_app({}).router.routes()
    ]
    assert routes == [("GET", "/metrics")]


async def test_no_metrics_listener_without_a_metrics_port(settings):
    off = replace(settings, metrics_port=None)
    async with running(create_app(off)) as client:
        assert (await client.get("/healthz")).status == 200
        with pytest.raises(aiohttp.ClientConnectionError):
            await scrape(settings)


async def test_with_a_token_only_a_scrape_that_sends_it_is_answered(settings):
    guarded = replace(settings, metrics_token=TOKEN)
    async with running(create_app(guarded)):
        refused = [
            await scrape(guarded),
            await scrape(guarded, Authorization="Bearer " + "0" * len(TOKEN)),
            await scrape(guarded, Authorization=f"Bearer {TOKEN}x"),
            await scrape(guarded, Authorization=TOKEN),
            await scrape(guarded, Authorization=f"Basic {TOKEN}"),
        ]
        status, _, text = await scrape(guarded, Authorization=f"Bearer {TOKEN}")
    for refused_status, _, refused_text in refused:
        assert refused_status == 401
        assert "aic_" not in refused_text
    assert status == 200
    assert "aic_turns" in {f.name for f in text_string_to_metric_families(text)}


# --- Availability ------------------------------------------------------------------------------


async def test_rasa_and_the_action_server_read_down_where_nothing_answers(settings):
    async with running(create_app(settings)):
        assert await up(settings) == {
            "rasa": 0,
            "action_server": 0,
            "store": 1,
            "statistics_store": 1,
        }


async def test_rasa_and_the_action_server_read_up_once_they_answer(settings, stand_in):
    rasa, rasa_url = await stand_in()
    actions, actions_url = await stand_in()
    answering = replace(settings, rasa_url=rasa_url, action_server_url=actions_url)
    async with running(create_app(answering)):
        assert await up(answering) == {
            "rasa": 1,
            "action_server": 1,
            "store": 1,
            "statistics_store": 1,
        }
        # Checked again at each scrape, not once at start.
        rasa.status = actions.status = 503
        assert await up(answering) == {
            "rasa": 0,
            "action_server": 0,
            "store": 1,
            "statistics_store": 1,
        }
    assert rasa.calls == actions.calls == 2


async def test_rasa_reads_up_while_any_of_its_servers_answers(settings, stand_in):
    _, hanging = await stand_in(hang=True)
    _, answering = await stand_in()
    several = replace(settings, rasa_url=f"{closed_url()},{hanging},{answering}")
    async with running(create_app(several)):
        started = time.monotonic()
        assert (await up(several))["rasa"] == 1
        # Settled by the server that answered, without waiting out the one that hangs.
        assert time.monotonic() - started < metrics_server.CHECK_SECONDS
    only_down = replace(settings, rasa_url=f"{closed_url()},{hanging}")
    async with running(create_app(only_down)):
        assert (await up(only_down))["rasa"] == 0


async def test_a_check_that_raises_or_hangs_reads_as_down_and_the_scrape_answers_in_time(
    settings, stand_in
):
    _, answering = await stand_in()
    app = create_app(replace(settings, rasa_url=answering))
    hanging = asyncio.Event()

    async def hangs() -> bool:
        await hanging.wait()
        return True

    async def raises() -> bool:
        raise StoreUnavailable("redis: ConnectionError")

    async def replace_checks(app: web.Application) -> None:
        # After start-up, where the statistics register their own check.
        app[HEALTH_CHECKS]["statistics_store"] = hangs
        app[HEALTH_CHECKS]["store"] = raises

    app.on_startup.append(replace_checks)
    async with running(app):
        started = time.monotonic()
        # A bound of its own, so a scrape that waits on the hanging check fails, not hangs.
        answers = await asyncio.wait_for(up(settings), metrics_server.CHECK_SECONDS + 3)
        elapsed = time.monotonic() - started
        assert answers == {
            "rasa": 1,
            "action_server": 0,
            "store": 0,
            "statistics_store": 0,
        }
    assert metrics_server.CHECK_SECONDS <= elapsed < metrics_server.CHECK_SECONDS + 1.5


async def test_a_check_under_a_name_outside_the_components_is_not_run(settings, caplog):
    app = create_app(settings)
    ran = []

    async def check() -> bool:
        ran.append(True)
        return True

    app[HEALTH_CHECKS]["someone@example.com"] = check
    async with running(app):
        assert "someone@example.com" not in await up(settings)
    assert ran == []
    assert "not one of bot.metrics.COMPONENTS" in caplog.text


async def test_a_store_that_cannot_be_opened_reads_as_down(settings, tmp_path):
    # A file where the data folder should be: neither bot/'s store nor the hand-off's can open.
    blocked = tmp_path / "blocked"
    blocked.write_text("not a folder")
    down = replace(settings, data_dir=blocked, domain_path=ROOT / "domain.yml")
    async with running(create_app(down)):
        answers = await up(down)
    assert answers["store"] == 0
    assert answers["case_store"] == 0


async def test_queue_lengths_count_the_cases_waiting_in_each_force(settings, monkeypatch):
    with_handoff = replace(settings, domain_path=ROOT / "domain.yml")
    async with running(create_app(with_handoff)) as client:
        handoff = client.app[HANDOFF]
        now = time.time()
        opened = {}
        for n, (queue, state) in enumerate(
            [("gwent", WAITING), ("gwent", WAITING), ("gwent", LIVE), ("dorset", WAITING)]
        ):
            opened[n] = await handoff.cases.create_case(
                pseudonym=f"p{n}",
                channel="widget",
                queue=queue,
                summary={},
                summary_text="",
                state=state,
                now=now + n,
            )
        exposition = await families(with_handoff)
        lengths = queue_lengths(exposition)
        assert lengths.keys() == handoff.forces.keys()
        assert lengths["gwent"] == 2 and lengths["dorset"] == 1
        assert sum(lengths.values()) == 3
        assert up_of(exposition)["case_store"] == 1

        assert await handoff.cases.claim(opened[0].id, "alice", now + 10)
        assert queue_lengths(await families(with_handoff))["gwent"] == 1

        # The case store fails: it reads as down, and the last counts known stay.
        class Unavailable:
            async def queue(self, queue: str, handler: str | None = None):
                raise StoreUnavailable("hand-off redis unavailable")

        monkeypatch.setattr(handoff, "cases", Unavailable())
        exposition = await families(with_handoff)
        assert up_of(exposition)["case_store"] == 0
        assert queue_lengths(exposition) == {**lengths, "gwent": 1}


# --- The sample dashboard ----------------------------------------------------------------------

SUFFIXES = {"_total": "counter", "_bucket": "histogram", "_count": "histogram", "_sum": "histogram"}


def _queries(node: object) -> list[str]:
    """Every PromQL text in the dashboard: the panels' expressions and the variables' queries."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("expr", "definition") and isinstance(value, str):
                found.append(value)
            elif key == "query" and isinstance(value, dict):
                found.append(value["query"])
            else:
                found.extend(_queries(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_queries(item))
    return found


def _family(name: str, exposition: dict[str, str]) -> str | None:
    """The family a series name in PromQL belongs to, if the exposition has it."""
    for suffix, kind in SUFFIXES.items():
        if name.endswith(suffix) and exposition.get(name.removesuffix(suffix)) == kind:
            return name.removesuffix(suffix)
    if exposition.get(name) in ("gauge", "unknown"):
        return name
    return None


def test_the_dashboard_only_charts_metrics_bot_serves():
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["schemaVersion"] >= 39
    assert [i["name"] for i in dashboard["__inputs"]] == ["DS_PROMETHEUS"]
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["force"]["query"]["query"] == "label_values(aic_handoff_queue_length, force)"
    exposition = {
        f.name: f.type for f in text_string_to_metric_families(generate_latest(REGISTRY).decode())
    }
    labels = {
        family.name: set(metric._labelnames)
        for metric in vars(bot.metrics).values()
        if isinstance(metric, MetricWrapperBase)
        for family in metric.describe()
    }
    queries = _queries(dashboard)
    charted = set()
    for query in queries:
        names = re.findall(r"\baic_\w+", query)
        assert names, query
        for name in names:
            family = _family(name, exposition)
            assert family is not None, f"{name} in {query!r} is not in the exposition"
            charted.add(family)
            # Each label a selector or a grouping names is one the metric has.
            allowed = labels[family] | ({"le"} if name.endswith("_bucket") else set())
            for selector in re.findall(rf"\b{name}\{{([^}}]*)\}}", query):
                assert {m.split("=")[0].strip() for m in selector.split(",")} <= allowed
            for grouping in re.findall(r"\bby \(([^)]*)\)", query):
                assert {g.strip() for g in grouping.split(",")} <= allowed, query
    # Every one of bot/'s metrics is on it.
    assert charted == OWN_FAMILIES.keys()
    # Every panel reads the chosen Prometheus.
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert {p["datasource"]["uid"] for p in panels} == {"${DS_PROMETHEUS}"}
    up_panel = next(p for p in panels if "aic_up" in p["targets"][0]["expr"])
    assert up_panel["type"] == "stat"
    steps = up_panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [(s["color"], s["value"]) for s in steps] == [("red", None), ("green", 1)]
