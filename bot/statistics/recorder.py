"""Counting, as conversations happen: ``Statistics``, and ``setup(app)`` that opens its store.

``Statistics`` counts, as conversations happen, in the closed vocabularies of
``bot.statistics.counts``, by day (in ``AIC_HANDOFF_TIMEZONE``), force, door and language:
- a conversation begun (bot/ had no record of the person), under the force of the door it came
  through: the force whose site embeds the widget (``data-force``), or ``AIC_TELEGRAM_FORCE``;
- a finished triage (Rasa's ``{"statistics": {"triage": {...}}}`` custom message, sent once when
  the steps begin), under the force area the person named, else the door's force;
- what happened to each request for a person, its wait and its outcome, under the case's queue.

Counting never stands in a conversation's way: a turn only adds to counts kept in memory, which
are written every ``FLUSH_SECONDS`` (and before a report, and at the end); a store that cannot be
reached keeps them waiting for the next write (logged, and counted in ``aic_errors``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextvars import ContextVar
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from aic_shared.knowledge import forces, knowledge_beside, load_knowledge, national_police
from bot import metrics
from bot.appkeys import CONVERSATIONS, HEALTH_CHECKS, SETTINGS
from bot.open_stores import open_statistics_store
from bot.purge import PURGE_HOOKS
from bot.settings import SettingsError
from bot.statistics import counts
from bot.statistics.counts import CountKey, Vocabulary
from bot.statistics.report import REPORTS, Report, build_report, last_days
from bot.statistics.store import StatisticsStore

log = logging.getLogger(__name__)

# How often the counts taken are written: a person's turn never waits on the store for them,
# and a burst of new conversations is one transaction. A crash loses at most these seconds'.
FLUSH_SECONDS = 2.0

# The force whose site the widget is embedded in, for the request being handled (set by the
# widget door from its ``force`` field; checked against data/knowledge.yml before use).
DOOR_FORCE: ContextVar[str | None] = ContextVar("door_force", default=None)


class Statistics:
    def __init__(
        self,
        store: StatisticsStore,
        vocabulary: Vocabulary,
        *,
        force_names: Mapping[str, str],
        platform_names: Mapping[str, str],
        door_forces: Mapping[str, str],
        timezone: str,
        retention_days: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.vocabulary = vocabulary
        self._force_names = force_names
        self._platform_names = platform_names
        self._door_forces = door_forces
        self._timezone = ZoneInfo(timezone)
        self._retention_days = retention_days
        self.clock = clock
        # Counted, not yet written: {day: {key: n}}. A turn only adds to this; ``flush`` (every
        # FLUSH_SECONDS, before a report, at the end) writes it in one transaction a day.
        self._pending: defaultdict[str, Counter[CountKey]] = defaultdict(Counter)
        self._flushing = asyncio.Lock()

    def today(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), self._timezone)

    def door_force(self, door: str) -> str:
        """The force a conversation through ``door`` counts under until it names its area."""
        default = self.vocabulary.force(self._door_forces.get(door))
        return self.vocabulary.force(DOOR_FORCE.get(), default)

    # --- Counting ------------------------------------------------------------------------------

    def conversation_started(self, door: str, language: str) -> None:
        force = self.door_force(door)
        self._add([CountKey(force, door, language, counts.CONVERSATIONS)])

    def triage_finished(self, door: str, language: str, figures: Mapping[str, Any]) -> None:
        force = self.vocabulary.force(figures.get("force_area"), self.door_force(door))
        self._add(self.vocabulary.triage_keys(force, door, language, figures))

    def handoff(self, force: str, door: str, language: str, *events: str) -> None:
        """Events of a request for a person (``counts.HANDOFF_EVENTS``) in ``force``'s queue."""
        self._add([CountKey(force, door, language, counts.HANDOFF, e) for e in events])

    def handoff_claimed(self, force: str, door: str, language: str, waited_seconds: float) -> None:
        self._add(
            [
                CountKey(force, door, language, counts.HANDOFF, "claimed"),
                CountKey(force, door, language, counts.WAIT, counts.wait_bucket(waited_seconds)),
            ]
        )

    def handoff_closed(self, force: str, door: str, language: str, outcome: str) -> None:
        self._add([CountKey(force, door, language, counts.OUTCOME, outcome)])

    def _add(self, keys: Sequence[CountKey]) -> None:
        valid = [key for key in keys if self.vocabulary.is_valid(key)]
        if len(valid) != len(keys):
            log.warning(
                "statistics: %d count(s) outside the vocabulary dropped", len(keys) - len(valid)
            )
        day = self.today().date().isoformat()
        for key in valid:
            self._pending[day][key] += 1

    async def flush(self) -> None:
        """Write the counts taken since the last flush. Whatever goes wrong, they are kept for the
        next one (a few counters per day at most, however long the store is away)."""
        async with self._flushing:
            pending, self._pending = self._pending, defaultdict(Counter)
            for day, counted in pending.items():
                try:
                    await self.store.add(day, counted)
                except Exception as error:
                    unavailable = isinstance(error, ConnectionError)
                    metrics.ERRORS.labels(
                        "statistics_store_unavailable" if unavailable else "unhandled"
                    ).inc()
                    log.warning("statistics not written yet: %s", type(error).__name__)
                    self._pending[day].update(counted)

    async def flush_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            await self.flush()

    # --- Reading -------------------------------------------------------------------------------

    async def report(self, force: str) -> Report:
        """The last 30 days of ``force``'s counters (raises ConnectionError if unreadable)."""
        await self.flush()
        days = last_days(self.today().date())
        rows = await self.store.rows(force, days[0], days[-1])
        name = self._force_names.get(force, force)
        return build_report(force, name, days, rows, self._platform_names)

    async def store_answers(self) -> bool:
        """For ``aic_up{component="statistics_store"}``."""
        try:
            await self.store.ping()
        except ConnectionError:
            return False
        return True

    async def purge(self, now: float) -> int:
        """Retention: days older than ``AIC_STATISTICS_RETENTION_DAYS``."""
        today = datetime.fromtimestamp(now, self._timezone).date()
        cutoff = last_days(today, self._retention_days)[0]
        deleted = await self.store.purge(cutoff)
        if deleted:
            log.info("retention: deleted %d statistics row(s)", deleted)
        return deleted


