"""Telegram door (work in progress)."""

from __future__ import annotations

from aiohttp import web

from bot.appkeys import SETTINGS


def setup(app: web.Application) -> None:
    if not app[SETTINGS].telegram_enabled:
        return
