"""The figures a supervisor reads: the last 30 days of their force's counters, as charts.

Pure: ``build_report`` turns the store's rows into ``Report``; the desk draws it
(``bot.statistics.charts``, ``bot.statistics.page``) and writes it as CSV. Every count a person
reads goes through ``shown``: from 1 to 4 it is "fewer than 5", so nobody can be picked out of a
small number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

from aiohttp import web

from bot.statistics import counts, texts
from bot.statistics.counts import CountKey

SMALLEST_SHOWN = 5
REPORT_DAYS = 30
FEWER_THAN_5 = texts.FEWER_THAN_5


def shown(count: int) -> str:
    """A count as a supervisor may read it: "0", "fewer than 5", or the number."""
    if 0 < count < SMALLEST_SHOWN:
        return FEWER_THAN_5
    return str(count)


def is_suppressed(count: int) -> bool:
    return 0 < count < SMALLEST_SHOWN


@dataclass(frozen=True)
class Series:
    """One line of a chart: a door, a language, an answer. ``values`` has one count per entry of
    the chart's ``categories`` (a day for a daily chart, a category for a totals chart)."""

    id: str
    label: str
    values: tuple[int, ...]


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    # What is counted, in a sentence (shown under the title and as the table's caption).
    description: str
    # "daily": categories are the days (ISO dates), one series per door or language;
    # "totals": categories are answers or outcomes over the whole period, one series.
    kind: str
    categories: tuple[str, ...]
    category_labels: tuple[str, ...]
    series: tuple[Series, ...]
    # What one unit is: "conversations", "triages", "cases".
    unit: str
    # Show each value's share of its total (the paid share, the under-18 share): only where
    # both the value and the total are shown as numbers.
    shares: bool = False


@dataclass(frozen=True)
class Report:
    force: str
    force_name: str
    days: tuple[str, ...]  # ISO dates, oldest first, the last one today
    charts: tuple[Chart, ...]


class StatisticsReader(Protocol):
    async def report(self, force: str) -> Report: ...


# What the desk's statistics page reads its reports from (bot.statistics.recorder puts the
# counters there).
REPORTS = web.AppKey("statistics_reports", StatisticsReader)


# --- Building the report from the store's rows -------------------------------------------------


def build_report(
    force: str,
    force_name: str,
    days: Sequence[str],
    rows: Iterable[tuple[str, CountKey, int]],
    platform_names: Mapping[str, str],
) -> Report:
    """``rows`` are (day, key, count) for ``force`` over ``days``; anything else is ignored."""
    daily: dict[tuple[str, str, str], int] = defaultdict(int)  # (measure, part, day)
    totals: dict[tuple[str, str], int] = defaultdict(int)  # (measure, value)
    wanted = set(days)
    for day, key, count in rows:
        if key.force != force or day not in wanted:
            continue
        if key.measure == counts.CONVERSATIONS:
            daily[("door", key.door, day)] += count
            daily[("language", key.language, day)] += count
        totals[(key.measure, key.value)] += count

    def chart(
        chart_id: str, kind: str, categories: Sequence[str], labels: Sequence[str], **rest: Any
    ) -> Chart:
        title, description = texts.CHARTS[chart_id]
        return Chart(
            id=chart_id,
            title=title,
            description=description,
            kind=kind,
            categories=tuple(categories),
            category_labels=tuple(labels),
            **rest,
        )

    def daily_chart(chart_id: str, part: str, labels: Mapping[str, str]) -> Chart:
        series = tuple(
            Series(i, label, tuple(daily[(part, i, day)] for day in days))
            for i, label in labels.items()
        )
        day_labels = [texts.long_day(day) for day in days]
        return chart(chart_id, "daily", days, day_labels, series=series, unit="conversations")

    def totals_chart(
        chart_id: str, measure: str, labels: Mapping[str, str], unit: str, shares: bool = False
    ) -> Chart:
        values = tuple(totals[(measure, i)] for i in labels)
        series = (Series(measure, texts.CHARTS[chart_id][0], values),)
        return chart(
            chart_id,
            "totals",
            list(labels),
            list(labels.values()),
            series=series,
            unit=unit,
            shares=shares,
        )

    platforms = sorted(
        (value for measure, value in totals if measure == counts.PLATFORM),
        key=lambda p: (p == counts.UNKNOWN, -totals[(counts.PLATFORM, p)], p),
    )
    platform_labels = {
        p: platform_names.get(p, texts.NOT_KNOWN) for p in platforms or [counts.UNKNOWN]
    }
    charts = (
        daily_chart("conversations_by_door", "door", texts.DOOR_LABELS),
        daily_chart("conversations_by_language", "language", texts.LANGUAGE_LABELS),
        totals_chart("incident_types", counts.INCIDENT_TYPE, texts.INCIDENT_LABELS, "triages"),
        totals_chart("paid", counts.PAID, texts.PAID_LABELS, "triages", shares=True),
        totals_chart("platforms", counts.PLATFORM, platform_labels, "mentions"),
        totals_chart("under_18", counts.UNDER_18, texts.UNDER_18_LABELS, "triages", shares=True),
        totals_chart("handoffs", counts.HANDOFF, texts.HANDOFF_LABELS, "cases"),
        totals_chart("handoff_outcomes", counts.OUTCOME, texts.OUTCOME_LABELS, "cases"),
        totals_chart("wait_times", counts.WAIT, texts.WAIT_LABELS, "cases"),
    )
    return Report(force=force, force_name=force_name, days=tuple(days), charts=charts)


def last_days(today: date, number: int = REPORT_DAYS) -> tuple[str, ...]:
    return tuple((today - timedelta(days=n)).isoformat() for n in reversed(range(number)))
