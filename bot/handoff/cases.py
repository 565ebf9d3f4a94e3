"""The hand-off's data: cases, their messages, the desk's accounts and sessions, and
``CaseStore``, the interface every store of them keeps. ``bot.handoff.cases_sqlite`` keeps them
in ``{data_dir}/handoff.db`` so a restart of bot/ loses nothing; ``bot.handoff.cases_redis`` in
Redis (``AIC_REDIS_URL``) so several bot/ replicas share one desk. Every check-then-change
(``claim``, ``finish``, ``tell_position``, ``lease_delivery``) is one atomic conditional update
in both, so two handlers, or two replicas, can never both win.

A case holds the person's pseudonym (to route their messages and to delete on /forget) and the
door it came from, never a door id, name or username. Its audit record (who opened, claimed,
wrote to and closed it, and when: never what was written) is kept exactly as long as the case
and goes with it, on /forget and on retention.

The desk's failed logins are counted here too, so every replica shares one count: under keys
that are keyed hashes (never a name or an address as typed), each forgotten
``LOGIN_FAILURES_KEPT_SECONDS`` after its last failure or at the end of its pause.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

WAITING, LIVE, CLOSED, REFERRED, LEFT = "waiting", "live", "closed", "referred", "left"
OPEN_STATES = (WAITING, LIVE)
# Who a case message is from: the person, the handler, bot/ telling the person something (the
# desk shows it), bot/ telling a waiting person their new place in the queue (it does not), or
# a notice the person already got as the answer to their own turn (e.g. "you've left"): the
# desk shows it, the widget's feed does not repeat it.
USER, HANDLER, NOTICE, QUEUE, REPLIED = "user", "handler", "notice", "queue", "replied"
# Who did something to a case, in its audit record, when it was not a handler (by name).
SYSTEM, PERSON = "system", "person"
# What they did: opened (bot/, with the state it opened in), claimed, wrote (one desk message),
# closed (with the outcome), left (the person), referred (bot/: not picked up in time).
OPENED, CLAIMED, WROTE, CLOSED_IT, LEFT_IT, REFERRED_IT = (
    "opened",
    "claimed",
    "wrote",
    "closed",
    "left",
    "referred",
)
# Desk roles (``python -m bot.handoff.accounts``): a handler works their force's queue; a
# supervisor does too, and also reads their force's anonymous statistics (bot/statistics/).
HANDLER_ROLE, SUPERVISOR_ROLE = "handler", "supervisor"
ROLES = (HANDLER_ROLE, SUPERVISOR_ROLE)
# What a handler records on closing a case (the desk offers these; the statistics count them).
OUTCOMES = (
    "advice given",
    "crime report taken",
    "referred to another service",
    "person left",
    "no reply from the person",
    "other",
)
# A login failure is counted this long after the last one (or until its pause ends).
LOGIN_FAILURES_KEPT_SECONDS = 3600.0


@dataclass(frozen=True)
class Case:
    id: int
    reference: str
    pseudonym: str
    channel: str
    queue: str
    summary: dict[str, Any]
    summary_text: str
    state: str
    handler: str | None
    outcome: str | None
    created_at: float
    claimed_at: float | None
    ended_at: float | None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


@dataclass(frozen=True)
class CaseMessage:
    id: int
    case_id: int
    sender: str  # user | handler | notice | queue | replied
    text: str  # as the person sees it, in their language
    at: float
    delivered: bool
    desk_text: str | None = None  # bot/'s notices as the desk shows them: in English


@dataclass(frozen=True)
class AuditEntry:
    """One thing done to a case: never what anyone wrote, never the person's pseudonym."""

    reference: str
    actor: str  # a handler's name, or SYSTEM, or PERSON
    action: str
    at: float
    detail: str | None = None  # the state a case opened in, the outcome it closed with


@dataclass(frozen=True)
class Account:
    username: str
    force: str
    password_hash: str
    role: str = HANDLER_ROLE


@dataclass(frozen=True)
class DeskSession:
    username: str
    force: str
    csrf: str
    expires_at: float
    role: str = HANDLER_ROLE

    @property
    def is_supervisor(self) -> bool:
        return self.role == SUPERVISOR_ROLE


class CaseStore(Protocol):
    async def create_case(
        self,
        *,
        pseudonym: str,
        channel: str,
        queue: str,
        summary: dict[str, Any],
        summary_text: str,
        state: str,
        now: float,
    ) -> Case: ...
    async def open_case_for(self, pseudonym: str) -> Case | None: ...
    async def case(self, case_id: int) -> Case | None: ...
    async def by_reference(self, reference: str) -> Case | None: ...
    async def queue(self, queue: str, handler: str | None = None) -> list[Case]: ...
    async def position(self, case: Case) -> int: ...
    async def claim(self, case_id: int, handler: str, now: float) -> bool: ...
    async def finish(
        self,
        case_id: int,
        from_states: tuple[str, ...],
        state: str,
        now: float,
        outcome: str | None = None,
    ) -> bool: ...
    async def waiting_since(self, cutoff: float) -> list[Case]: ...
    async def tell_position(self, case_id: int, position: int) -> bool: ...
    async def add_message(
        self,
        case_id: int,
        sender: str,
        text: str,
        now: float,
        delivered: bool = False,
        desk_text: str | None = None,
    ) -> CaseMessage: ...
    async def messages(self, case_id: int) -> list[CaseMessage]: ...
    async def messages_for(self, pseudonym: str, after: int) -> list[CaseMessage]: ...
    async def undelivered(self) -> list[tuple[Case, CaseMessage]]: ...
    async def lease_delivery(self, message_id: int, now: float, seconds: float) -> bool: ...
    async def mark_delivered(self, message_id: int) -> None: ...
    async def record(
        self, reference: str, actor: str, action: str, at: float, detail: str | None = None
    ) -> None: ...
    async def audit(self, reference: str) -> list[AuditEntry]: ...
    async def delete_for(self, pseudonym: str) -> int: ...
    async def purge(self, cutoff: float) -> int: ...
    async def purge_sessions(self, now: float) -> int: ...
    async def add_account(
        self,
        username: str,
        force: str,
        password_hash: str,
        now: float,
        role: str = HANDLER_ROLE,
    ) -> None: ...
    async def set_role(self, username: str, role: str) -> bool: ...
    async def account(self, username: str) -> Account | None: ...
    async def accounts(self) -> list[Account]: ...
    async def set_password(self, username: str, password_hash: str) -> bool: ...
    async def remove_account(self, username: str) -> bool: ...
    async def create_session(
        self, token_hash: str, username: str, csrf: str, expires_at: float
    ) -> None: ...
    async def session(self, token_hash: str, now: float) -> DeskSession | None: ...
    async def delete_session(self, token_hash: str) -> None: ...
    async def login_paused(self, keys: Sequence[str], now: float) -> bool: ...
    async def login_failed(
        self, limits: Mapping[str, int], now: float, pause_seconds: float
    ) -> None: ...
    async def login_succeeded(self, key: str) -> None: ...
    async def close(self) -> None: ...


# What ``bot.open_stores.ReconnectingCaseStore`` passes through to the store it opened.
CASE_STORE_METHODS = frozenset(
    name for name in vars(CaseStore) if not name.startswith("_") and name != "close"
)
