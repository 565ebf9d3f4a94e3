"""The statistics page in a real browser (Debian's Chromium): a supervisor gets there from the
desk's own page, reads every chart and its table, downloads the CSV, and axe-core finds no WCAG
2.1 A or AA failure; a handler meets the refusal page, which passes too."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.async_api import ConsoleMessage, Page, expect

from bot.statistics.charts import DAILY, dom_id
from bot.statistics.page import CSV_PATH
from tests.handoff.apps import PASSWORD, add_accounts
from tests.handoff.test_e2e import desk_login
from tests.loopback import serving
from tests.statistics.apps import RecordingReports, statistics_app
from tests.statistics.reports import realistic_report
from tests.widget.driver import axe_violations

pytestmark = pytest.mark.e2e

REPORT = realistic_report()

TABLES = """tables => tables.map(table => [...table.querySelectorAll("tbody tr")].map(
    row => [...row.cells].map(cell => cell.textContent)))"""


def csv_rows_from_tables(tables: list[list[list[str]]]) -> list[list[str]]:
    """The rows the CSV should have, read off the tables on the page: a row per figure."""
    rows = []
    for chart, body in zip(REPORT.charts, tables, strict=True):
        width = 2 if chart.shares else 1
        for index, cells in enumerate(body):
            category = chart.categories[index] if chart.kind == DAILY else cells[0]
            for number, series in enumerate(chart.series):
                count = cells[1 + number * width]
                share = cells[2 + number * width] if chart.shares else ""
                rows.append([chart.title, category, series.label, count, share])
    return rows


def console_errors(page: Page) -> list[str]:
    """Errors the browser reports, a Content-Security-Policy refusal among them."""
    errors: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", keep)
    return errors


async def test_a_supervisor_reads_the_statistics_and_a_handler_is_refused(settings, page):
    await add_accounts(settings, supervisors={"sian"}, sian="gwent", hal="gwent")
    reports = RecordingReports()
    errors = console_errors(page)
    async with serving(statistics_app(settings, reports)) as base:
        await desk_login(page, base, "sian", PASSWORD)
        statistics = page.get_by_role("link", name="Statistics")
        await expect(statistics).to_be_visible()
        assert await axe_violations(page) == []  # the desk's page, with the link in its header
        await statistics.click()
        await expect(page).to_have_url(f"{base}/desk/statistics")
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "Statistics for Gwent Police"
        )
        for chart in REPORT.charts:
            section = page.locator(f"#{dom_id(chart)}")
            await expect(section.get_by_role("heading", level=2)).to_have_text(chart.title)
            await expect(section.get_by_role("img", name=chart.title)).to_be_visible()
            await expect(section.get_by_role("table", name=chart.description)).to_be_visible()
        assert await axe_violations(page) == []

        link = page.get_by_role("link", name="Download every figure")
        assert await link.get_attribute("href") == CSV_PATH
        async with page.expect_download() as started:
            await link.click()
        download = await started.value
        assert download.suggested_filename == "statistics-gwent-2026-12-05.csv"
        saved = (await download.path()).read_text(encoding="utf-8-sig")
        downloaded = list(csv.reader(io.StringIO(saved, newline="")))
        tables = await page.locator("table.figures").evaluate_all(TABLES)
        assert downloaded[1:] == csv_rows_from_tables(tables)

        # Hal, a handler, on the same browser after Sian logs out.
        await page.get_by_role("link", name="Back to the desk").click()
        await page.get_by_role("button", name="Log out").click()
        await desk_login(page, base, "hal", PASSWORD)
        await expect(page.get_by_text("hal, Gwent Police")).to_be_visible()
        await expect(page.get_by_role("link", name="Statistics")).to_be_hidden()
        refused = await page.goto(f"{base}/desk/statistics")
        assert refused is not None and refused.status == 403
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "Statistics are for supervisors"
        )
        assert await axe_violations(page) == []
    assert reports.asked == ["gwent"] * 2  # the page and the CSV, for Sian only
    # The desk's page asks /desk/api/me before login (401) and the refusal is a 403: nothing
    # else, and nothing the Content-Security-Policy refused (an inline style in an SVG, say).
    assert [error for error in errors if "Content Security Policy" in error] == []
