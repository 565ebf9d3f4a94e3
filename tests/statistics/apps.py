"""bot/ for the statistics tests: the real app (``create_app``, its desk and its case store)
with a reader of reports that records which force each report was asked for, and, test-only
for now, desk accounts that are supervisors."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiohttp import web

from bot.app import create_app
from bot.handoff.cases import SUPERVISOR_ROLE, Account, CaseStore, DeskSession
from bot.handoff.desk import HANDOFF
from bot.settings import Settings
from bot.statistics.page import REPORTS
from bot.statistics.report import Report
from tests.statistics.reports import realistic_report

FORCE_NAMES = {"gwent": "Gwent Police", "dyfed-powys": "Dyfed-Powys Police"}


class RecordingReports:
    """A ``StatisticsReader`` that remembers each force it was asked for; with ``down``, its
    store cannot be reached."""

    def __init__(self, down: bool = False) -> None:
        self.asked: list[str] = []
        self.down = down

    async def report(self, force: str) -> Report:
        self.asked.append(force)
        if self.down:
            raise ConnectionError("statistics store down")
        return realistic_report(force, FORCE_NAMES[force])


class SupervisorRoles:
    """TEST-ONLY SHIM, to go when ``CaseStore.add_account`` takes a role (being added for issue
    29): the case store as the desk sees it, with the accounts named in ``supervisors`` (and
    their sessions) given the supervisor's role. Everything else is the real store's."""

    def __init__(self, store: CaseStore, supervisors: set[str]) -> None:
        self._store = store
        self._supervisors = supervisors

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def account(self, username: str) -> Account | None:
        account = await self._store.account(username)
        if account is not None and account.username in self._supervisors:
            return replace(account, role=SUPERVISOR_ROLE)
        return account

    async def session(self, token_hash: str, now: float) -> DeskSession | None:
        session = await self._store.session(token_hash, now)
        if session is not None and session.username in self._supervisors:
            return replace(session, role=SUPERVISOR_ROLE)
        return session


def statistics_app(
    settings: Settings, reports: RecordingReports | None, supervisors: set[str]
) -> web.Application:
    """bot/ as ``create_app`` makes it (the statistics routes come with the desk), with
    ``reports`` under ``REPORTS`` (none: not there at all)."""
    app = create_app(settings)
    if reports is not None:
        app[REPORTS] = reports

    async def give_roles(app: web.Application) -> None:
        # After the hand-off's start (cleanup contexts run first), which opens the case store.
        handoff = app[HANDOFF]
        handoff.cases = SupervisorRoles(handoff.cases, supervisors)  # type: ignore[assignment]

    app.on_startup.append(give_roles)
    return app
