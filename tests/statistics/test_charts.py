"""The charts, tables, page and CSV drawn from a report: well-formed, named for assistive
technology, every text escaped, and no count from 1 to 4 given away, by a label, a bar's
length, a total or a share."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from bot.statistics import charts, texts
from bot.statistics.charts import PALETTE, short_day, shown_share, shown_total, svg, table
from bot.statistics.page import csv_text, render_page
from bot.statistics.report import FEWER_THAN_5, Chart, Report, Series
from tests.statistics.reports import SUPPRESSED_DAY, TELEGRAM, WIDGET, days, realistic_report

SVG = "{http://www.w3.org/2000/svg}"
REPORT = realistic_report()
CHARTS = {chart.id: chart for chart in REPORT.charts}
SMALL_COUNTS = {"1", "2", "3", "4"}


def parsed(chart: Chart) -> ET.Element:
    return ET.fromstring(svg(chart))


def texts_of(root: ET.Element) -> list[str]:
    """Every <text> the chart writes (a label, an axis number, a value)."""
    return ["".join(node.itertext()).strip() for node in root.iter(f"{SVG}text")]


def bars(root: ET.Element) -> dict[str, ET.Element]:
    """Each bar by its tooltip, e.g. "9 November 2026, Telegram: fewer than 5"."""
    return {
        node.find(f"{SVG}title").text: node
        for node in root.iter(f"{SVG}rect")
        if "bar" in (node.get("class") or "").split()
    }


def table_rows(chart: Chart) -> list[list[str]]:
    """The table's cells, header row first, as a person reads them."""
    root = ET.fromstring(table(chart))
    return [["".join(cell.itertext()) for cell in row] for row in root.iter("tr")]


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


# --- The SVG ------------------------------------------------------------------------------------


def test_every_chart_is_an_image_named_by_its_own_title_and_description():
    for chart in REPORT.charts:
        root = parsed(chart)
        assert root.get("role") == "img"
        title_id, desc_id = root.get("aria-labelledby").split()
        title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
        assert (title.get("id"), desc.get("id")) == (title_id, desc_id)
        assert title.text == chart.title
        assert desc.text.startswith(chart.description)


def test_ids_are_unique_on_the_page():
    ids = re.findall(r'\sid="([^"]+)"', render_page(REPORT))
    assert len(ids) == len(set(ids))
    assert len(ids) > 4 * len(REPORT.charts)


def test_a_count_under_5_in_a_daily_chart_is_drawn_to_5_hatched_and_never_written():
    chart = CHARTS["conversations_by_door"]
    assert TELEGRAM[SUPPRESSED_DAY] == 3 and TELEGRAM[0] == 5
    root = parsed(chart)
    by_title = bars(root)
    hidden = by_title[f"9 November 2026, Telegram: {FEWER_THAN_5}"]
    five = by_title["6 November 2026, Telegram: 5"]
    assert "suppressed" in hidden.get("class")
    assert hidden.get("fill").startswith("url(#")
    assert float(hidden.get("height")) == float(five.get("height"))
    assert not [title for title in by_title if title.endswith(": 3")]
    assert not set(texts_of(root)) & SMALL_COUNTS
    # The legend says what the hatch means.
    assert texts.SUPPRESSED_LEGEND in texts_of(root)


def test_a_chart_of_small_counts_only_shows_nothing_of_their_sizes():
    tiny = Chart(
        id="tiny",
        title="Tiny",
        description="Small counts.",
        kind="daily",
        categories=("2026-12-03", "2026-12-04", "2026-12-05"),
        category_labels=("3 December", "4 December", "5 December"),
        series=(Series("telegram", "Telegram", (3, 1, 4)),),
        unit="conversations",
    )
    root = parsed(tiny)
    drawn = list(bars(root).values())
    assert len(drawn) == 3
    assert len({bar.get("height") for bar in drawn}) == 1
    assert not set(texts_of(root)) & SMALL_COUNTS
    assert ET.tostring(root, encoding="unicode").count(FEWER_THAN_5) >= 3


def test_a_daily_chart_labels_some_days_ending_today_and_counts_in_fives():
    root = parsed(CHARTS["conversations_by_door"])
    labels = texts_of(root)
    day_labels = [label for label in labels if re.fullmatch(r"\d+ [A-Z][a-z]{2}", label)]
    assert 4 <= len(day_labels) <= 8
    assert day_labels[-1] == "5 Dec"
    axis = [int(label) for label in labels if label.isdigit()]
    assert axis[0] == 0 and max(axis) >= max(WIDGET)
    assert all(number % 5 == 0 for number in axis)
    # A colour per series, named in the legend.
    assert {"Telegram", "Website chat"} <= set(labels)


