"""The supervisors' statistics on the desk: a page, its CSV and its JSON, for one force only.

    GET /desk/statistics       the page: each chart as an SVG, with the table of its figures
    GET /desk/statistics.csv   every figure, for a spreadsheet
    GET /desk/api/statistics   the same figures as JSON
    GET /desk/statistics.css   the page's stylesheet

Each needs a desk session (``bot.handoff.desk.current_session``) of a supervisor; the figures
are always those of the session's own force, whatever the request says. Every count is read
through ``shown`` (from 1 to 4: "fewer than 5"); totals and shares through
``charts.shown_total`` and ``charts.shown_share``, which give no such count away either.

The report comes from the object under ``REPORTS`` (a ``StatisticsReader``); without one, or
when it cannot reach its store, the answer is 503.
"""

from __future__ import annotations

import csv
import html
import io
import logging
import re
from pathlib import Path

from aiohttp import web

from bot.handoff import desk
from bot.handoff.cases import DeskSession
from bot.statistics import charts, texts
from bot.statistics.report import REPORTS, Report, shown

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
DESK_PATH = "/desk"
PAGE_PATH = "/desk/statistics"
CSV_PATH = "/desk/statistics.csv"
STYLESHEET_PATH = "/desk/statistics.css"

_e = html.escape


class Unavailable(Exception):
    """No report can be had now: no reader in the app, or its store cannot be reached."""


def setup_routes(app: web.Application) -> None:
    app.router.add_routes(
        [
            web.get(PAGE_PATH, statistics_page),
            web.get(CSV_PATH, statistics_csv),
            web.get("/desk/api/statistics", statistics_json),
            web.get(STYLESHEET_PATH, stylesheet),
        ]
    )


# --- Routes -------------------------------------------------------------------------------------


async def statistics_page(request: web.Request) -> web.StreamResponse:
    try:
        session = await desk.current_session(request)
    except web.HTTPUnauthorized:
        # The desk's own page has the login form.
        raise web.HTTPSeeOther(DESK_PATH, headers={"Cache-Control": "no-store"}) from None
    except ConnectionError:
        return _unavailable_page()
    if not session.is_supervisor:
        return _page(render_supervisors_only(), status=403)
    try:
        report = await _report(request, session)
    except Unavailable:
        return _unavailable_page()
    return _page(render_page(report))


