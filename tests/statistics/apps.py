"""bot/ for the statistics page's tests: the real app (``create_app``, its desk and its case
store) with a reader of reports that records which force each report was asked for."""

from __future__ import annotations

from aiohttp import web

from bot.app import create_app
from bot.settings import Settings
from bot.statistics.report import REPORTS, Report
from tests.statistics.reports import realistic_report

FORCE_NAMES = {"gwent": "Gwent Police", "dyfed-powys": "Dyfed-Powys Police"}


class RecordingReports:
    """A ``StatisticsReader`` that remembers each force it was asked for; with ``down``, its
    store cannot be reached."""

    def __init__(self, down: bool = False) -> None:
        self.asked: list[str] = []
        self.down = down

    async def report(self, force: str) -> Report:
        self.asked.append(force)
        if self.down:
            raise ConnectionError("statistics store down")
        return realistic_report(force, FORCE_NAMES[force])


def statistics_app(settings: Settings, reports: RecordingReports | None) -> web.Application:
    """bot/ as ``create_app`` makes it (the statistics routes come with the desk), with
    ``reports`` under ``REPORTS`` in place of the real counters (none: not there at all)."""
    app = create_app(settings)

    async def use_reports(app: web.Application) -> None:
        # After the cleanup contexts have run, among them the one that puts the real reader
        # under REPORTS.
        if reports is None:
            app.pop(REPORTS, None)
        else:
            app[REPORTS] = reports

    app.on_startup.append(use_reports)
    return app