def test_a_totals_chart_writes_each_figure_beside_its_bar():
    root = parsed(CHARTS["incident_types"])
    values = [
        "".join(node.itertext()) for node in root.iter(f"{SVG}text") if node.get("class") == "value"
    ]
    assert values == ["41", "17", "9", FEWER_THAN_5, "0"]
    # A long category label wraps rather than running into the bars.
    label = next(node for node in root.iter(f"{SVG}text") if len(node) > 1)
    assert " ".join(span.text for span in label) == (
        "Threatened with sharing images unless they paid"
    )


def test_bar_colours_stand_out_from_white_by_at_least_3_to_1():
    for colour in PALETTE:
        assert 1.05 / (luminance(colour) + 0.05) >= 3, colour
    for chart in REPORT.charts:
        for bar in bars(parsed(chart)).values():
            fill = bar.get("fill")
            assert fill in PALETTE or bar.get("stroke") in PALETTE, (chart.id, fill)


def test_every_text_is_escaped():
    hostile = Chart(
        id='x" onload="alert(1)',
        title='<script>alert("title")</script> & co',
        description="Counts of <b>things</b> & 'stuff'",
        kind="totals",
        categories=("a",),
        category_labels=("</text><text>7",),
        series=(Series("s", '"Series" <i>', (12,)),),
        unit="<u>nits",
        shares=True,
    )
    for markup in (svg(hostile), table(hostile)):
        root = ET.fromstring(markup)
        assert "<script>" not in markup and "<b>" not in markup and "<i>" not in markup
        assert not [node for node in root.iter() if node.tag.endswith(("script", "b", "i"))]
    root = parsed(hostile)
    assert root.find(f"{SVG}title").text == '<script>alert("title")</script> & co'
    assert "</text><text>7" in texts_of(root)
    assert not [node for node in root.iter() if "onload" in node.attrib]
    assert table_rows(hostile)[1][0] == "</text><text>7"
    page = render_page(
        Report(force="x", force_name="<Heddlu>", days=REPORT.days, charts=(hostile,))
    )
    assert "&lt;Heddlu&gt;" in page and "<Heddlu>" not in page


def test_short_day_labels():
    assert short_day("2026-11-06", "6 November") == "6 Nov"
    assert short_day("not a date", "Monday") == "Monday"


# --- The table ----------------------------------------------------------------------------------


def test_a_table_has_a_caption_and_headers_for_columns_and_rows():
    root = ET.fromstring(table(CHARTS["incident_types"]))
    assert root.find("caption").text == CHARTS["incident_types"].description
    assert [th.get("scope") for th in root.find("thead").iter("th")] == ["col", "col"]
    body_rows = list(root.find("tbody")) + list(root.find("tfoot"))
    assert all(row[0].tag == "th" and row[0].get("scope") == "row" for row in body_rows)


def test_a_table_shows_counts_under_5_as_fewer_than_5_and_zero_as_0():
    rows = table_rows(CHARTS["incident_types"])
    assert rows[0] == [texts.CATEGORY, "Conversations"]
    # The total counts the hidden one as anything from 1 to 4.
    assert [row[1] for row in rows[1:]] == ["41", "17", "9", FEWER_THAN_5, "0", "68 to 71"]
    assert rows[-1][0] == texts.TOTAL


def test_shares_only_where_the_value_and_the_total_are_both_numbers():
    under_18 = table_rows(CHARTS["under_18"])
    assert under_18[0] == [texts.CATEGORY, "Conversations", texts.SHARE]
    assert under_18[1:] == [
        ["Under 18", "6", "17%"],
        ["18 or over", "30", "83%"],
        ["Did not say", "0", "not shown"],
        [texts.TOTAL, "36", "100%"],
    ]
    # Did not say is hidden: the total, and the shares of it, are the ranges they lie in.
    paid = table_rows(CHARTS["paid"])
    assert paid[1:] == [
        ["Paid", "12", "28% to 30%"],
        ["Did not pay", "27", "63% to 68%"],
        ["Did not say", FEWER_THAN_5, "not shown"],
        [texts.TOTAL, "40 to 43", "100%"],
    ]


