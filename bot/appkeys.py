"""Typed keys for the state bot/ keeps on its aiohttp application."""

from __future__ import annotations

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
