"""A ``Chart`` drawn for the desk: an inline SVG, and the table of the same figures behind it.

Pure: each function takes a ``Chart`` and returns markup, every text in it escaped. The SVG is
drawn on the server (the desk's Content-Security-Policy allows no inline style or script, and a
chart needs neither): presentation attributes only, so ``style-src 'self'`` holds.

No count from 1 to 4 is ever written or drawn at its size: such a bar is drawn up to 5, hatched,
and labelled "fewer than 5". A total that includes such a count is given as the range it lies in
(``shown_total``), worked out from what is shown, and so is a share of it (``shown_share``):
neither says more about a hidden count than "fewer than 5" does.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence

from bot.statistics import texts
from bot.statistics.report import FEWER_THAN_5, SMALLEST_SHOWN, Chart, is_suppressed, shown

DAILY = "daily"
WIDTH = 720
# Each at least 4.5:1 against white (WCAG 1.4.11 asks 3:1 of graphics); blue and orange first,
# as most charts have two series and those two stay apart for most kinds of colour blindness.
PALETTE = ("#1d4b8f", "#b35900", "#00707a", "#7b3294", "#a3195b", "#2e7d32")
INK = "#0b0c0c"
MUTED = "#505a5f"
GRID = "#b1b4b6"
BACKGROUND = "#ffffff"
FONT = 'system-ui, -apple-system, "Segoe UI", Arial, sans-serif'
FONT_SIZE = 13
# Text cannot be measured on the server: labels and the legend are laid out by a width per
# character that errs wide for the font above.
CHAR_WIDTH = 7.5
LINE_HEIGHT = 16
# A category label longer than this wraps onto another line (a totals chart's labels column).
LABEL_CHARS = 28
# At most this many gridlines above zero, each a multiple of 5: no axis number from 1 to 4.
MAX_TICKS = 5
# A daily chart labels a day every this many, ending on the last (today), so labels never
# overlap across 30 days.
MAX_DAY_LABELS = 7

_e = html.escape


# --- Figures as a supervisor may read them ------------------------------------------------------


def total_range(parts: Sequence[int]) -> tuple[int, int]:
    """The least and the most the total of ``parts`` can be, to someone who reads them shown:
    each count hidden as "fewer than 5" is anything from 1 to 4."""
    hidden = sum(1 for part in parts if is_suppressed(part))
    known = sum(part for part in parts if not is_suppressed(part))
    return known + hidden, known + 4 * hidden


def shown_total(parts: Sequence[int]) -> str:
    """The total of ``parts`` as it may be read: the number when none of them is hidden, else
    the range it lies in, worked out from what is shown ("296 to 302"), so that the total gives
    no hidden count away."""
    low, high = total_range(parts)
    if low == high:
        return shown(low)
    if high < SMALLEST_SHOWN:
        return FEWER_THAN_5
    return texts.RANGE.format(low=low, high=high)


def shown_share(value: int, parts: Sequence[int]) -> str:
    """``value``'s share of the total of ``parts``, as whole percentages: only for a value of 5
    or more, and as a range ("21% to 23%") when the total is one."""
    low, high = total_range(parts)
    if value < SMALLEST_SHOWN or high < SMALLEST_SHOWN:
        return texts.NOT_SHOWN
    most, least = _percent(value, low), _percent(value, high)
    if most == least:
        return f"{most}%"
    return texts.RANGE.format(low=f"{least}%", high=f"{most}%")


def _percent(value: int, total: int) -> int:
    return (200 * value + total) // (2 * total)  # rounded half up, in whole numbers


def short_day(day: str, fallback: str) -> str:
    """ "6 Nov" for "2026-11-06"; the chart's own label if a category is not an ISO date."""
    try:
        return texts.short_day(day)
    except ValueError:
        return fallback


# --- The SVG ------------------------------------------------------------------------------------


def svg(chart: Chart) -> str:
    """The chart as an inline SVG: role="img", named by its <title> and <desc>."""
    base = dom_id(chart)
    body, height = _daily(chart, base) if chart.kind == DAILY else _totals(chart, base)
    title_id, desc_id = f"{base}-title", f"{base}-desc"
    description = texts.CHART_DESCRIPTION.format(description=chart.description)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" font-family="{_e(FONT)}" '
        f'font-size="{FONT_SIZE}" fill="{INK}">'
        f'<title id="{title_id}">{_e(chart.title)}</title>'
        f'<desc id="{desc_id}">{_e(description)}</desc>'
        f"{_patterns(chart, base)}"
        f'<rect width="{WIDTH}" height="{height}" fill="{BACKGROUND}"/>'
        f"{body}</svg>"
    )


def dom_id(chart: Chart) -> str:
    """The prefix of every id a chart's markup uses: chart ids are the report's identifiers,
    unique in it; anything but letters, digits, "_" and "-" is replaced, to stay a valid id."""
    return "chart-" + re.sub(r"[^A-Za-z0-9_-]+", "-", chart.id)


