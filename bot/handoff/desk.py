"""The hand-off desk: a web page for 101 contact handlers, served under ``/desk``.

Login with a desk account (``python -m bot.handoff.accounts``); the session is a random token in
a cookie that is HttpOnly, SameSite=Strict, limited to ``/desk`` (and Secure with
``AIC_DESK_COOKIE_SECURE``) and expires after ``AIC_DESK_SESSION_MINUTES``. Every request that
changes something must carry the session's CSRF token in ``X-CSRF-Token`` and, when the browser
sends one, an ``Origin`` of this site. A handler only ever sees their own force's queue; a case
of another force is answered 404, as if it did not exist.

Failed logins are counted in the case store (so every replica shares the count), per name and
address and per address, under keyed hashes of them: never the name or the address as typed.

JSON API (all under /desk/api): ``POST login``, ``POST logout``, ``GET me``, ``GET queue``,
``GET cases/{reference}``, ``POST cases/{reference}/claim``, ``POST cases/{reference}/messages``,
``POST cases/{reference}/close``; ``GET /desk/ws`` pushes ``{"type": "queue"}`` and
``{"type": "case", "reference"}`` events so the page updates without reloading. A supervisor's
session also opens their force's statistics (``/desk/statistics``, ``bot.statistics.page``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import math
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from bot.address_limits import address_key
from bot.client_address import client_address
from bot.handoff.cases import (
    LIVE,
    NOTICE,
    OUTCOMES,
    QUEUE,
    REFERRED,
    REPLIED,
    WAITING,
    Case,
    DeskSession,
)
from bot.handoff.passwords import verify_async
from bot.handoff.references import normalise
from bot.handoff.service import Handoff
from bot.httpjson import BadRequest, parse_json, read_body

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
COOKIE = "aic_desk"
CSRF_HEADER = "X-CSRF-Token"
MAX_BODY_BYTES = 16 * 1024
MAX_MESSAGE_CHARS = 2000
LOGIN_FAILURES_BEFORE_PAUSE = 5
LOGIN_PAUSE_SECONDS = 60.0
# Failures from one address, whatever the names tried, before it too is paused.
ADDRESS_FAILURES_BEFORE_PAUSE = 20
MAX_PASSWORD_CHECKS_AT_ONCE = 4
WS_SESSION_CHECK_SECONDS = 15.0
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}

HANDOFF = web.AppKey("handoff", Handoff)
DESK = web.AppKey("desk_config", dict)


def setup(
    app: web.Application,
    *,
    session_seconds: float,
    secure_cookie: bool,
    trusted_proxies: tuple[str, ...] = (),
    public_origin: str | None = None,
    secret: bytes,
) -> None:
    app[DESK] = {
        "public_origin": public_origin,
        "session_seconds": session_seconds,
        "secure_cookie": secure_cookie,
        "trusted_proxies": trusted_proxies,
        # Keys failed logins are counted under (``_login_keys``).
        "secret": secret,
        "checks_running": 0,
    }
    app.middlewares.append(_store_down)
    app.router.add_routes(
        [
            web.get("/desk", page),
            web.get("/desk/", page),
            web.get("/desk/desk.js", _static("desk.js", "text/javascript")),
            web.get("/desk/desk.css", _static("desk.css", "text/css")),
            web.post("/desk/api/login", login),
            web.post("/desk/api/logout", logout),
            web.get("/desk/api/me", me),
            web.get("/desk/api/queue", queue),
            web.get("/desk/api/cases/{reference}", case_detail),
            web.post("/desk/api/cases/{reference}/claim", claim),
            web.post("/desk/api/cases/{reference}/messages", send_message),
            web.post("/desk/api/cases/{reference}/close", close),
            web.get("/desk/ws", websocket),
        ]
    )
    # Imported here, not at the top: the statistics pages use this module's sessions.
    from bot.statistics.page import setup_routes

    setup_routes(app)


@web.middleware
async def _store_down(request: web.Request, handler: Any) -> web.StreamResponse:
    """The case store cannot be reached (it is retried on the next request): the desk says so
    rather than failing with a 500."""
    if not request.path.startswith("/desk"):
        return await handler(request)
    try:
        return await handler(request)
    except ConnectionError as error:
        log.warning("desk: hand-off store unavailable (%s)", type(error).__name__)
        return no_store_json({"error": "unavailable"}, status=503)


# --- Pages -------------------------------------------------------------------------------------


async def page(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC_DIR / "desk.html", headers=PAGE_HEADERS)


def _static(name: str, content_type: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def serve(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(
            STATIC_DIR / name,
            headers={
                "Content-Type": content_type,
                "Cache-Control": "no-cache",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return serve


# --- Sessions ----------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser's cross-site request (they always send Origin on POST/WS)
    public_origin = request.app[DESK]["public_origin"]
    if public_origin is not None:
        # Behind a proxy the Host may not be the one the browser asked for: the configured
        # address is.
        return origin.lower() == public_origin
    return origin in (
        f"{request.scheme}://{request.host}",
        f"http://{request.host}",
        f"https://{request.host}",
    )


async def current_session(request: web.Request) -> DeskSession:
    token = request.cookies.get(COOKIE)
    if not token:
        raise refusal(401, "not_logged_in")
    handoff = request.app[HANDOFF]
    session = await handoff.cases.session(_token_hash(token), handoff.clock())
    if session is None:
        raise refusal(401, "session_expired")
    return session


async def _changing(request: web.Request) -> DeskSession:
    """A session for a request that changes something: same origin, right CSRF token."""
    if not _same_origin(request):
        raise refusal(403, "wrong_origin")
    session = await current_session(request)
    given = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(given.encode(), session.csrf.encode()):
        raise refusal(403, "csrf")
    return session


def refusal(status: int, code: str) -> web.HTTPException:
    body = json.dumps({"error": code})
    kinds = {
        400: web.HTTPBadRequest,
        401: web.HTTPUnauthorized,
        403: web.HTTPForbidden,
        404: web.HTTPNotFound,
        409: web.HTTPConflict,
        429: web.HTTPTooManyRequests,
    }
    return kinds[status](
        text=body, content_type="application/json", headers={"Cache-Control": "no-store"}
    )


def no_store_json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, headers={"Cache-Control": "no-store"})


async def _body(request: web.Request) -> dict:
    try:
        raw = await read_body(request, MAX_BODY_BYTES)
    except BadRequest:
        raise refusal(400, "too_large") from None
    try:
        body = parse_json(raw or b"{}")
    except BadRequest:
        raise refusal(400, "not_json") from None
    if not isinstance(body, dict):
        raise refusal(400, "not_an_object")
    return body


def _login_keys(secret: bytes, username: str, address: str) -> tuple[str, str]:
    """The keys failed logins count under: the name with the address, and the address alone.
    A pause never reaches a handler who logs in from somewhere else, so nobody can lock a known
    name out. Keyed hashes: a mistyped password in the name field is not kept either."""
    return (
        "pair:" + address_key(secret, f"{len(username)}:{username}:{address}"),
        "address:" + address_key(secret, address),
    )


async def login(request: web.Request) -> web.Response:
    if not _same_origin(request):
        raise refusal(403, "wrong_origin")
    body = await _body(request)
    username = str(body.get("username") or "").strip().lower()[:64]
    password = str(body.get("password") or "")[:1024]
    config = request.app[DESK]
    address = client_address(request, config["trusted_proxies"])
    keys = _login_keys(config["secret"], username, address)
    handoff = request.app[HANDOFF]
    now = handoff.clock()
    if await handoff.cases.login_paused(keys, now):
        raise refusal(429, "too_many_attempts")
    if config["checks_running"] >= MAX_PASSWORD_CHECKS_AT_ONCE:
        # Each check is tens of milliseconds of a core on purpose: a crowd of them would starve
        # everyone else, so the rest wait and try again.
        raise refusal(429, "busy")
    config["checks_running"] += 1
    try:
        account = await handoff.cases.account(username) if username else None
        verified = await verify_async(account.password_hash if account else None, password)
    finally:
        config["checks_running"] -= 1
    if not verified or not account:
        limits = {keys[0]: LOGIN_FAILURES_BEFORE_PAUSE, keys[1]: ADDRESS_FAILURES_BEFORE_PAUSE}
        await handoff.cases.login_failed(limits, now, LOGIN_PAUSE_SECONDS)
        log.info("desk login refused")
        raise refusal(401, "wrong_name_or_password")
    await handoff.cases.login_succeeded(keys[0])
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await handoff.cases.create_session(
        _token_hash(token), account.username, csrf, now + config["session_seconds"]
    )
    log.info("desk login (%s)", account.force)
    response = no_store_json(_me(handoff, account.username, account.force, account.role, csrf))
    response.set_cookie(
        COOKIE,
        token,
        max_age=math.ceil(config["session_seconds"]),
        path="/desk",
        httponly=True,
        samesite="Strict",
        secure=config["secure_cookie"],
    )
    return response


def _me(handoff: Handoff, username: str, force: str, role: str, csrf: str) -> dict:
    return {
        "username": username,
        "force": force,
        "force_name": handoff.force(force).name,
        # The page offers the statistics link to a supervisor (the routes check it again).
        "role": role,
        "csrf": csrf,
        "outcomes": list(OUTCOMES),
    }


async def logout(request: web.Request) -> web.Response:
    await _changing(request)
    token = request.cookies.get(COOKIE, "")
    await request.app[HANDOFF].cases.delete_session(_token_hash(token))
    response = no_store_json({"ok": True})
    response.del_cookie(COOKIE, path="/desk")
    return response


async def me(request: web.Request) -> web.Response:
    session = await current_session(request)
    return no_store_json(
        _me(request.app[HANDOFF], session.username, session.force, session.role, session.csrf)
    )


# --- Cases -------------------------------------------------------------------------------------


def _brief(case: Case, session: DeskSession, now: float) -> dict:
    return {
        "reference": case.reference,
        "state": case.state,
        "channel": case.channel,
        "waiting_seconds": round(now - case.created_at),
        "created_at": case.created_at,
        "mine": case.handler == session.username,
        "claimed": case.handler is not None,
    }


async def _case_for(request: web.Request, session: DeskSession) -> Case:
    reference = normalise(request.match_info["reference"])
    case = await request.app[HANDOFF].cases.by_reference(reference) if reference else None
    if case is None or case.queue != session.force:
        # Another force's case is answered exactly like one that does not exist.
        raise refusal(404, "no_such_case")
    return case


async def queue(request: web.Request) -> web.Response:
    session = await current_session(request)
    handoff = request.app[HANDOFF]
    now = handoff.clock()
    cases = await handoff.cases.queue(session.force, session.username)
    return no_store_json(
        {
            "cases": [_brief(c, session, now) for c in cases],
            "force_name": handoff.force(session.force).name,
        }
    )


async def case_detail(request: web.Request) -> web.Response:
    session = await current_session(request)
    case = await _case_for(request, session)
    return no_store_json(await _detail(request.app[HANDOFF], case, session))


async def _detail(handoff: Handoff, case: Case, session: DeskSession) -> dict:
    now = handoff.clock()
    # The conversation so far is only what the person sent after agreeing to the hand-off;
    # bot/'s notices in English (the person may read them in Welsh); not the queue updates.
    messages = [
        {
            "id": m.id,
            "from": NOTICE if m.sender == REPLIED else m.sender,
            "text": m.desk_text or m.text,
            "at": m.at,
        }
        for m in await handoff.cases.messages(case.id)
        if m.sender != QUEUE
    ]
    return {
        **_brief(case, session, now),
        "summary_text": case.summary_text,
        "summary": case.summary,
        "outcome": case.outcome,
        "can_claim": case.state == WAITING,
        "can_chat": case.state == LIVE and case.handler == session.username,
        "can_close": (case.state == LIVE and case.handler == session.username)
        or case.state == REFERRED,
        "messages": messages,
        # Who opened, claimed, wrote to and closed it, and when: read-only, never any text.
        "audit": [
            {"by": e.actor, "action": e.action, "at": e.at, "detail": e.detail}
            for e in await handoff.cases.audit(case.reference)
        ],
    }


async def claim(request: web.Request) -> web.Response:
    session = await _changing(request)
    case = await _case_for(request, session)
    handoff = request.app[HANDOFF]
    if not await handoff.claim(case, session.username):
        raise refusal(409, "already_claimed")
    fresh = await handoff.cases.case(case.id)
    assert fresh is not None
    return no_store_json(await _detail(handoff, fresh, session))


async def send_message(request: web.Request) -> web.Response:
    session = await _changing(request)
    case = await _case_for(request, session)
    body = await _body(request)
    text = str(body.get("text") or "").strip()
    if not text or len(text) > MAX_MESSAGE_CHARS:
        raise refusal(400, "text")
    if case.state != LIVE or case.handler != session.username:
        raise refusal(409, "not_your_live_case")
    message = await request.app[HANDOFF].say(case, text)
    return no_store_json({"id": message.id})


async def close(request: web.Request) -> web.Response:
    session = await _changing(request)
    case = await _case_for(request, session)
    body = await _body(request)
    outcome = body.get("outcome")
    if outcome not in OUTCOMES:
        raise refusal(400, "outcome")
    if case.state == LIVE and case.handler != session.username:
        raise refusal(409, "not_your_live_case")
    handoff = request.app[HANDOFF]
    if not await handoff.close(case, outcome, session.username):
        raise refusal(409, "cannot_close")
    fresh = await handoff.cases.case(case.id)
    assert fresh is not None
    return no_store_json(await _detail(handoff, fresh, session))


# --- Live updates ------------------------------------------------------------------------------


async def websocket(request: web.Request) -> web.StreamResponse:
    if not _same_origin(request):
        raise refusal(403, "wrong_origin")
    session = await current_session(request)
    handoff = request.app[HANDOFF]
    ws = web.WebSocketResponse(heartbeat=30)
    await ws.prepare(request)
    inbox = handoff.hub.subscribe(session.force)
    token_hash = _token_hash(request.cookies.get(COOKIE, ""))

    async def forward() -> None:
        while True:
            try:
                event = await asyncio.wait_for(inbox.get(), WS_SESSION_CHECK_SECONDS)
            except asyncio.TimeoutError:
                event = None
            if await handoff.cases.session(token_hash, handoff.clock()) is None:
                await ws.send_json({"type": "session_expired"})
                await ws.close()
                return
            if event is not None:
                await ws.send_json(event)

    sender = asyncio.create_task(forward())
    try:
        async for message in ws:
            if message.type == WSMsgType.ERROR:
                break  # the page only listens; anything it sends is ignored
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await sender
        handoff.hub.unsubscribe(session.force, inbox)
    return ws
