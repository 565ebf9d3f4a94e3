"""bot/ for the widget's browser tests that need no model: the real app (``create_app``, the real
domain, SQLite stores) on loopback, talking to a stand-in Rasa.

The stand-in answers the way the widget cares about (a greeting with buttons, then each message
repeated back with buttons) and keeps its events in a SQLite file laid out as Rasa's SQL tracker
store keeps them (table ``events``: ``sender_id``, ``timestamp``, ``data``), which is the file
bot/ deletes a conversation from: after "Delete my conversation" or the quick exit, the history
it serves is really gone, as with Rasa.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.app import create_app
from bot.settings import Settings
from tests.loopback import serving

ROOT = Path(__file__).resolve().parents[2]
SECRET = b"widget-browser-tests-secret-0123456789"
GREETING = "Hello. I'm an assistant; what happened?"
BUTTONS = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]


class StandInRasa:
    def __init__(self, tracker_db: Path) -> None:
        self.tracker_db = tracker_db
        tracker_db.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY,"
                " sender_id TEXT NOT NULL, type_name TEXT, timestamp REAL, data TEXT)"
            )

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A connection for one transaction, closed after it."""
        db = sqlite3.connect(self.tracker_db, timeout=10)
        try:
            with db:
                yield db
        finally:
            db.close()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self._webhook)
        app.router.add_get("/conversations/{sender}/tracker", self._tracker)
        return app

    def _record(self, sender: str, event: dict[str, Any]) -> None:
        with self._db() as db:
            db.execute(
                "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, ?, ?)",
                (sender, event["event"], time.time(), json.dumps(event)),
            )

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        sender, message = body["sender"], body["message"]
        metadata = body.get("metadata") or {}
        self._record(sender, {"event": "user", "text": message, "metadata": metadata})
        if message.startswith("/greet"):
            text = GREETING
        elif message.startswith("/"):
            text = f"You chose {metadata.get('display_text') or message}."
        else:
            text = f"You said: {message}"
        self._record(sender, {"event": "bot", "text": text, "data": {"buttons": BUTTONS}})
        return web.json_response([{"recipient_id": sender, "text": text, "buttons": BUTTONS}])

    async def _tracker(self, request: web.Request) -> web.Response:
        sender = request.match_info["sender"]
        with self._db() as db:
            rows = db.execute(
                "SELECT data FROM events WHERE sender_id=? ORDER BY id", (sender,)
            ).fetchall()
        return web.json_response(
            {"sender_id": sender, "events": [json.loads(data) for (data,) in rows]}
        )

    def said(self) -> list[str]:
        """Every text in the tracker store, whoever said it."""
        with self._db() as db:
            rows = db.execute("SELECT data FROM events ORDER BY id").fetchall()
        return [json.loads(data).get("text", "") for (data,) in rows]


@dataclass
class StandInBot:
    url: str
    rasa: StandInRasa
    settings: Settings


@asynccontextmanager
async def standin_bot(work: Path, **settings: Any) -> AsyncIterator[StandInBot]:
    """bot/ on http://127.0.0.1:PORT with ``settings`` (Settings' fields) over the defaults."""
    rasa = StandInRasa(work / "tracker.db")
    async with serving(rasa.app()) as rasa_url:
        config = Settings(
            rasa_url=rasa_url,
            rasa_timeout=5.0,
            data_dir=work / "bot",
            pseudonym_secret=SECRET,
            tracker_db=rasa.tracker_db,
            domain_path=ROOT / "domain.yml",
            # Every person a browser test plays is on 127.0.0.1; the limits are tested elsewhere.
            **{"address_requests_per_minute": 10**6, "handoff_cases_per_address_per_hour": 10**6}
            | settings,
        )
        async with serving(create_app(config)) as url:
            yield StandInBot(url, rasa, config)
