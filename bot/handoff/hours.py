"""Opening hours of each force's hand-off desk, from ``AIC_HANDOFF_HOURS``.

``AIC_HANDOFF_HOURS="gwent=08:00-22:00;dorset=Mon-Fri 09:00-17:00;national=closed"``

A queue is one of the force ids in data/knowledge.yml or ``national`` (the rest of the UK). Each
entry is ``queue=RANGE[,RANGE...]``; a range is ``HH:MM-HH:MM`` every day, or with days
(``Mon-Fri 09:00-17:00``, ``Sat 10:00-14:00``); an end before its start runs past midnight;
``always`` and ``closed`` mean what they say; ``*`` sets the default for queues not named.
With nothing set, every queue is open at all hours: the wait timeout (``AIC_HANDOFF_WAIT_MINUTES``)
then still gives the person a reference when nobody picks up.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(
    r"^(?:(?P<d1>[a-z]{3})(?:-(?P<d2>[a-z]{3}))?\s+)?(?P<h1>\d{1,2}):(?P<m1>\d{2})-(?P<h2>\d{1,2}):(?P<m2>\d{2})$"
)


class HoursError(ValueError):
    pass


@dataclass(frozen=True)
class Window:
    days: frozenset[int]  # 0 = Monday
    start: int  # minutes since midnight
    end: int  # minutes since midnight; 1440 is midnight at the end of the day

    def contains(self, when: dt.datetime) -> bool:
        minute = when.hour * 60 + when.minute
        if self.start <= self.end:
            return when.weekday() in self.days and self.start <= minute < self.end
        # Past midnight: the evening part on the listed days, the morning part the day after.
        yesterday = (when.weekday() - 1) % 7
        return (when.weekday() in self.days and minute >= self.start) or (
            yesterday in self.days and minute < self.end
        )


ALWAYS = (Window(frozenset(range(7)), 0, 1440),)


@dataclass(frozen=True)
class OpeningHours:
    windows: dict[str, tuple[Window, ...]]
    timezone: str = "Europe/London"

    @classmethod
    def parse(cls, raw: str | None, timezone: str = "Europe/London") -> OpeningHours:
        windows: dict[str, tuple[Window, ...]] = {}
        for entry in (raw or "").split(";"):
            if not entry.strip():
                continue
            queue, sep, spec = entry.partition("=")
            if not sep:
                raise HoursError(f"AIC_HANDOFF_HOURS: '{entry.strip()}' has no '='")
            windows[queue.strip().lower()] = _windows(spec.strip().lower())
        try:
            ZoneInfo(timezone)
        except Exception as error:
            raise HoursError(f"unknown time zone {timezone!r}") from error
        return cls(windows, timezone)

    def is_open(self, queue: str, now: float) -> bool:
        when = dt.datetime.fromtimestamp(now, ZoneInfo(self.timezone))
        windows = self.windows.get(queue, self.windows.get("*", ALWAYS))
        return any(window.contains(when) for window in windows)


def _windows(spec: str) -> tuple[Window, ...]:
    if spec == "always":
        return ALWAYS
    if spec == "closed":
        return ()
    return tuple(_window(part.strip()) for part in spec.split(",") if part.strip())


def _window(part: str) -> Window:
    match = _RANGE.match(part)
    if not match:
        raise HoursError(f"AIC_HANDOFF_HOURS: cannot read '{part}'")
    days = range(7)
    if match["d1"]:
        first = _day(match["d1"])
        last = _day(match["d2"]) if match["d2"] else first
        days = range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)]
    start = _minutes(match["h1"], match["m1"])
    end = _minutes(match["h2"], match["m2"])
    if start == end:
        raise HoursError(f"AIC_HANDOFF_HOURS: '{part}' is empty")
    return Window(frozenset(days), start, end)


def _day(name: str) -> int:
    if name not in DAYS:
        raise HoursError(f"AIC_HANDOFF_HOURS: unknown day '{name}'")
    return DAYS.index(name)


def _minutes(hours: str, minutes: str) -> int:
    value = int(hours) * 60 + int(minutes)
    if value > 1440 or int(minutes) >= 60:
        raise HoursError(f"AIC_HANDOFF_HOURS: bad time {hours}:{minutes}")
    return value
