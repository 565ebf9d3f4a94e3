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
from typing import Protocol

from aiohttp import web

from bot.statistics import counts
from bot.statistics.counts import CountKey

SMALLEST_SHOWN = 5
REPORT_DAYS = 30
FEWER_THAN_5 = "fewer than 5"


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

DOOR_LABELS = {"telegram": "Telegram", "widget": "Web chat"}
LANGUAGE_LABELS = {"en": "English", "cy": "Welsh"}
INCIDENT_LABELS = {
    "webcam": "Webcam or video call blackmail",
    "images": "Threats to share images",
    "phishing": "'I hacked your webcam' emails",
    "known_person": "Someone they know",
    "other": "Something else",
    "unknown": "Not known",
}
PAID_LABELS = {"yes": "Had paid", "no": "Had not paid", "unknown": "Not known"}
UNDER_18_LABELS = {"yes": "Under 18", "no": "18 or over", "unknown": "Not known"}
HANDOFF_LABELS = {
    "requested": "Asked for a person",
    "queued": "Joined the queue",
    "out_of_hours": "Out of hours: given a reference",
    "queue_full": "Queue full: given a reference",
    "claimed": "Taken by a handler",
    "not_picked_up": "Not picked up in time: given a reference",
    "left": "Left the queue or chat",
}


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

    def by_day(part: str, ids: Sequence[str], labels: Mapping[str, str]) -> tuple[Series, ...]:
        return tuple(
            Series(i, labels[i], tuple(daily[(part, i, day)] for day in days)) for i in ids
        )

    def totals_chart(
        chart_id: str,
        title: str,
        description: str,
        measure: str,
        labels: Mapping[str, str],
        unit: str,
        shares: bool = False,
    ) -> Chart:
        ids = tuple(labels)
        return Chart(
            id=chart_id,
            title=title,
            description=description,
            kind="totals",
            categories=ids,
            category_labels=tuple(labels[i] for i in ids),
            series=(Series(measure, title, tuple(totals[(measure, i)] for i in ids)),),
            unit=unit,
            shares=shares,
        )

    platforms = sorted(
        (value for measure, value in totals if measure == counts.PLATFORM),
        key=lambda p: (p == counts.UNKNOWN, -totals[(counts.PLATFORM, p)], p),
    )
    day_labels = tuple(_day_label(day) for day in days)
    charts = (
        Chart(
            id="conversations_by_door",
            title="Conversations a day, by door",
            description="Conversations begun each day through this force's doors, by door.",
            kind="daily",
            categories=tuple(days),
            category_labels=day_labels,
            series=by_day("door", counts.DOORS, DOOR_LABELS),
            unit="conversations",
        ),
        Chart(
            id="conversations_by_language",
            title="Conversations a day, by language",
            description="Conversations begun each day through this force's doors, by the "
            "language they began in.",
            kind="daily",
            categories=tuple(days),
            category_labels=day_labels,
            series=by_day("language", counts.LANGUAGES, LANGUAGE_LABELS),
            unit="conversations",
        ),
        totals_chart(
            "incident_types",
            "What people faced",
            "Finished triages in the 30 days, by what happened to the person.",
            counts.INCIDENT_TYPE,
            INCIDENT_LABELS,
            "triages",
        ),
        totals_chart(
            "paid",
            "Whether they had paid",
            "Finished triages in the 30 days, by whether the person had already paid.",
            counts.PAID,
            PAID_LABELS,
            "triages",
            shares=True,
        ),
        totals_chart(
            "platforms",
            "Platforms",
            "Platforms named in finished triages in the 30 days (a triage can name several).",
            counts.PLATFORM,
            {p: platform_names.get(p, "Not known") for p in platforms or [counts.UNKNOWN]},
            "mentions",
        ),
        totals_chart(
            "under_18",
            "Under 18",
            "Finished triages in the 30 days, by whether the person (or the person they were "
            "asking for) was under 18.",
            counts.UNDER_18,
            UNDER_18_LABELS,
            "triages",
            shares=True,
        ),
        totals_chart(
            "handoffs",
            "Requests for a person",
            "What happened when people asked to talk to a 101 contact in the 30 days.",
            counts.HANDOFF,
            HANDOFF_LABELS,
            "cases",
        ),
        totals_chart(
            "handoff_outcomes",
            "Outcomes recorded",
            "The outcome handlers recorded when closing a case in the 30 days.",
            counts.OUTCOME,
            {outcome: outcome.capitalize() for outcome in counts.OUTCOMES},
            "cases",
        ),
        totals_chart(
            "wait_times",
            "Waiting times",
            "How long people waited before a handler took their case, in the 30 days.",
            counts.WAIT,
            {label: label.capitalize() for _, label in counts.WAIT_BUCKETS},
            "cases",
        ),
    )
    return Report(force=force, force_name=force_name, days=tuple(days), charts=charts)


def last_days(today: date, number: int = REPORT_DAYS) -> tuple[str, ...]:
    return tuple((today - timedelta(days=n)).isoformat() for n in reversed(range(number)))


def _day_label(day: str) -> str:
    parsed = date.fromisoformat(day)
    return f"{parsed.day} {parsed.strftime('%b')}"
