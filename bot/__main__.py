"""``python -m bot``: run the front door with settings from the environment."""

from __future__ import annotations

import logging
import os

from aiohttp import web

from bot.app import create_app
from bot.settings import Settings


def main() -> None:
    settings = Settings.from_env()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every request URL at INFO, and a Bot API URL contains the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Opt in to python-telegram-bot's timedelta durations (its int form is deprecated).
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    # access_log=None: an access log would record people's IP addresses.
    web.run_app(create_app(settings), host=settings.host, port=settings.port, access_log=None)


if __name__ == "__main__":
    main()
