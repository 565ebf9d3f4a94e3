"""``python -m bot``: run the front door with settings from the environment."""

from __future__ import annotations

import os

from aiohttp import web

from bot import logs
from bot.app import create_app
from bot.settings import Settings


def main() -> None:
    settings = Settings.from_env()
    logs.configure(settings.log_level)
    # Opt in to python-telegram-bot's timedelta durations (its int form is deprecated).
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    # access_log=None: an access log would record people's IP addresses.
    web.run_app(create_app(settings), host=settings.host, port=settings.port, access_log=None)


if __name__ == "__main__":
    main()
