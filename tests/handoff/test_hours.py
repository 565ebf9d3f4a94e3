import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.handoff.hours import HoursError, OpeningHours

LONDON = ZoneInfo("Europe/London")


def at(day: int, hour: int, minute: int = 0) -> float:
    # 2026-06-01 is a Monday (British Summer Time, so the zone matters).
    return dt.datetime(2026, 6, 1 + day, hour, minute, tzinfo=LONDON).timestamp()


def test_nothing_set_means_every_queue_is_open_at_all_hours():
    hours = OpeningHours.parse("")
    assert hours.is_open("gwent", at(0, 3)) and hours.is_open("national", at(6, 23, 59))


def test_daily_hours_in_london_time():
    hours = OpeningHours.parse("gwent=08:00-20:00")
    assert hours.is_open("gwent", at(0, 8))
    assert hours.is_open("gwent", at(0, 19, 59))
    assert not hours.is_open("gwent", at(0, 20))
    assert not hours.is_open("gwent", at(0, 7, 59))
    assert hours.is_open("dorset", at(0, 3))  # not named: open


def test_days_overnight_closed_and_default():
    hours = OpeningHours.parse(
        "dorset=Mon-Fri 09:00-17:00,Sat 10:00-12:00; wiltshire=22:00-06:00;"
        " national=closed; *=always"
    )
    assert hours.is_open("dorset", at(4, 16)) and not hours.is_open("dorset", at(6, 11))
    assert hours.is_open("dorset", at(5, 11)) and not hours.is_open("dorset", at(5, 13))
    assert hours.is_open("wiltshire", at(0, 23)) and hours.is_open("wiltshire", at(1, 5))
    assert not hours.is_open("wiltshire", at(1, 12))
    assert not hours.is_open("national", at(2, 12))
    assert hours.is_open("gwent", at(2, 3))


@pytest.mark.parametrize(
    "raw",
    ["gwent", "gwent=8-20", "gwent=Xyz 08:00-10:00", "gwent=10:00-10:00", "gwent=25:00-26:00"],
)
def test_unreadable_hours_stop_the_start(raw):
    with pytest.raises(HoursError):
        OpeningHours.parse(raw)
