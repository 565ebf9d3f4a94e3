"""The live hand-off to 101 contact handlers: cases, queues, the desk and the widget's feed.

``setup(app)`` (called from ``create_app`` after the doors) adds the desk's routes, the widget's
``POST /widget/api/handoff`` feed, and at start plugs ``Handoff`` into ``Conversations`` over the
case store the settings choose (``bot.open_stores.open_case_store``: ``{AIC_DATA_DIR}/handoff.db``,
or Redis with ``AIC_REDIS_URL``, where the desk's live events go over Redis pub/sub too, so
every replica serves one desk). A case store that cannot be opened at start does not stop
bot/: it is opened on use, and the hand-off works once it can be. See ``service.py`` for the
flow, ``desk.py`` for the desk, ``accounts.py`` for adding handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

from aiohttp import web

from bot.appkeys import ADDRESS_LIMITS, CONVERSATIONS, SETTINGS, STORE
from bot.handoff import desk
from bot.handoff.cases_sqlite import store_path
from bot.handoff.desk import HANDOFF
from bot.handoff.hours import OpeningHours
from bot.handoff.hub import Hub, RedisHub
from bot.handoff.queues import load_forces
from bot.handoff.service import REQUIRED, Handoff
from bot.httpjson import BadRequest, cors, json_response, read_json, require_id
from bot.messages import Reply
from bot.open_stores import open_case_store
from bot.purge import PURGE_HOOKS
from bot.responses import MissingResponses, Responses

__all__ = ["HANDOFF", "Handoff", "setup", "store_path"]

log = logging.getLogger(__name__)

TICK_SECONDS = 5.0
PURGE_EVERY_TICKS = 120  # every ten minutes
HOURS = web.AppKey("handoff_hours", OpeningHours)
TEXTS = web.AppKey("handoff_texts", Responses)
WIDGET_CHANNEL = "widget"


def setup(app: web.Application) -> None:
    settings = app[SETTINGS]
    try:
        app[TEXTS] = Responses.from_domain(settings.domain_path, required=REQUIRED)
    except MissingResponses as error:
        # A domain without the hand-off's texts (a test domain, an older deployment): the
        # assistant still runs, without the hand-off.
        log.warning("hand-off off: %s", error)
        return
    # Read now, so a bad AIC_HANDOFF_HOURS stops the start rather than a hand-off.
    app[HOURS] = OpeningHours.parse(settings.handoff_hours, settings.handoff_timezone)
    desk.setup(
        app,
        session_seconds=settings.desk_session_minutes * 60,
        secure_cookie=settings.desk_cookie_secure,
        trusted_proxies=settings.trusted_proxies,
        public_origin=settings.public_origin,
        secret=settings.pseudonym_secret,
    )
    app.router.add_post("/widget/api/handoff", cors(widget_feed))
    app.cleanup_ctx.append(_run)


async def _run(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    cases = await open_case_store(settings)
    hub = RedisHub(settings.redis_url) if settings.redis_url else Hub()
    await hub.start()
    handoff = Handoff(
        cases=cases,
        people=app[STORE],
        responses=app[TEXTS],
        forces=load_forces(settings.domain_path),
        hours=app[HOURS],
        wait_seconds=settings.handoff_wait_minutes * 60,
        retention_seconds=settings.handoff_retention_days * 86400,
        max_message_chars=settings.max_message_chars,
        max_waiting=settings.handoff_max_waiting,
        address_limits=app.get(ADDRESS_LIMITS),
        cases_per_address_per_hour=settings.handoff_cases_per_address_per_hour,
        hub=hub,
    )
    _add_pushers(app, handoff)
    app[HANDOFF] = handoff
    conversations = app[CONVERSATIONS]
    # The same counting as the conversations (bot.statistics started before the hand-off).
    handoff.statistics = conversations.statistics
    conversations.handoff = handoff
    conversations.forgetters.append(handoff.erase)
    # bot/'s retention runs (scheduled and `make purge`) delete old cases too.
    hooks = app.get(PURGE_HOOKS)
    if hooks is not None:
        hooks.append(handoff.purge)
    housekeeping = asyncio.create_task(_housekeeping(handoff))
    try:
        yield
    finally:
        housekeeping.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await housekeeping
        conversations.handoff = None
        conversations.forgetters.remove(handoff.erase)
        if hooks is not None:
            hooks.remove(handoff.purge)
        await hub.close()
        await cases.close()


def _add_pushers(app: web.Application, handoff: Handoff) -> None:
    """Doors that can send a message unasked. The widget has none: it fetches ``feed``."""
    from bot.telegram_door import CHANNEL, TELEGRAM_DOOR

    door = app.get(TELEGRAM_DOOR)
    if door is not None:

        async def push(address: str, replies: Sequence[Reply]) -> None:
            await door.push(int(address), replies)

        handoff.pushers[CHANNEL] = push


async def _housekeeping(handoff: Handoff) -> None:
    ticks = 0
    while True:
        try:
            await handoff.tick()
            if ticks % PURGE_EVERY_TICKS == 0:
                await handoff.purge()
        except ConnectionError as error:  # the case store is down: tried again next tick
            log.warning("hand-off housekeeping: %s", type(error).__name__)
        except Exception:
            log.exception("hand-off housekeeping failed; trying again")
        ticks += 1
        await asyncio.sleep(TICK_SECONDS)


# --- The widget's feed -------------------------------------------------------------------------


# A message id: what a SQLite INTEGER (and so any cursor the feed gives) can hold.
MAX_CURSOR = 2**63 - 1


async def widget_feed(request: web.Request) -> web.Response:
    """``POST /widget/api/handoff {"session", "after"}``: the hand-off part of a widget
    conversation (messages from the person at the desk, notices), polled while one is open."""
    body = await read_json(request)
    session = require_id(body, "session")
    after = body.get("after")
    if after is not None and (
        not isinstance(after, int) or isinstance(after, bool) or not 0 <= after <= MAX_CURSOR
    ):
        raise BadRequest("'after' must be null or a whole number")
    handoff = request.app.get(HANDOFF)
    if handoff is None:
        return json_response({"active": False, "messages": [], "cursor": after or 0})
    who = request.app[CONVERSATIONS].pseudonym(WIDGET_CHANNEL, session)
    try:
        data = await handoff.feed(who, after)
    except ConnectionError:
        # The case store is down: the widget keeps what it shows and asks again.
        return json_response({"error": "unavailable"}, status=503)
    return json_response(data)