def test_a_daily_table_has_a_total_per_day_and_per_series_where_they_give_nothing_away():
    rows = table_rows(CHARTS["conversations_by_door"])
    assert rows[0] == [texts.DAY, "Telegram", "Website chat", texts.TOTAL]
    assert len(rows) == 1 + 30 + 1
    assert rows[1] == ["6 November 2026", "5", "12", "17"]
    assert rows[1 + SUPPRESSED_DAY] == ["9 November 2026", FEWER_THAN_5, "12", "13 to 16"]
    hidden = sum(1 for value in TELEGRAM if 0 < value < 5)
    known = sum(value for value in TELEGRAM if not 0 < value < 5)
    telegram_total = f"{known + hidden} to {known + 4 * hidden}"
    assert rows[-1][:3] == [texts.TOTAL, telegram_total, str(sum(WIDGET))]


def test_totals_and_shares_of_small_counts():
    assert shown_total([0, 0]) == "0"
    assert shown_total([5, 0, 12]) == "17"
    assert shown_total([1, 0]) == FEWER_THAN_5
    assert shown_total([1, 2]) == "2 to 8"
    assert shown_total([10, 3]) == "11 to 14"
    assert shown_share(5, [5, 5]) == "50%"
    assert shown_share(5, [5, 35]) == "13%"  # 12.5%, rounded half up
    assert shown_share(4, [4, 10]) == "not shown"
    assert shown_share(5, [5, 3]) == "56% to 83%"
    assert shown_share(0, [0, 10]) == "not shown"


counts = st.integers(min_value=0, max_value=12)


@given(st.lists(st.tuples(counts, counts), min_size=1, max_size=6), st.booleans(), st.randoms())
def test_a_table_is_the_same_whatever_its_hidden_counts_are(values, shares, random):
    """Nothing in a table (a total, a share) tells a hidden count from any other from 1 to 4:
    given another count from 1 to 4 in each hidden place, the table reads exactly the same."""

    def chart_of(pairs: list[tuple[int, int]]) -> Chart:
        return Chart(
            id="any",
            title="Any",
            description="Any counts.",
            kind="daily",
            categories=tuple(f"day {n}" for n in range(len(pairs))),
            category_labels=tuple(f"Day {n}" for n in range(len(pairs))),
            series=(
                Series("a", "A", tuple(a for a, _ in pairs)),
                Series("b", "B", tuple(b for _, b in pairs)),
            ),
            unit="conversations",
            shares=shares,
        )

    def other_hidden(count: int) -> int:
        return random.randint(1, 4) if 0 < count < 5 else count

    others = [(other_hidden(a), other_hidden(b)) for a, b in values]
    rows = table_rows(chart_of(values))
    assert rows == table_rows(chart_of(others))
    assert not {cell for row in rows for cell in row} & SMALL_COUNTS


# --- The page and the CSV -----------------------------------------------------------------------


def test_the_page_gives_the_period_the_rule_and_each_chart_with_its_table():
    page = render_page(REPORT)
    assert page.startswith("<!doctype html>")
    assert '<html lang="en-GB">' in page
    assert "<h1>Statistics for Gwent Police</h1>" in page
    assert "The last 30 days: from 6 November 2026 to 5 December 2026." in page
    assert f"&quot;{FEWER_THAN_5}&quot;" in page
    assert '<a class="skip" href="#main">' in page and '<main id="main"' in page
    assert 'href="/desk"' in page and 'href="/desk/statistics.csv"' in page
    assert " style=" not in page and "<style" not in page and "<script" not in page
    for chart in REPORT.charts:
        base = charts.dom_id(chart)
        heading = f'<h2 id="{base}-heading">{chart.title}</h2>'
        assert page.index(heading) < page.index(f'aria-labelledby="{base}-title')
        assert page.index(f'aria-labelledby="{base}-title') < page.index(f'id="{base}-table"')


def test_the_csv_has_a_row_per_figure_with_the_same_hiding():
    rows = list(csv.reader(io.StringIO(csv_text(REPORT))))
    assert tuple(rows[0]) == texts.CSV_HEADER
    data = rows[1:]
    assert len(data) == sum(len(c.categories) * len(c.series) for c in REPORT.charts)
    assert not {row[3] for row in data} & SMALL_COUNTS
    assert [
        "Conversations by door",
        days()[SUPPRESSED_DAY],
        "Telegram",
        FEWER_THAN_5,
        "",
    ] in data
    under_18 = [row[1:] for row in data if row[0] == "Under 18"]
    assert under_18 == [
        ["Under 18", "Conversations", "6", "17%"],
        ["18 or over", "Conversations", "30", "83%"],
        ["Did not say", "Conversations", "0", "not shown"],
    ]
    assert {row[4] for row in data if row[0] == "Whether they paid"} == {
        "28% to 30%",
        "63% to 68%",
        "not shown",
    }
