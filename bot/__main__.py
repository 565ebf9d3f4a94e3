"""``python -m bot``: run the front door with settings from the environment."""

from __future__ import annotations

import asyncio
import logging
import os
import signal

import uvloop
from aiohttp import web

from bot import logs
from bot.app import create_app
from bot.settings import Settings

log = logging.getLogger(__name__)


async def serve(settings: Settings) -> None:
    """Serve until SIGTERM or SIGINT, then stop at once: requests in flight get as long as a
    turn may take (the Rasa timeout), and the doors finish their own turns as they close.

    Not ``web.run_app``: on shutdown it also waits for every task started after start-up,
    which includes the Telegram door's, which never end before the door is closed: a minute
    of waiting on every stop (``docker stop`` kills after ten seconds)."""
    # access_log=None: an access log would record people's IP addresses.
    runner = web.AppRunner(
        create_app(settings), access_log=None, shutdown_timeout=settings.rasa_timeout + 2
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.host, settings.port).start()
        log.info("listening on http://%s:%s", settings.host, settings.port)
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
        await stopping.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    # Every file bot/ or a library makes (SQLite journals, logs) is this user's alone.
    os.umask(0o077)
    settings = Settings.from_env()
    logs.configure(settings.log_level)
    # Opt in to python-telegram-bot's timedelta durations (its int form is deprecated).
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    # uvloop, as Rasa's and the action server's Sanic already use: 5-10% less of bot/'s CPU a
    # message than asyncio's own loop.
    uvloop.run(serve(settings))


if __name__ == "__main__":
    main()
