"""Rasa's SQL tracker store, less two costs measured on every turn (bench/README.md).

- SQLAlchemy 1.4 opens a new SQLite connection for every session (its default pool for a
  SQLite file), and every new connection reads the schema again; here connections are pooled.
- Loading a tracker built an ORM object per stored event only to read its JSON column, and
  SQLAlchemy spent as long again building cache keys for the ORM queries of every load and
  save; here plain SQL reads the JSON column alone, and new events go in with one statement.
- Every commit waited for the disk twice (SQLite's rollback journal). In WAL mode (as bot/'s
  own SQLite stores) with synchronous=NORMAL, a commit survives any crash or restart of the
  process; only a power cut or OS crash can lose the last commits before a checkpoint, which
  for a conversation means its last turns.

Same tables and rows as Rasa's ``SQLTrackerStore``: either reads what the other wrote. Use it
in endpoints.yml as ``type: addons.tracker_store.PooledSQLTrackerStore``.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.pool import QueuePool


def _wal(connection: Any, _record: Any) -> None:
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")


# The events of the conversation's latest session: Rasa's SQLTrackerStore._event_query, in SQL.
_LATEST_SESSION = """
    FROM events WHERE sender_id = :sender AND (
        timestamp >= (SELECT max(timestamp) FROM events
                      WHERE sender_id = :sender AND type_name = 'session_started')
        OR NOT EXISTS (SELECT 1 FROM events
                       WHERE sender_id = :sender AND type_name = 'session_started'))
"""
_SELECT_LATEST = sa.text(f"SELECT data {_LATEST_SESSION} ORDER BY id")
_SELECT_ALL = sa.text("SELECT data FROM events WHERE sender_id = :sender ORDER BY id")
_COUNT_LATEST = sa.text(f"SELECT count(*) {_LATEST_SESSION}")
_INSERT = sa.text(
    "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data)"
    " VALUES (:sender_id, :type_name, :timestamp, :intent_name, :action_name, :data)"
)


class PooledSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            url = self.engine.url
            self.engine.dispose()
            # One event loop uses the connections, one at a time, but not always from the
            # thread that opened them (Sanic's start-up), hence check_same_thread=False.
            self.engine = sa.create_engine(
                url, poolclass=QueuePool, connect_args={"check_same_thread": False}
            )
            sa.event.listen(self.engine, "connect", _wal)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        with self.session_scope() as session:
            stored = session.execute(_COUNT_LATEST, {"sender": tracker.sender_id}).scalar()
            new_events = itertools.islice(tracker.events, stored, None)
            rows = [self._row(tracker.sender_id, event) for event in new_events]
            if rows:
                session.execute(_INSERT, rows)
            session.commit()

    @staticmethod
    def _row(sender_id: str, event: Any) -> dict[str, Any]:
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        query = _SELECT_ALL if fetch_events_from_all_sessions else _SELECT_LATEST
        with self.session_scope() as session:
            rows = session.execute(query, {"sender": sender_id}).all()
        if not (self.domain and rows):
            return None
        events = [json.loads(data) for (data,) in rows]
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