async def statistics_csv(request: web.Request) -> web.StreamResponse:
    report = await _json_route_report(request)
    if report is None:
        return desk.no_store_json({"error": "unavailable"}, status=503)
    name = f"statistics-{_safe(report.force)}-{_safe(report.days[-1] if report.days else '')}.csv"
    return web.Response(
        # With a byte order mark: Excel, which most forces open a CSV with, otherwise reads it
        # in the computer's own code page.
        body=csv_text(report).encode("utf-8-sig"),
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def statistics_json(request: web.Request) -> web.StreamResponse:
    report = await _json_route_report(request)
    if report is None:
        return desk.no_store_json({"error": "unavailable"}, status=503)
    return desk.no_store_json(report_json(report))


async def stylesheet(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(
        STATIC_DIR / "statistics.css",
        headers={
            "Content-Type": "text/css",
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def _json_route_report(request: web.Request) -> Report | None:
    """The report for the CSV and JSON routes, which answer in JSON as the desk's API does."""
    session = await desk.current_session(request)
    if not session.is_supervisor:
        raise desk.refusal(403, "supervisors_only")
    try:
        return await _report(request, session)
    except Unavailable:
        return None


async def _report(request: web.Request, session: DeskSession) -> Report:
    """The session's own force's report: never a force the request names."""
    reader = request.app.get(REPORTS)
    if reader is None:
        raise Unavailable
    try:
        return await reader.report(session.force)
    except ConnectionError as error:
        log.warning("statistics: the store cannot be reached (%s)", type(error).__name__)
        raise Unavailable from error


def _safe(text: str) -> str:
    """A part of a file name: letters, digits and hyphens only."""
    return re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-") or "report"


def _page(document: str, status: int = 200) -> web.Response:
    return web.Response(
        text=document,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers=desk.PAGE_HEADERS,
    )


def _unavailable_page() -> web.Response:
    return _page(
        _document(
            texts.UNAVAILABLE_TITLE,
            f"<h1>{_e(texts.UNAVAILABLE_HEADING)}</h1><p>{_e(texts.UNAVAILABLE_TEXT)}</p>",
        ),
        status=503,
    )


# --- Documents ----------------------------------------------------------------------------------


def render_page(report: Report) -> str:
    """The statistics page: the period, how small counts are shown, then each chart with its
    table."""
    sections = []
    contents = []
    for chart in report.charts:
        base = charts.dom_id(chart)
        contents.append(f'<li><a href="#{base}">{_e(chart.title)}</a></li>')
        sections.append(
            f'<section class="chart" id="{base}" aria-labelledby="{base}-heading">'
            f'<h2 id="{base}-heading">{_e(chart.title)}</h2>'
            f'<p class="description">{_e(chart.description)}</p>'
            f'<div class="figure">{charts.svg(chart)}</div>'
            f'<div class="table">{charts.table(chart)}</div>'
            "</section>"
        )
    period = (
        texts.PERIOD.format(
            count=len(report.days),
            first=texts.long_day(report.days[0]),
            last=texts.long_day(report.days[-1]),
        )
        if report.days
        else ""
    )
    main = (
        f"<h1>{_e(texts.HEADING.format(force_name=report.force_name))}</h1>"
        f'<p class="period">{_e(period)}</p>'
        f'<p class="note">{_e(texts.PRIVACY_NOTE)}</p>'
        f'<p class="download"><a href="{CSV_PATH}" download>{_e(texts.DOWNLOAD_CSV)}</a></p>'
        f'<nav class="contents" aria-labelledby="contents-title">'
        f'<h2 id="contents-title">{_e(texts.CONTENTS)}</h2><ul>{"".join(contents)}</ul></nav>'
        + "".join(sections)
    )
    return _document(texts.PAGE_TITLE.format(force_name=report.force_name), main)


def render_supervisors_only() -> str:
    return _document(
        texts.SUPERVISORS_ONLY_TITLE,
        f"<h1>{_e(texts.SUPERVISORS_ONLY_HEADING)}</h1><p>{_e(texts.SUPERVISORS_ONLY_TEXT)}</p>",
    )


def _document(title: str, main: str) -> str:
    return (
        "<!doctype html>\n"
        '<html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex, nofollow">'
        f"<title>{_e(title)}</title>"
        f'<link rel="stylesheet" href="{STYLESHEET_PATH}">'
        "</head><body>"
        f'<a class="skip" href="#main">{_e(texts.SKIP_LINK)}</a>'
        '<header class="top">'
        f'<p class="service">{_e(texts.SERVICE)}: {_e(texts.DESK)}</p>'
        f'<nav aria-label="{_e(texts.NAVIGATION)}">'
        f'<a href="{DESK_PATH}">{_e(texts.BACK_TO_DESK)}</a></nav>'
        "</header>"
        f'<main id="main" tabindex="-1">{main}</main>'
        "</body></html>\n"
    )


# --- CSV and JSON -------------------------------------------------------------------------------


def csv_text(report: Report) -> str:
    """A row per figure: the chart, the day (ISO, which spreadsheets read as a date) or the
    category, the series, the count, and the share where the chart has shares."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(texts.CSV_HEADER)
    for chart in report.charts:
        daily = chart.kind == charts.DAILY
        for index, category in enumerate(chart.categories):
            for series in chart.series:
                value = series.values[index]
                writer.writerow(
                    (
                        chart.title,
                        category if daily else chart.category_labels[index],
                        series.label,
                        shown(value),
                        charts.shown_share(value, series.values) if chart.shares else "",
                    )
                )
    return out.getvalue()


def report_json(report: Report) -> dict:
    return {
        "force": report.force,
        "force_name": report.force_name,
        "days": list(report.days),
        "charts": [
            {
                "id": chart.id,
                "title": chart.title,
                "description": chart.description,
                "kind": chart.kind,
                "unit": chart.unit,
                "categories": list(chart.categories),
                "category_labels": list(chart.category_labels),
                "series": [
                    {
                        "id": series.id,
                        "label": series.label,
                        "values": [shown(value) for value in series.values],
                        "total": charts.shown_total(series.values),
                        **(
                            {
                                "shares": [
                                    charts.shown_share(value, series.values)
                                    for value in series.values
                                ]
                            }
                            if chart.shares
                            else {}
                        ),
                    }
                    for series in chart.series
                ],
            }
            for chart in report.charts
        ],
    }