STATISTICS = web.AppKey("statistics", Statistics)


def setup(app: web.Application) -> None:
    """Call after the core's cleanup context (it needs Conversations) and before the hand-off's
    (which counts its cases here)."""
    settings = app[SETTINGS]
    knowledge = load_knowledge(knowledge_beside(settings.domain_path))
    known_forces = forces(knowledge)
    vocabulary = Vocabulary(known_forces, (knowledge.get("platforms") or {}).keys())
    if settings.telegram_force not in vocabulary.forces:
        # Read now, so a mistyped force stops the start rather than miscounting for months.
        raise SettingsError(
            f"AIC_TELEGRAM_FORCE must be one of: {', '.join(sorted(vocabulary.forces))}"
        )
    national = national_police(knowledge, counts.NATIONAL)

    async def run(app: web.Application) -> AsyncIterator[None]:
        store = await open_statistics_store(settings)
        statistics = Statistics(
            store,
            vocabulary,
            force_names={
                **{key: force.name for key, force in known_forces.items()},
                counts.NATIONAL: national.name,
            },
            platform_names={
                key: str(platform.get("name") or key)
                for key, platform in (knowledge.get("platforms") or {}).items()
                if isinstance(platform, dict)
            },
            door_forces={"telegram": settings.telegram_force},
            timezone=settings.handoff_timezone,
            retention_days=settings.statistics_retention_days,
        )
        app[STATISTICS] = statistics
        app[REPORTS] = statistics  # what the desk's statistics page reads
        checks = app.get(HEALTH_CHECKS)
        if checks is not None:
            checks["statistics_store"] = statistics.store_answers
        conversations = app[CONVERSATIONS]
        conversations.statistics = statistics
        hooks = app.get(PURGE_HOOKS)
        if hooks is not None:
            hooks.append(statistics.purge)
        flusher = asyncio.create_task(statistics.flush_every(FLUSH_SECONDS))
        try:
            yield
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            await statistics.flush()
            conversations.statistics = None
            if hooks is not None:
                hooks.remove(statistics.purge)
            await store.close()

    app.cleanup_ctx.append(run)
