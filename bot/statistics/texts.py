"""Every word the statistics pages show a supervisor, in English like the rest of the desk.

Kept here, apart from the drawing (``charts``) and the pages (``page``), so the wording can be
read and changed in one place. Sentences with a ``{placeholder}`` are filled with ``format``.
"""

from __future__ import annotations

from bot.statistics.report import FEWER_THAN_5

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