def _colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _patterns(chart: Chart, base: str) -> str:
    """A hatch per series (its colour on white) and a neutral one for the legend."""
    colours = [_colour(index) for index in range(len(chart.series))] + [MUTED]
    names = [f"{base}-hatch-{index}" for index in range(len(chart.series))] + [f"{base}-hatch"]
    return (
        "<defs>"
        + "".join(
            f'<pattern id="{name}" width="6" height="6" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{BACKGROUND}"/>'
            f'<rect width="3" height="6" fill="{colour}"/></pattern>'
            for name, colour in zip(names, colours, strict=True)
        )
        + "</defs>"
    )


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _axis(largest: int) -> tuple[int, int]:
    """The axis' top and its step: a step of 5, 10, 20, 50, 100, 200, ... with at most
    ``MAX_TICKS`` steps, so it reaches past ``largest`` (at least 5, a hatched bar's height)."""
    largest = max(largest, SMALLEST_SHOWN)
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if step >= SMALLEST_SHOWN and math.ceil(largest / step) <= MAX_TICKS:
                return math.ceil(largest / step) * step, step
        magnitude *= 10


def _drawn(value: int) -> int:
    """How far a bar reaches: a count from 1 to 4 is drawn up to 5, never at its size."""
    return SMALLEST_SHOWN if is_suppressed(value) else value


def _largest(chart: Chart) -> int:
    return max((_drawn(value) for series in chart.series for value in series.values), default=0)


def _has_suppressed(chart: Chart) -> bool:
    return any(is_suppressed(value) for series in chart.series for value in series.values)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _legend(chart: Chart, base: str, top: float) -> tuple[str, float]:
    """Swatches left to right, wrapping: one per series (when there are several) and the
    hatch (when a count is shown as fewer than 5). Returns the markup and its height."""
    items: list[tuple[str, str]] = []
    if len(chart.series) > 1:
        items += [(_colour(index), s.label) for index, s in enumerate(chart.series)]
    if _has_suppressed(chart):
        items.append((f"url(#{base}-hatch)", texts.SUPPRESSED_LEGEND))
    if not items:
        return "", 0
    parts, x, y = [], 0.0, top
    for fill, label in items:
        width = 20 + len(label) * CHAR_WIDTH + 24
        if x and x + width > WIDTH - 16:
            x, y = 0.0, y + LINE_HEIGHT + 6
        stroke = f' stroke="{MUTED}"' if fill.startswith("url(") else ""
        parts.append(
            f'<rect x="{_number(16 + x)}" y="{_number(y)}" width="14" height="14" '
            f'fill="{fill}"{stroke}/>'
            f'<text x="{_number(36 + x)}" y="{_number(y + 12)}">{_e(label)}</text>'
        )
        x += width
    return f'<g class="legend">{"".join(parts)}</g>', y + LINE_HEIGHT + 6 - top


def _bar(
    chart: Chart, base: str, series_index: int, category_index: int, box: tuple[float, ...]
) -> str:
    """One bar, with a tooltip (<title>) that says its figure as the table does."""
    series = chart.series[series_index]
    value = series.values[category_index]
    category = chart.category_labels[category_index]
    title = (
        texts.BAR_TITLE_WITH_SERIES.format(
            category=category, series=series.label, count=shown(value)
        )
        if len(chart.series) > 1
        else texts.BAR_TITLE.format(category=category, count=shown(value))
    )
    x, y, width, height = (_number(n) for n in box)
    colour = _colour(series_index)
    if is_suppressed(value):
        look = (
            f'class="bar suppressed" fill="url(#{base}-hatch-{series_index})" '
            f'stroke="{colour}" stroke-width="1.5"'
        )
    else:
        look = f'class="bar" fill="{colour}"'
    return (
        f'<rect {look} x="{x}" y="{y}" width="{width}" height="{height}">'
        f"<title>{_e(title)}</title></rect>"
    )


def _daily(chart: Chart, base: str) -> tuple[str, int]:
    """Grouped bars, a group per day, a bar per series; the count up the side."""
    left, right, plot_height = 56, 16, 240
    legend, legend_height = _legend(chart, base, 8)
    top = 8 + legend_height + 28
    bottom = top + plot_height
    axis_top, step = _axis(_largest(chart))
    scale = plot_height / axis_top
    plot_width = WIDTH - left - right
    parts = [
        legend,
        f'<text x="{left - 8}" y="{top - 12}">'
        f"{_e(_capitalised(texts.PER_DAY_AXIS.format(unit=chart.unit)))}</text>",
    ]
    for value in range(0, axis_top + 1, step):
        y = _number(bottom - value * scale)
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{y}" y2="{y}" '
            f'stroke="{MUTED if value == 0 else GRID}" stroke-width="1"/>'
            f'<text x="{left - 8}" y="{y}" dy="4" text-anchor="end">{value}</text>'
        )
    days = len(chart.categories)
    slot = plot_width / max(days, 1)
    group = slot * 0.8
    bar_width = group / max(len(chart.series), 1)
    gap = 1 if bar_width > 3 else 0  # white between neighbouring bars of different series
    for day in range(days):
        start = left + day * slot + (slot - group) / 2
        for index, series in enumerate(chart.series):
            value = series.values[day]
            if value == 0:
                continue
            height = _drawn(value) * scale
            box = (start + index * bar_width, bottom - height, bar_width - gap, height)
            parts.append(_bar(chart, base, index, day, box))
    every = math.ceil(days / MAX_DAY_LABELS) if days else 1
    for day in range(days):
        if (days - 1 - day) % every:
            continue
        label = short_day(chart.categories[day], chart.category_labels[day])
        x = _number(left + day * slot + slot / 2)
        parts.append(f'<text x="{x}" y="{bottom + 20}" text-anchor="middle">{_e(label)}</text>')
    return "".join(parts), bottom + 36


