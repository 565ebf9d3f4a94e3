"""The figures a supervisor reads: the last 30 days of their force's counters, as charts.

Pure: ``build_report`` turns the store's rows into ``Report``; the desk draws it
(``bot.statistics.charts``, ``bot.statistics.page``) and writes it as CSV. Every count a person
reads goes through ``shown``: from 1 to 4 it is "fewer than 5", so nobody can be picked out of a
small number.
"""

from __future__ import annotations

from dataclasses import dataclass

SMALLEST_SHOWN = 5
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
