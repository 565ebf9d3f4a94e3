"""Typed keys for the state bot/ keeps on its aiohttp application."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp import web

from bot.address_limits import AddressLimits
from bot.conversation import Conversations
from bot.people import Store
from bot.responses import Responses
from bot.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
RESPONSES = web.AppKey("responses", Responses)
STORE = web.AppKey("store", Store)
CONVERSATIONS = web.AppKey("conversations", Conversations)
# The one aiohttp client session of bot/'s life, opened and closed in ``bot.app._core``.
HTTP = web.AppKey("http", aiohttp.ClientSession)
ADDRESS_LIMITS = web.AppKey("address_limits", AddressLimits)
# Whether one component answers (True) or not: run at each scrape of /metrics for the aic_up
# gauge (bot/metrics_server.py), bounded there by a short timeout.
HealthCheck = Callable[[], Awaitable[bool]]
# Checks by component (a name in bot.metrics.COMPONENTS). ``bot.metrics_server.setup`` makes the
# dict with its own checks; another part of bot/ adds its own, e.g.
# ``app[HEALTH_CHECKS]["statistics_store"] = check``.
HEALTH_CHECKS = web.AppKey("health_checks", dict[str, HealthCheck])
