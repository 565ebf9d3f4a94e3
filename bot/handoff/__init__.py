"""The live hand-off to 101 contact handlers: cases, queues, the desk and the widget's feed.

``setup(app)`` (called from ``create_app`` after the doors) adds the desk's routes, the widget's
``POST /widget/api/handoff`` feed, and at start opens the case store (``{AIC_DATA_DIR}/handoff.db``)
and plugs ``Handoff`` into ``Conversations``. See ``service.py`` for the flow, ``desk.py`` for
the desk, ``accounts.py`` for adding handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from aiohttp import web

from bot.appkeys import CONVERSATIONS, SETTINGS, STORE
from bot.handoff import desk
from bot.handoff.desk import HANDOFF
from bot.handoff.hours import OpeningHours
from bot.handoff.queues import load_forces
from bot.handoff.service import REQUIRED, Handoff
from bot.handoff.store import SQLiteCaseStore
from bot.messages import Reply
from bot.purge import PURGE_HOOKS
from bot.responses import MissingResponses, Responses
from bot.settings import Settings

log = logging.getLogger(__name__)

TICK_SECONDS = 5.0
PURGE_EVERY_TICKS = 120  # every ten minutes
HOURS = web.AppKey("handoff_hours", OpeningHours)
TEXTS = web.AppKey("handoff_texts", Responses)
WIDGET_CHANNEL = "widget"


def store_path(settings: Settings) -> Path:
    return settings.data_dir / "handoff.db"


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
    )
    app.router.add_post("/widget/api/handoff", widget_feed)
    app.cleanup_ctx.append(_run)


async def _run(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    cases = await SQLiteCaseStore.open(store_path(settings))
    handoff = Handoff(
        cases=cases,
        people=app[STORE],
        responses=app[TEXTS],
        forces=load_forces(settings.domain_path),
        hours=app[HOURS],
        wait_seconds=settings.handoff_wait_minutes * 60,
        retention_seconds=settings.handoff_retention_days * 86400,
        max_message_chars=settings.max_message_chars,
    )
    _add_pushers(app, handoff)
    app[HANDOFF] = handoff
    conversations = app[CONVERSATIONS]
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
        except Exception:
            log.exception("hand-off housekeeping failed; trying again")
        ticks += 1
        await asyncio.sleep(TICK_SECONDS)


# --- The widget's feed -------------------------------------------------------------------------


async def widget_feed(request: web.Request) -> web.Response:
    """``POST /widget/api/handoff {"session", "after"}``: the hand-off part of a widget
    conversation (messages from the person at the desk, notices), polled while one is open."""
    from bot.widget import BadRequest, _add_cors, _id, _json, _read_json

    try:
        body = await _read_json(request)
        session = _id(body, "session")
        after = body.get("after")
        if after is not None and (
            not isinstance(after, int) or isinstance(after, bool) or after < 0
        ):
            raise BadRequest("'after' must be null or a whole number")
    except BadRequest as error:
        response = _json({"error": "bad_request", "detail": str(error)}, status=400)
        _add_cors(response)
        return response
    handoff = request.app.get(HANDOFF)
    if handoff is None:
        data = {"active": False, "messages": [], "cursor": after or 0}
    else:
        who = request.app[CONVERSATIONS].pseudonym(WIDGET_CHANNEL, session)
        data = await handoff.feed(who, after)
    response = _json(data)
    _add_cors(response)
    return response
