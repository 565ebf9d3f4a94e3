"""Logging for ``python -m bot``: what people write, their ids and our secrets stay out."""

from __future__ import annotations

import logging

# Libraries whose log records can carry values we must not keep: python-telegram-bot logs
# whole updates (names, usernames, chat ids, text) when one cannot be parsed; httpx logs
# request URLs, and a Bot API URL contains the bot token.
QUOTING_LOGGERS = ("telegram", "httpx", "httpcore")


class WithholdValues(logging.Filter):
    """Keep such a record's message template; drop the values it would be filled with."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and record.name.split(".")[0] in QUOTING_LOGGERS:
            record.msg = f"{record.msg} [values withheld]"
            record.args = ()
        return True


def configure(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(WithholdValues())
    # httpx logs every request at INFO; nothing in them is worth keeping.
    logging.getLogger("httpx").setLevel(logging.WARNING)
