"""The statistics routes on the desk: a desk session of a supervisor only, and always that
supervisor's own force, whatever the request asks for; every count read through ``shown``."""

from __future__ import annotations

import csv
import io

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.handoff.desk import PAGE_HEADERS
from bot.statistics.report import FEWER_THAN_5
from tests.handoff.apps import PASSWORD, Desk, add_accounts
from tests.statistics.apps import RecordingReports, statistics_app
from tests.statistics.reports import SUPPRESSED_DAY, TELEGRAM, days

PAGE, CSV, JSON = "/desk/statistics", "/desk/statistics.csv", "/desk/api/statistics"
SMALL_COUNTS = {"1", "2", "3", "4"}


@pytest.fixture
async def accounts(settings):
    # Sian is Gwent's supervisor, Hal a Gwent handler, Dewi Dyfed-Powys'
    # supervisor.
    await add_accounts(
        settings, supervisors={"sian", "dewi"}, sian="gwent", hal="gwent", dewi="dyfed-powys"
    )


@pytest.fixture
async def serve(settings, accounts):
    clients: list[TestClient] = []

    async def start(reports: RecordingReports | None) -> TestClient:
        app = statistics_app(settings, reports)
        clients.append(TestClient(TestServer(app)))
        await clients[-1].start_server()
        return clients[-1]

    yield start
    for client in clients:
        await client.close()


async def logged_in(client: TestClient, name: str) -> Desk:
    desk = Desk(client, name)
    assert await desk.login() == 200
    return desk


async def fetch(desk: Desk, path: str):
    response = await desk.http.get(desk.base + path, allow_redirects=False)
    return response, await response.read()


async def test_without_a_session_the_page_sends_to_the_desk_and_the_data_say_401(serve):
    reports = RecordingReports()
    client = await serve(reports)
    page = await client.get(PAGE, allow_redirects=False)
    assert page.status == 303
    assert page.headers["Location"] == "/desk"
    for path in (CSV, JSON):
        response = await client.get(path)
        assert response.status == 401
        assert await response.json() == {"error": "not_logged_in"}
    assert reports.asked == []


async def test_a_handler_is_refused_all_three(serve):
    reports = RecordingReports()
    hal = await logged_in(await serve(reports), "hal")
    page, body = await fetch(hal, PAGE)
    assert page.status == 403
    assert "Statistics are for supervisors" in body.decode()
    assert page.headers["Content-Security-Policy"] == PAGE_HEADERS["Content-Security-Policy"]
    for path in (CSV, JSON):
        response, body = await fetch(hal, path)
        assert response.status == 403
        assert response.headers["Content-Type"].startswith("application/json")
        assert body == b'{"error": "supervisors_only"}'
    assert reports.asked == []


async def test_a_supervisor_reads_their_own_force_whatever_the_request_names(serve):
    reports = RecordingReports()
    sian = await logged_in(await serve(reports), "sian")
    page, body = await fetch(sian, PAGE + "?force=dyfed-powys")
    assert page.status == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    for header, value in PAGE_HEADERS.items():
        assert page.headers[header] == value
    html = body.decode()
    assert "<h1>Statistics for Gwent Police</h1>" in html
    assert "Dyfed-Powys" not in html
    csv_response, _ = await fetch(sian, CSV + "?force=dyfed-powys")
    json_response, _ = await fetch(sian, JSON + "?force=dyfed-powys&forces=dyfed-powys")
    assert (csv_response.status, json_response.status) == (200, 200)
    assert (await json_response.json())["force"] == "gwent"
    assert reports.asked == ["gwent", "gwent", "gwent"]


async def test_each_supervisor_gets_their_own_forces_figures(serve):
    reports = RecordingReports()
    client = await serve(reports)
    dewi = await logged_in(client, "dewi")
    response, body = await fetch(dewi, JSON)
    assert response.status == 200
    assert (await response.json())["force_name"] == "Dyfed-Powys Police"
    assert reports.asked == ["dyfed-powys"]


async def test_the_csv_is_a_download_for_the_force_and_day_with_counts_under_5_hidden(serve):
    sian = await logged_in(await serve(RecordingReports()), "sian")
    response, body = await fetch(sian, CSV)
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="statistics-gwent-2026-12-05.csv"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    suppressed_day = days()[SUPPRESSED_DAY]
    [telegram] = [
        row
        for row in rows
        if row["chart"] == "Conversations by door"
        and row["category_or_day"] == suppressed_day
        and row["series"] == "Telegram"
    ]
    assert TELEGRAM[SUPPRESSED_DAY] == 3
    assert telegram["count"] == FEWER_THAN_5
    assert not {row["count"] for row in rows} & SMALL_COUNTS


async def test_the_json_passes_every_count_through_shown(serve):
    sian = await logged_in(await serve(RecordingReports()), "sian")
    response, _ = await fetch(sian, JSON)
    assert response.headers["Cache-Control"] == "no-store"
    report = await response.json()
    by_id = {chart["id"]: chart for chart in report["charts"]}
    telegram = by_id["conversations_by_door"]["series"][0]
    assert telegram["values"][SUPPRESSED_DAY] == FEWER_THAN_5
    assert telegram["values"][0] == "5"
    values = [v for chart in report["charts"] for s in chart["series"] for v in s["values"]]
    assert all(isinstance(value, str) for value in values)
    assert not set(values) & SMALL_COUNTS
    assert by_id["under_18"]["series"][0]["shares"] == ["17%", "83%", "not shown"]
    assert by_id["under_18"]["series"][0]["total"] == "36"
    assert by_id["paid"]["series"][0]["total"] == "40 to 43"
    assert "shares" not in by_id["platforms"]["series"][0]
    assert report["days"] == list(days())


async def test_the_desk_tells_its_page_the_accounts_role(serve):
    client = await serve(RecordingReports())
    for name, role in (("sian", "supervisor"), ("hal", "handler")):
        desk = Desk(client, name)
        login = await desk.http.post(
            f"{desk.base}/desk/api/login", json={"username": name, "password": PASSWORD}
        )
        assert (await login.json())["role"] == role
        status, me = await desk.get("me")
        assert (status, me["role"]) == (200, role)


async def test_without_a_reader_or_with_its_store_down_the_answer_is_503(serve):
    for reports in (None, RecordingReports(down=True)):
        sian = await logged_in(await serve(reports), "sian")
        page, body = await fetch(sian, PAGE)
        assert page.status == 503
        assert page.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "Statistics are not available just now" in body.decode()
        for path in (CSV, JSON):
            response, body = await fetch(sian, path)
            assert response.status == 503
            assert body == b'{"error": "unavailable"}'
    assert reports is not None and reports.asked == ["gwent"] * 3


async def test_the_stylesheet_is_served(serve):
    client = await serve(RecordingReports())
    response = await client.get("/desk/statistics.css")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/css")
    assert "forced-colors" in await response.text()
