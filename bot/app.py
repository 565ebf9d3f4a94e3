"""The app factory: ``create_app(settings)`` builds bot/'s aiohttp application."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
from aiohttp import hdrs, web

import bot.widget
from bot import handoff, metrics, metrics_server, purge, telegram_door
from bot.address_limits import (
    REQUESTING_ADDRESS,
    open_address_limits,
    requests_limit,
    retry_after,
)
from bot.appkeys import ADDRESS_LIMITS, CONVERSATIONS, HTTP, RESPONSES, SETTINGS, STORE
from bot.client_address import client_address
from bot.conversation import Conversations
from bot.framing import deny_framing
from bot.open_stores import close_tracker_admin, open_store, open_tracker_admin
from bot.rasa_client import RasaClient
from bot.responses import Responses
from bot.settings import Settings
from bot.statistics import recorder as statistics

routes = web.RouteTableDef()
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_BODY_BYTES = 256 * 1024  # no door needs big bodies
# Connections bot/'s session keeps open at most, to all Rasa servers together: one for each turn
# in flight (the Telegram door runs up to 256 updates at once); a turn past that waits for a
# free one, within AIC_RASA_TIMEOUT.
MAX_CONNECTIONS = 256


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """Liveness of bot/ itself; Rasa being down is handled per message, not here."""
    return web.json_response({"status": "ok"})


@web.middleware
async def refuse_encoded_bodies(request: web.Request, handler: Handler) -> web.StreamResponse:
    """No door takes a compressed body (no browser and no Telegram sends one). With the parser's
    own inflating switched off (``auto_decompress``), a deflate bomb is refused unread: it
    never grows past the few bytes it was sent as."""
    encoding = request.headers.get(hdrs.CONTENT_ENCODING, "").strip().lower()
    if encoding not in ("", "identity"):
        refused = web.json_response({"error": "unsupported_content_encoding"}, status=415)
        # The bytes as sent are read and dropped, up to the size any body may have, so that the
        # answer arrives; past that the connection closes after it.
        left = MAX_BODY_BYTES
        while left > 0 and (chunk := await request.content.read(left)):
            left -= len(chunk)
        if not request.content.at_eof():
            refused.force_close()
        return refused
    return await handler(request)


# The routes anyone can call with ids of their own choosing. Telegram's webhook is not among them:
# its calls come from Telegram, with the webhook's secret.
PUBLIC_API = ("/widget/api/", "/desk/api/")


@web.middleware
async def limit_per_address(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A fresh session id with every request does not get past it: the client's address does
    not change. Deeper limits (the hand-off's cases) read the address from REQUESTING_ADDRESS."""
    if not request.path.startswith(PUBLIC_API) or ADDRESS_LIMITS not in request.app:
        return await handler(request)
    settings = request.app[SETTINGS]
    address = client_address(request, settings.trusted_proxies)
    limit = requests_limit(settings.address_requests_per_minute)
    if not await request.app[ADDRESS_LIMITS].take(limit, address, time.time()):
        return web.json_response(
            {"error": "too_many_requests"},
            status=429,
            headers={hdrs.RETRY_AFTER: str(retry_after(limit))},
        )
    token = REQUESTING_ADDRESS.set(address)
    try:
        return await handler(request)
    finally:
        REQUESTING_ADDRESS.reset(token)


@web.middleware
async def count_failures(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A request bot/ fails on (aiohttp answers 500) is counted, by kind, for the operations
    team (``aic_errors_total{kind="unhandled"}``); refusals (4xx) are not failures."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        metrics.ERRORS.labels("unhandled").inc()
        raise


async def require_https(request: web.Request, response: web.StreamResponse) -> None:
    """Served at an https address: browsers are told never to use plain http for it (HSTS)."""
    response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        client_max_size=MAX_BODY_BYTES,
        handler_args={"auto_decompress": False},
        middlewares=[count_failures, refuse_encoded_bodies, limit_per_address],
    )
    app[SETTINGS] = settings
    # Loaded now so a domain without bot/'s responses stops the start, not a conversation.
    app[RESPONSES] = Responses.from_domain(settings.domain_path)
    app.add_routes(routes)
    # No page of bot/ may be framed but the widget's frame, which says so itself.
    app.on_response_prepare.append(deny_framing)
    if settings.public_origin and settings.public_origin.startswith("https:"):
        app.on_response_prepare.append(require_https)
    app.cleanup_ctx.append(_core)
    purge.setup(app)  # retention on a schedule; after _core, as it needs Conversations
    # Counting, after _core and purge (it hooks into both), before the hand-off that counts.
    statistics.setup(app)
    # The doors come after _core in cleanup_ctx: they start once Conversations exists and stop
    # before it closes.
    bot.widget.setup(app)
    telegram_door.setup(app)
    # After the doors: the hand-off pushes through them (desk replies reach the same chat).
    handoff.setup(app)
    # Last: /metrics on its own listener (with AIC_METRICS_PORT) checks what the others opened.
    metrics_server.setup(app)
    return app


async def _core(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    # bot/'s one HTTP client session (the Telegram door's calls go through python-telegram-bot's
    # own); aiohttp keeps its connections alive 15 s between calls.
    connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as http:
        app[HTTP] = http
        # SQLite by default, Redis with AIC_REDIS_URL; a store down at start is retried on use.
        store = await open_store(settings)
        tracker_admin = open_tracker_admin(settings)
        app[STORE] = store
        app[purge.TRACKER_ADMIN] = tracker_admin
        address_limits = app[ADDRESS_LIMITS] = open_address_limits(
            settings.redis_url, settings.pseudonym_secret
        )
        app[CONVERSATIONS] = Conversations(
            # It keeps Rasa's custom payloads: the hand-off request a consent produces.
            rasa=RasaClient(http, settings.rasa_urls, settings.rasa_timeout, settings.rasa_token),
            store=store,
            tracker_admin=tracker_admin,
            responses=app[RESPONSES],
            secret=settings.pseudonym_secret,
            rate_limit_per_minute=settings.rate_limit_per_minute,
            max_message_chars=settings.max_message_chars,
        )
        try:
            yield
        finally:
            await app[CONVERSATIONS].settle()
            await store.close()
            await close_tracker_admin(tracker_admin)
            await address_limits.close()