def _wrapped(text: str, width: int = LABEL_CHARS) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _totals(chart: Chart, base: str) -> tuple[str, int]:
    """A horizontal bar per category (per series, if several), its figure written beside it."""
    label_right, left = 212, 224
    # Room beside the longest bar for "fewer than 5".
    value_room = len(FEWER_THAN_5) * CHAR_WIDTH + 16
    plot_width = WIDTH - left - value_room
    legend, legend_height = _legend(chart, base, 8)
    top = 8 + legend_height + 28
    axis_top, step = _axis(_largest(chart))
    scale = plot_width / axis_top
    bar_height = 20 if len(chart.series) == 1 else 14
    rows, y = [], float(top)
    for category, label in enumerate(chart.category_labels):
        lines = _wrapped(label)
        row_height = max(len(lines) * LINE_HEIGHT, len(chart.series) * bar_height) + 12
        middle = y + row_height / 2
        first = middle - (len(lines) - 1) * LINE_HEIGHT / 2 + 4
        rows.append(
            f'<text x="{label_right}" y="{_number(first)}" text-anchor="end">'
            + "".join(
                f'<tspan x="{label_right}" dy="{0 if n == 0 else LINE_HEIGHT}">{_e(line)}</tspan>'
                for n, line in enumerate(lines)
            )
            + "</text>"
        )
        bars_top = middle - len(chart.series) * bar_height / 2
        for index, series in enumerate(chart.series):
            value = series.values[category]
            length = _drawn(value) * scale
            bar_y = bars_top + index * bar_height
            if value:
                box = (left, bar_y + 1, length, bar_height - 2)
                rows.append(_bar(chart, base, index, category, box))
            rows.append(
                f'<text class="value" x="{_number(left + length + 6)}" '
                f'y="{_number(bar_y + bar_height / 2 + 4)}">{_e(shown(value))}</text>'
            )
        y += row_height
    bottom = y
    grid = [
        f'<text x="{left}" y="{top - 12}">{_e(_capitalised(chart.unit))}</text>',
    ]
    for value in range(0, axis_top + 1, step):
        x = _number(left + value * scale)
        grid.append(
            f'<line x1="{x}" x2="{x}" y1="{top}" y2="{_number(bottom)}" '
            f'stroke="{MUTED if value == 0 else GRID}" stroke-width="1"/>'
            f'<text x="{x}" y="{_number(bottom + 18)}" text-anchor="middle">{value}</text>'
        )
    return legend + "".join(grid) + "".join(rows), math.ceil(bottom + 32)


# --- The table ----------------------------------------------------------------------------------


def table(chart: Chart) -> str:
    """Every figure of the chart: a row per day or category, a column per series (and its
    share, where the chart has shares), totals where there is more than one figure to add."""
    several = len(chart.series) > 1
    columns = [series.values for series in chart.series]
    head = [texts.DAY if chart.kind == DAILY else texts.CATEGORY]
    for series in chart.series:
        head.append(series.label)
        if chart.shares:
            head.append(texts.SERIES_SHARE.format(series=series.label) if several else texts.SHARE)
    if several:
        head.append(texts.TOTAL)
    rows = []
    for category, label in enumerate(chart.category_labels):
        cells = []
        for values in columns:
            cells.append(shown(values[category]))
            if chart.shares:
                cells.append(shown_share(values[category], values))
        if several:
            cells.append(shown_total([values[category] for values in columns]))
        rows.append(_row(label, cells))
    totals = []
    for values in columns:
        totals.append(shown_total(values))
        if chart.shares:
            # The whole is all of itself, whatever it is, once it is 5 or more.
            totals.append("100%" if total_range(values)[1] >= SMALLEST_SHOWN else texts.NOT_SHOWN)
    if several:
        totals.append(shown_total([value for values in columns for value in values]))
    return (
        f'<table class="figures" id="{dom_id(chart)}-table">'
        f"<caption>{_e(chart.description)}</caption>"
        "<thead><tr>"
        + "".join(f'<th scope="col">{_e(text)}</th>' for text in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody><tfoot>"
        + _row(texts.TOTAL, totals)
        + "</tfoot></table>"
    )


def _row(label: str, cells: Sequence[str]) -> str:
    return (
        f'<tr><th scope="row">{_e(label)}</th>'
        + "".join(f"<td>{_e(cell)}</td>" for cell in cells)
        + "</tr>"
    )
