"""The hand-off's cases (bot.handoff.cases) in SQLite: ``{data_dir}/handoff.db``."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosqlite

from bot.handoff.cases import (
    HANDLER_ROLE,
    LIVE,
    LOGIN_FAILURES_KEPT_SECONDS,
    OPEN_STATES,
    USER,
    WAITING,
    Account,
    AuditEntry,
    Case,
    CaseMessage,
    DeskSession,
)
from bot.handoff.references import new_reference
from bot.sqlite_file import SQLiteFile

if TYPE_CHECKING:
    from bot.settings import Settings


def store_path(settings: Settings) -> Path:
    """Where the SQLite case store lives (without ``AIC_REDIS_URL``)."""
    return settings.data_dir / "handoff.db"


SCHEMA = """
CREATE TABLE IF NOT EXISTS cases (
    id           INTEGER PRIMARY KEY,
    reference    TEXT NOT NULL UNIQUE,
    pseudonym    TEXT NOT NULL,
    channel      TEXT NOT NULL,
    queue        TEXT NOT NULL,
    summary      TEXT NOT NULL,
    summary_text TEXT NOT NULL,
    state        TEXT NOT NULL,
    handler      TEXT,
    outcome      TEXT,
    created_at   REAL NOT NULL,
    claimed_at   REAL,
    ended_at     REAL,
    told_position INTEGER
);
CREATE INDEX IF NOT EXISTS cases_by_queue ON cases (queue, state, created_at);
CREATE INDEX IF NOT EXISTS cases_by_pseudonym ON cases (pseudonym, state);
CREATE TABLE IF NOT EXISTS case_messages (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id   INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    sender    TEXT NOT NULL,
    text      TEXT NOT NULL,
    at        REAL NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0,
    desk_text TEXT,
    lease_until REAL
);
CREATE INDEX IF NOT EXISTS messages_by_case ON case_messages (case_id, id);
CREATE TABLE IF NOT EXISTS accounts (
    username      TEXT PRIMARY KEY,
    force         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS desk_sessions (
    token_hash TEXT PRIMARY KEY,
    username   TEXT NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS case_audit (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    at      REAL NOT NULL,
    detail  TEXT
);
CREATE INDEX IF NOT EXISTS audit_by_case ON case_audit (case_id, id);
CREATE TABLE IF NOT EXISTS login_failures (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    paused_until REAL NOT NULL,
    expires_at   REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_by_expiry ON login_failures (expires_at);
"""

_CASE_COLUMNS = (
    "id, reference, pseudonym, channel, queue, summary, summary_text, state, handler, outcome,"
    " created_at, claimed_at, ended_at"
)
_MESSAGE_COLUMNS = "id, case_id, sender, text, at, delivered, desk_text"
# Columns added after the first release: added to an older handoff.db when it is opened.
ADDED_COLUMNS = {
    ("cases", "told_position"): "ALTER TABLE cases ADD COLUMN told_position INTEGER",
    ("case_messages", "desk_text"): "ALTER TABLE case_messages ADD COLUMN desk_text TEXT",
    ("case_messages", "lease_until"): "ALTER TABLE case_messages ADD COLUMN lease_until REAL",
    ("accounts", "role"): "ALTER TABLE accounts ADD COLUMN role TEXT NOT NULL DEFAULT 'handler'",
}


def _case(row: tuple | None) -> Case | None:
    if row is None:
        return None
    values = list(row)
    values[5] = json.loads(values[5])
    return Case(*values)


def _message(row: tuple) -> CaseMessage:
    values = list(row)
    values[5] = bool(values[5])
    return CaseMessage(*values)


def _prefixed(table: str, columns: str) -> str:
    return ", ".join(f"{table}.{column}" for column in columns.split(", "))


async def _create_schema(db: aiosqlite.Connection) -> None:
    await db.execute("PRAGMA foreign_keys=ON")
    await db.executescript(SCHEMA)
    for (table, column), statement in ADDED_COLUMNS.items():
        columns = await db.execute_fetchall(f"PRAGMA table_info({table})")
        if column not in {row[1] for row in columns}:
            await db.execute(statement)


class SQLiteCaseStore:
    """SQLite off the event loop, like bot/'s own store (``bot.sqlite_file``); every
    check-then-change is one conditional statement, so a second process sharing the file (or
    a second replica on the same volume) cannot break it either."""

    def __init__(self, file: SQLiteFile) -> None:
        self._file = file

    @classmethod
    async def open(cls, path: Path) -> SQLiteCaseStore:
        # Hand-off writes are few and a person's words to a 101 contact: each is fsynced.
        return cls(await SQLiteFile.open(path, _create_schema, fsync_each_commit=True))

    async def _all(self, sql: str, *params: Any) -> list[tuple]:
        return await self._file.fetchall(sql, params)

    async def _one(self, sql: str, *params: Any) -> tuple | None:
        return await self._file.fetchone(sql, params)

    async def _change(self, sql: str, *params: Any) -> int:
        return await self._file.change(sql, params)

    # --- Cases ---------------------------------------------------------------------------------

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
    ) -> Case:
        for _ in range(20):
            try:
                row = await self._one(
                    "INSERT INTO cases (reference, pseudonym, channel, queue, summary,"
                    " summary_text, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    f" RETURNING {_CASE_COLUMNS}",
                    new_reference(),
                    pseudonym,
                    channel,
                    queue,
                    json.dumps(summary),
                    summary_text,
                    state,
                    now,
                )
            except sqlite3.IntegrityError:
                continue  # the reference is taken: draw another
            case = _case(row)
            assert case is not None
            return case
        raise RuntimeError("no free case reference")

    async def open_case_for(self, pseudonym: str) -> Case | None:
        return _case(
            await self._one(
                f"SELECT {_CASE_COLUMNS} FROM cases WHERE pseudonym=? AND state IN (?, ?)"
                " ORDER BY id DESC LIMIT 1",
                pseudonym,
                *OPEN_STATES,
            )
        )

    async def case(self, case_id: int) -> Case | None:
        return _case(await self._one(f"SELECT {_CASE_COLUMNS} FROM cases WHERE id=?", case_id))

    async def by_reference(self, reference: str) -> Case | None:
        return _case(
            await self._one(f"SELECT {_CASE_COLUMNS} FROM cases WHERE reference=?", reference)
        )

    async def queue(self, queue: str, handler: str | None = None) -> list[Case]:
        """The queue's waiting cases, oldest first, then the live ones ``handler`` holds."""
        rows = await self._all(
            f"SELECT {_CASE_COLUMNS} FROM cases WHERE queue=? AND"
            " (state=? OR (state=? AND handler=?)) ORDER BY created_at, id",
            queue,
            WAITING,
            LIVE,
            handler,
        )
        return [c for row in rows if (c := _case(row)) is not None]

    async def position(self, case: Case) -> int:
        row = await self._one(
            "SELECT COUNT(*) FROM cases WHERE queue=? AND state=? AND"
            " (created_at < ? OR (created_at = ? AND id <= ?))",
            case.queue,
            WAITING,
            case.created_at,
            case.created_at,
            case.id,
        )
        return int(row[0]) if row else 1

    async def claim(self, case_id: int, handler: str, now: float) -> bool:
        """Exactly one handler wins: the update only happens while the case is still waiting."""
        changed = await self._change(
            "UPDATE cases SET state=?, handler=?, claimed_at=? WHERE id=? AND state=?",
            LIVE,
            handler,
            now,
            case_id,
            WAITING,
        )
        return changed == 1

    async def finish(
        self,
        case_id: int,
        from_states: tuple[str, ...],
        state: str,
        now: float,
        outcome: str | None = None,
    ) -> bool:
        marks = ", ".join("?" for _ in from_states)
        changed = await self._change(
            f"UPDATE cases SET state=?, ended_at=?, outcome=COALESCE(?, outcome)"
            f" WHERE id=? AND state IN ({marks})",
            state,
            now,
            outcome,
            case_id,
            *from_states,
        )
        return changed == 1

    async def waiting_since(self, cutoff: float) -> list[Case]:
        rows = await self._all(
            f"SELECT {_CASE_COLUMNS} FROM cases WHERE state=? AND created_at < ?", WAITING, cutoff
        )
        return [c for row in rows if (c := _case(row)) is not None]

    async def tell_position(self, case_id: int, position: int) -> bool:
        """Record the place in the queue the person was last told; False when that is the
        place they were told already (so nobody is told the same place twice)."""
        changed = await self._change(
            "UPDATE cases SET told_position=? WHERE id=? AND"
            " (told_position IS NULL OR told_position != ?)",
            position,
            case_id,
            position,
        )
        return changed == 1

    # --- Messages ------------------------------------------------------------------------------

    async def add_message(
        self,
        case_id: int,
        sender: str,
        text: str,
        now: float,
        delivered: bool = False,
        desk_text: str | None = None,
    ) -> CaseMessage:
        row = await self._one(
            "INSERT INTO case_messages (case_id, sender, text, at, delivered, desk_text)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            case_id,
            sender,
            text,
            now,
            int(delivered),
            desk_text,
        )
        assert row is not None
        return CaseMessage(row[0], case_id, sender, text, now, delivered, desk_text)

    async def messages(self, case_id: int) -> list[CaseMessage]:
        rows = await self._all(
            f"SELECT {_MESSAGE_COLUMNS} FROM case_messages WHERE case_id=? ORDER BY id", case_id
        )
        return [_message(row) for row in rows]

    async def messages_for(self, pseudonym: str, after: int) -> list[CaseMessage]:
        rows = await self._all(
            f"SELECT {_prefixed('m', _MESSAGE_COLUMNS)}"
            " FROM case_messages m JOIN cases c ON c.id = m.case_id"
            " WHERE c.pseudonym=? AND m.id > ? ORDER BY m.id",
            pseudonym,
            after,
        )
        return [_message(row) for row in rows]

    async def undelivered(self) -> list[tuple[Case, CaseMessage]]:
        """Messages for people that were stored but not yet sent (e.g. bot/ stopped between)."""
        width = len(_CASE_COLUMNS.split(", "))
        rows = await self._all(
            f"SELECT {_prefixed('c', _CASE_COLUMNS)}, {_prefixed('m', _MESSAGE_COLUMNS)}"
            " FROM case_messages m JOIN cases c ON c.id = m.case_id"
            " WHERE m.delivered=0 AND m.sender!=? ORDER BY m.id",
            USER,
        )
        return [(case, _message(row[width:])) for row in rows if (case := _case(row[:width]))]

    async def lease_delivery(self, message_id: int, now: float, seconds: float) -> bool:
        """Take an undelivered message to send it for ``seconds``: only one replica (or one
        tick) at a time sends it; if it is not marked delivered by then, it can be taken again."""
        changed = await self._change(
            "UPDATE case_messages SET lease_until=? WHERE id=? AND delivered=0 AND"
            " (lease_until IS NULL OR lease_until <= ?)",
            now + seconds,
            message_id,
            now,
        )
        return changed == 1

    async def mark_delivered(self, message_id: int) -> None:
        await self._change("UPDATE case_messages SET delivered=1 WHERE id=?", message_id)

    # --- Audit ---------------------------------------------------------------------------------

    async def record(
        self, reference: str, actor: str, action: str, at: float, detail: str | None = None
    ) -> None:
        """Adds to the case's audit record; nothing when the case is gone (forgotten)."""
        await self._change(
            "INSERT INTO case_audit (case_id, actor, action, at, detail)"
            " SELECT id, ?, ?, ?, ? FROM cases WHERE reference=?",
            actor,
            action,
            at,
            detail,
            reference,
        )

    async def audit(self, reference: str) -> list[AuditEntry]:
        rows = await self._all(
            "SELECT c.reference, a.actor, a.action, a.at, a.detail FROM case_audit a"
            " JOIN cases c ON c.id = a.case_id WHERE c.reference=? ORDER BY a.id",
            reference,
        )
        return [AuditEntry(*row) for row in rows]

    # --- Deletion ------------------------------------------------------------------------------

    async def delete_for(self, pseudonym: str) -> int:
        """/forget: every case of this person, with its messages and audit record (ON DELETE
        CASCADE)."""
        deleted = await self._change("DELETE FROM cases WHERE pseudonym=?", pseudonym)
        await self._file.scrub()
        return deleted

    async def purge(self, cutoff: float) -> int:
        """Retention: cases created before ``cutoff`` that are no longer open, with their
        messages and audit records."""
        marks = ", ".join("?" for _ in OPEN_STATES)
        deleted = await self._change(
            f"DELETE FROM cases WHERE created_at < ? AND state NOT IN ({marks})",
            cutoff,
            *OPEN_STATES,
        )
        if deleted:
            await self._file.scrub()
        return deleted

    async def purge_sessions(self, now: float) -> int:
        """Expired desk sessions, and login failures no longer counted."""
        await self._change("DELETE FROM login_failures WHERE expires_at <= ?", now)
        return await self._change("DELETE FROM desk_sessions WHERE expires_at <= ?", now)

    # --- Accounts and sessions -----------------------------------------------------------------

    async def add_account(
        self,
        username: str,
        force: str,
        password_hash: str,
        now: float,
        role: str = HANDLER_ROLE,
    ) -> None:
        await self._change(
            "INSERT INTO accounts (username, force, password_hash, created_at, role)"
            " VALUES (?, ?, ?, ?, ?)",
            username,
            force,
            password_hash,
            now,
            role,
        )

    async def account(self, username: str) -> Account | None:
        row = await self._one(
            "SELECT username, force, password_hash, role FROM accounts WHERE username=?", username
        )
        return Account(*row) if row else None

    async def accounts(self) -> list[Account]:
        rows = await self._all(
            "SELECT username, force, password_hash, role FROM accounts ORDER BY 1"
        )
        return [Account(*row) for row in rows]

    async def set_role(self, username: str, role: str) -> bool:
        changed = await self._change("UPDATE accounts SET role=? WHERE username=?", role, username)
        return changed == 1

    async def set_password(self, username: str, password_hash: str) -> bool:
        async with self._file.transaction() as db:
            changed = await db.execute(
                "UPDATE accounts SET password_hash=? WHERE username=?", (password_hash, username)
            )
            # A new password ends every session of the old one.
            await db.execute("DELETE FROM desk_sessions WHERE username=?", (username,))
        return changed.rowcount == 1

    async def remove_account(self, username: str) -> bool:
        async with self._file.transaction() as db:
            await db.execute("DELETE FROM desk_sessions WHERE username=?", (username,))
            removed = await db.execute("DELETE FROM accounts WHERE username=?", (username,))
        return removed.rowcount == 1

    async def create_session(
        self, token_hash: str, username: str, csrf: str, expires_at: float
    ) -> None:
        await self._change(
            "INSERT INTO desk_sessions (token_hash, username, csrf, expires_at)"
            " VALUES (?, ?, ?, ?)",
            token_hash,
            username,
            csrf,
            expires_at,
        )

    async def session(self, token_hash: str, now: float) -> DeskSession | None:
        row = await self._one(
            "SELECT s.username, a.force, s.csrf, s.expires_at, a.role FROM desk_sessions s"
            " JOIN accounts a ON a.username = s.username WHERE s.token_hash=? AND s.expires_at > ?",
            token_hash,
            now,
        )
        return DeskSession(*row) if row else None

    async def delete_session(self, token_hash: str) -> None:
        await self._change("DELETE FROM desk_sessions WHERE token_hash=?", token_hash)

    # --- Failed logins -------------------------------------------------------------------------

    async def login_paused(self, keys: Sequence[str], now: float) -> bool:
        marks = ", ".join("?" for _ in keys)
        row = await self._one(
            f"SELECT COUNT(*) FROM login_failures WHERE key IN ({marks}) AND paused_until > ?",
            *keys,
            now,
        )
        return bool(row and row[0])

    async def login_failed(
        self, limits: Mapping[str, int], now: float, pause_seconds: float
    ) -> None:
        """One more failure under each key; a key reaching its limit is paused for
        ``pause_seconds`` and counts from nothing again. Failures no longer counted are
        deleted on the way (and by ``purge_sessions``)."""
        async with self._file.transaction() as db:
            await db.execute("DELETE FROM login_failures WHERE expires_at <= ?", (now,))
            for key, limit in limits.items():
                await db.execute(
                    "INSERT INTO login_failures (key, failures, paused_until, expires_at)"
                    " VALUES (?, 1, 0, ?) ON CONFLICT (key) DO UPDATE SET"
                    " failures = failures + 1, expires_at = MAX(expires_at, excluded.expires_at)",
                    (key, now + LOGIN_FAILURES_KEPT_SECONDS),
                )
                until = now + pause_seconds
                await db.execute(
                    "UPDATE login_failures SET failures=0, paused_until=?,"
                    " expires_at=MAX(expires_at, ?) WHERE key=? AND failures >= ?",
                    (until, until, key, limit),
                )

    async def login_succeeded(self, key: str) -> None:
        await self._change("DELETE FROM login_failures WHERE key=?", key)

    async def close(self) -> None:
        await self._file.close()
