"""Every word the statistics pages show a supervisor, in English like the rest of the desk.

Kept here, apart from the drawing (``charts``) and the pages (``page``), so the wording can be
read and changed in one place. Sentences with a ``{placeholder}`` are filled with ``format``.
"""

from __future__ import annotations

from datetime import date

from bot.statistics.counts import OUTCOMES, WAIT_BUCKETS

# What a count from 1 to 4 reads as, everywhere (bot.statistics.report.shown).
FEWER_THAN_5 = "fewer than 5"

SERVICE = "Ask in Confidence"
DESK = "hand-off desk"
PAGE_TITLE = "Statistics for {force_name} · Ask in Confidence"
HEADING = "Statistics for {force_name}"
PERIOD = "The last {count} days: from {first} to {last}."
PRIVACY_NOTE = (
    f'Counts from 1 to 4 are shown as "{FEWER_THAN_5}". A total or a share that includes such '
    "a count is given as the range it lies in, so that no small count can be worked out. No "
    "figure here identifies anyone."
)
SKIP_LINK = "Skip to main content"
BACK_TO_DESK = "Back to the desk"
DOWNLOAD_CSV = "Download every figure as a spreadsheet (CSV)"
CONTENTS = "Charts on this page"
NAVIGATION = "Desk"

# Charts.
CHART_DESCRIPTION = "{description} Every figure is in the table after the chart."
PER_DAY_AXIS = "{unit} each day"
TOTAL_AXIS = "{unit} in {count} days"
NOT_SHOWN = "not shown"
RANGE = "{low} to {high}"
SUPPRESSED_LEGEND = f"hatched: {FEWER_THAN_5} (drawn up to 5, the number is not shown)"
SUPPRESSED_SHORT = "<5"
BAR_TITLE = "{category}: {count}"
BAR_TITLE_WITH_SERIES = "{category}, {series}: {count}"
MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# Tables.
DAY = "Day"
CATEGORY = "Category"
TOTAL = "Total"
SHARE = "Share of total"
SERIES_SHARE = "{series}: share of total"

# Pages other than the statistics themselves.
SUPERVISORS_ONLY_TITLE = "Statistics are for supervisors · Ask in Confidence"
SUPERVISORS_ONLY_HEADING = "Statistics are for supervisors"
SUPERVISORS_ONLY_TEXT = (
    "Your desk account is a handler's. If you need your force's statistics, ask whoever "
    "manages your force's desk accounts to make yours a supervisor's."
)
UNAVAILABLE_TITLE = "Statistics are not available · Ask in Confidence"
UNAVAILABLE_HEADING = "Statistics are not available just now"
UNAVAILABLE_TEXT = "Nothing is wrong with your account. Please try again in a few minutes."

# The CSV's header row.
CSV_HEADER = ("chart", "category_or_day", "series", "count", "share")


def long_day(day: str) -> str:
    """ "6 November 2026" for "2026-11-06"."""
    when = date.fromisoformat(day)
    return f"{when.day} {MONTHS[when.month - 1]} {when.year}"


def short_day(day: str) -> str:
    """ "6 Nov" for "2026-11-06"."""
    when = date.fromisoformat(day)
    return f"{when.day} {MONTHS_SHORT[when.month - 1]}"


# The charts' series and categories (bot.statistics.report.build_report).
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
OUTCOME_LABELS = {outcome: outcome.capitalize() for outcome in OUTCOMES}
WAIT_LABELS = {label: label.capitalize() for _, label in WAIT_BUCKETS}
NOT_KNOWN = "Not known"

# Each chart's title and what it counts (shown under the title and as its table's caption).
CHARTS = {
    "conversations_by_door": (
        "Conversations a day, by door",
        "Conversations begun each day through this force's doors, by door.",
    ),
    "conversations_by_language": (
        "Conversations a day, by language",
        "Conversations begun each day through this force's doors, by the language they began in.",
    ),
    "incident_types": (
        "What people faced",
        "Finished triages in the 30 days, by what happened to the person.",
    ),
    "paid": (
        "Whether they had paid",
        "Finished triages in the 30 days, by whether the person had already paid.",
    ),
    "platforms": (
        "Platforms",
        "Platforms named in finished triages in the 30 days (a triage can name several).",
    ),
    "under_18": (
        "Under 18",
        "Finished triages in the 30 days, by whether the person (or the person they were asking "
        "for) was under 18.",
    ),
    "handoffs": (
        "Requests for a person",
        "What happened when people asked to talk to a 101 contact in the 30 days.",
    ),
    "handoff_outcomes": (
        "Outcomes recorded",
        "The outcome handlers recorded when closing a case in the 30 days.",
    ),
    "wait_times": (
        "Waiting times",
        "How long people waited before a handler took their case, in the 30 days.",
    ),
}
