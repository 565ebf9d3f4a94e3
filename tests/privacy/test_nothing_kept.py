"""End to end through both doors: what people write and who they are never reach a log, and
/forget (Telegram) and "delete my conversation" (widget) leave nothing about them in any store.

"Every store" is found, not listed: every SQLite file in bot/'s data folder (bot/'s own state,
the hand-off desk's cases, whatever comes next) and Rasa's tracker store, every table and
every column, searched for the person's pseudonym and raw ids.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.pseudonym import pseudonym
from tests.scale.cluster import WidgetUser, payload_of, text_of

pytestmark = pytest.mark.e2e

CHAT_ID = 7_364_019_285
FIRST_NAME = "Marigold"
USERNAME = "marigold_secret_handle"
WIDGET_WORDS = "my stepbrother Ignatius from Lowestoft has photos of me"
TELEGRAM_WORDS = "a man called Bartholomew on Snapchat wants 300 pounds"


def sqlite_files(*folders: Path) -> list[Path]:
    found = []
    for folder in folders:
        for path in sorted(folder.rglob("*.db")) + sorted(folder.rglob("*.sqlite*")):
            found.append(path)
    return found


def everything_in(path: Path) -> str:
    """Every value of every row of every table, as text."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        lines = []
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                lines.append(" ".join(str(value) for value in row))
        return "\n".join(lines)
    finally:
        db.close()


async def test_forget_and_delete_leave_nothing_anywhere_and_logs_hold_no_words_or_ids(
    bot_launcher, telegram_peer, rasa_stack
):
    token = telegram_peer.new_token()
    bot = await asyncio.to_thread(
        bot_launcher.start,
        AIC_TELEGRAM_TOKEN=token,
        AIC_TELEGRAM_API_URL=telegram_peer.api_url,
        AIC_TELEGRAM_MODE="polling",
    )
    try:
        secret = bot.env["AIC_PSEUDONYM_SECRET"].encode()

        # Telegram: a conversation with a button press, then /forget.
        person = telegram_peer.user(token, CHAT_ID, first_name=FIRST_NAME, username=USERNAME)
        await person.say("/start")
        replies = await person.turn()
        await person.say(TELEGRAM_WORDS)
        replies = await person.turn()
        with_keyboard = [r for r in replies if r.keyboard]
        if with_keyboard:
            await person.press(with_keyboard[-1], with_keyboard[-1].keyboard[0][0])
            await person.turn()
        telegram_sender = pseudonym(secret, "telegram", CHAT_ID)

        # The widget: a conversation with a tap, then "delete my conversation".
        visitor = WidgetUser()
        replies = await asyncio.to_thread(visitor.send, bot, command="start")
        replies = await asyncio.to_thread(
            visitor.send, bot, payload=payload_of(replies, "Images I sent are being used")
        )
        replies = await asyncio.to_thread(visitor.send, bot, text=WIDGET_WORDS)
        assert text_of(replies)
        widget_sender = pseudonym(secret, "widget", visitor.session)

        stores = sqlite_files(bot.data_dir, rasa_stack.tracker_db.parent)
        assert rasa_stack.tracker_db in stores and bot.data_dir / "bot.db" in stores
        before = "\n".join(everything_in(path) for path in stores)
        assert telegram_sender in before and widget_sender in before  # the search can see

        await person.say("/forget")
        confirmation = await person.turn()
        assert confirmation and "deleted" in confirmation[-1].text
        answer = await asyncio.to_thread(visitor.post, bot, "forget", {})
        assert answer["ok"] is True

        for path in sqlite_files(bot.data_dir, rasa_stack.tracker_db.parent):
            kept = everything_in(path)
            for trace in (
                telegram_sender,
                widget_sender,
                str(CHAT_ID),
                visitor.session,
                FIRST_NAME,
                USERNAME,
                "Ignatius",
                "Bartholomew",
            ):
                assert trace not in kept, f"{trace!r} still in {path.name}"
    finally:
        await asyncio.to_thread(bot.stop)

    # Logs of every process the conversation went through, at the shipped level (INFO).
    logs = {
        "bot": bot.log_path.read_text(errors="replace"),
        "rasa": (rasa_stack.log_dir / "rasa.log").read_text(errors="replace"),
        "actions": (rasa_stack.log_dir / "actions.log").read_text(errors="replace"),
    }
    for name, log in logs.items():
        for trace in (
            "Ignatius",
            "Lowestoft",
            "Bartholomew",
            "300 pounds",
            str(CHAT_ID),
            FIRST_NAME,
            USERNAME,
            visitor.session,
            token,
            secret.decode(),
        ):
            assert trace not in log, f"{trace!r} in the {name} log"
        assert "Traceback" not in log, f"an exception in the {name} log"
