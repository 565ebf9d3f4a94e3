"""Reports built by hand from the model's dataclasses, with the figures a force might see in a
month: small counts (1 to 4) on purpose, a zero, a count of exactly 5, and one totals chart whose
shares can be shown and one whose shares cannot."""

from __future__ import annotations

from datetime import date, timedelta

from bot.statistics.report import Chart, Report, Series

LAST_DAY = date(2026, 12, 5)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August")
MONTHS += ("September", "October", "November", "December")

# Per day, oldest first. Day 3 has Telegram at 3 (shown as fewer than 5) beside a widget 12;
# day 0 has a Telegram count of exactly 5, the height every hatched bar is drawn to.
TELEGRAM = (5, 7, 9, 3, 0, 11, 14, 8, 6, 10, 12, 9, 7, 13, 15, 6, 8, 9, 11, 10, 7, 6, 12, 14, 9)
TELEGRAM += (8, 10, 11, 7, 9)
WIDGET = (12, 15, 18, 12, 9, 20, 22, 17, 16, 19, 21, 18, 14, 23, 25, 16, 17, 19, 20, 18, 15)
WIDGET += (14, 21, 24, 18, 16, 19, 20, 15, 18)
SUPPRESSED_DAY = 3
# Welsh is spoken in a few conversations a day: mostly counts under 5.
WELSH = (1, 0, 2, 0, 0, 3, 5, 0, 1, 0, 2, 6, 0, 0, 1, 4, 0, 2, 0, 1, 0, 0, 5, 2, 0, 1, 0, 3, 0, 0)


def days(last: date = LAST_DAY, count: int = 30) -> tuple[str, ...]:
    return tuple((last - timedelta(days=count - 1 - n)).isoformat() for n in range(count))


def day_label(day: str) -> str:
    when = date.fromisoformat(day)
    return f"{when.day} {MONTHS[when.month - 1]} {when.year}"


def daily(chart_id: str, title: str, description: str, series: tuple[Series, ...]) -> Chart:
    the_days = days()
    return Chart(
        id=chart_id,
        title=title,
        description=description,
        kind="daily",
        categories=the_days,
        category_labels=tuple(day_label(day) for day in the_days),
        series=series,
        unit="conversations",
    )


def totals(
    chart_id: str,
    title: str,
    description: str,
    rows: dict[str, tuple[str, int]],
    unit: str = "conversations",
    shares: bool = False,
) -> Chart:
    return Chart(
        id=chart_id,
        title=title,
        description=description,
        kind="totals",
        categories=tuple(rows),
        category_labels=tuple(label for label, _ in rows.values()),
        series=(Series(unit, unit.capitalize(), tuple(count for _, count in rows.values())),),
        unit=unit,
        shares=shares,
    )


def realistic_report(force: str = "gwent", force_name: str = "Gwent Police") -> Report:
    english = tuple(t + w - c for t, w, c in zip(TELEGRAM, WIDGET, WELSH, strict=True))
    return Report(
        force=force,
        force_name=force_name,
        days=days(),
        charts=(
            daily(
                "conversations_by_door",
                "Conversations by door",
                "Conversations started each day, on Telegram and on the website's chat.",
                (
                    Series("telegram", "Telegram", TELEGRAM),
                    Series("widget", "Website chat", WIDGET),
                ),
            ),
            daily(
                "conversations_by_language",
                "Conversations by language",
                "Conversations started each day, in English and in Welsh.",
                (Series("en", "English", english), Series("cy", "Welsh", WELSH)),
            ),
            totals(
                "incident_types",
                "What happened",
                "Conversations by what the person said had happened.",
                {
                    "sextortion": ("Threatened with sharing images unless they paid", 41),
                    "webcam": ("A video call was recorded", 17),
                    "images_shared": ("Images were shared without consent", 9),
                    "threats": ("Other threats", 3),
                    "other": ("Something else", 0),
                },
            ),
            totals(
                "paid",
                "Whether they paid",
                "Conversations by whether the person said they had paid.",
                {"yes": ("Paid", 12), "no": ("Did not pay", 27), "not_said": ("Did not say", 4)},
                shares=True,
            ),
            totals(
                "platforms",
                "Where it started",
                "Conversations by the platform the person said it started on.",
                {
                    "instagram": ("Instagram", 22),
                    "snapchat": ("Snapchat", 14),
                    "facebook": ("Facebook", 8),
                    "whatsapp": ("WhatsApp", 2),
                    "other": ("Another platform", 5),
                },
            ),
            totals(
                "under_18",
                "Under 18",
                "Conversations by whether the person said they were under 18.",
                {"yes": ("Under 18", 6), "no": ("18 or over", 30), "not_said": ("Did not say", 0)},
                shares=True,
            ),
            totals(
                "handoffs",
                "Hand-offs",
                "Conversations handed to the desk, and what became of them at first.",
                {
                    "asked": ("Asked for a person", 19),
                    "picked_up": ("Picked up by a handler", 15),
                    "referred": ("Given a reference instead", 4),
                },
                unit="cases",
            ),
            totals(
                "handoff_outcomes",
                "Hand-off outcomes",
                "Cases by the outcome the handler chose when the hand-off ended.",
                {
                    "advice": ("Advice given", 7),
                    "report": ("Report taken", 5),
                    "elsewhere": ("Referred elsewhere", 0),
                    "left": ("The person left", 3),
                },
                unit="cases",
            ),
            totals(
                "wait_times",
                "Waiting times",
                "Cases by how long the person waited for a handler.",
                {
                    "under_1": ("Under 1 minute", 6),
                    "1_to_5": ("1 to 5 minutes", 5),
                    "5_to_15": ("5 to 15 minutes", 3),
                    "over_15": ("Over 15 minutes", 1),
                },
                unit="cases",
            ),
        ),
    )
