"""The web widget door: the embeddable widget's files, its frame, its demo page and its JSON
channel.

A force embeds one ``<script src="https://HOST/widget/widget.js" data-...>`` tag. On the force's
page that script draws the launcher and an iframe of ``GET /widget/frame``, a page of bot/'s own
origin (``frame.html``, ``frame.js``, ``frame.css``) where the whole conversation lives, out of
reach of the force page's scripts. The frame may be embedded by the origins in
``AIC_WIDGET_ORIGINS`` (any, when unset); nothing else bot/ serves may be framed
(``bot/framing.py``). The frame talks to the routes below over plain HTTP JSON, from its own
origin (no cookies, no Rasa socketio):

``POST /widget/api/message``  ``{"session", "id", "text" | "payload"}`` -> ``{"replies": [...]}``
``POST /widget/api/history``  ``{"session"}`` -> ``{"messages": [...]}``
``POST /widget/api/forget``   ``{"session"}`` -> ``{"ok": true, "text": ...}``
``GET  /widget/config.json``  texts the widget needs before it can reach us (from the domain)

A message may carry ``"force"`` (the embedding page's ``data-force``: the force its anonymous
daily counts go to, bot/statistics/), and ``"language": "en" | "cy"`` (the person pressed the
English/Cymraeg switch) or ``"language_hint"`` (the page's ``data-lang``); the ``cymraeg`` and
``english`` commands record the switch itself (aic_shared/language.py has the rules).

``session`` is a random id kept in the frame's sessionStorage; ``Conversations`` turns it
into a pseudonym before anything is stored or sent to Rasa. ``id`` is a random id per message,
so a message the browser retries after a lost connection is answered once, not twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from aic_shared.knowledge import forces, knowledge_beside, load_knowledge
from bot import metrics
from bot.appkeys import CONVERSATIONS, SETTINGS
from bot.httpjson import (
    BadRequest,
    Handler,
    allow_any_origin,
    cors,
    json_response,
    read_json,
    require_id,
    require_string,
)
from bot.responses import Responses
from bot.statistics.recorder import DOOR_FORCE

log = logging.getLogger(__name__)

CHANNEL = "widget"
STATIC_DIR = Path(__file__).parent / "static"

# Texts longer than the bot's own limit still reach Conversations, which answers with its
# "too long" message; this cap only refuses what no person types into the widget.
MAX_TEXT_CHARS = 8000
MAX_PAYLOAD_CHARS = 1000
MAX_FORCE_CHARS = 64
# How long, and how many, answered message ids are remembered to make retries idempotent.
REPLAY_SECONDS = 15 * 60
REPLAY_MAX_ENTRIES = 20_000

DEFAULT_EXIT_URL = "https://www.bbc.co.uk/weather"

# Conversations' trusted door commands the widget may send: "start" when the panel first opens
# (Rasa greets), "restart" for the "Start again" control.
COMMANDS = ("start", "restart", "cymraeg", "english")
LANGUAGES = ("en", "cy")
COMMAND_DISPLAY_TEXTS = {f"/{name}" for name in COMMANDS}


class Replays:
    """Answers to recent message ids, so a retried message is processed once.

    Keys are hashes of session and message id: no raw session id is kept here. A retry that
    arrives while the first attempt is still being answered waits for that same answer.
    """

    def __init__(self, ttl: float = REPLAY_SECONDS, max_entries: int = REPLAY_MAX_ENTRIES):
        self._ttl = ttl
        self._max = max_entries
        self._entries: OrderedDict[str, tuple[float, asyncio.Future[dict]]] = OrderedDict()

    @staticmethod
    def key(session: str, message_id: str) -> str:
        return hashlib.sha256(f"{session}:{message_id}".encode()).hexdigest()

    async def once(self, key: str, compute: Callable[[], Awaitable[dict]]) -> dict:
        self._expire()
        entry = self._entries.get(key)
        if entry is not None:
            return await asyncio.shield(entry[1])
        future: asyncio.Future[dict] = asyncio.get_running_loop().create_future()
        self._entries[key] = (time.monotonic(), future)
        try:
            result = await compute()
        except BaseException as error:
            # Not answered: forget the id so the browser's retry is processed afresh.
            self._entries.pop(key, None)
            future.set_exception(error)
            future.exception()  # retrieved here, so an unawaited future logs nothing
            raise
        future.set_result(result)
        return result

    def _expire(self) -> None:
        cutoff = time.monotonic() - self._ttl
        while self._entries:
            key, (created, future) = next(iter(self._entries.items()))
            if (created >= cutoff or not future.done()) and len(self._entries) <= self._max:
                break
            self._entries.popitem(last=False)


REPLAYS = web.AppKey("widget_replays", Replays)
TEXTS = web.AppKey("widget_texts", dict)


def setup(app: web.Application) -> None:
    """Add the widget's routes and static files to the bot/ app."""
    app[REPLAYS] = Replays()
    app.on_startup.append(_load_texts)
    app.router.add_routes(
        [
            web.get("/", demo_page, name="widget-demo"),
            web.get("/widget/widget.js", _static_file("widget.js"), name="widget-js"),
            web.get("/widget/frame", frame_page, name="widget-frame"),
            web.get("/widget/frame.js", _static_file("frame.js", shared=False), name="frame-js"),
            web.get("/widget/frame.css", _static_file("frame.css", shared=False), name="frame-css"),
            web.get(
                "/widget/static/demo.css", _static_file("demo.css", shared=False), name="demo-css"
            ),
            web.get("/widget/config.json", cors(config), name="widget-config"),
            web.get("/widget/api/ping", cors(ping), name="widget-ping"),
            web.post("/widget/api/message", cors(message), name="widget-message"),
            web.post("/widget/api/history", cors(history), name="widget-history"),
            web.post("/widget/api/forget", cors(forget), name="widget-forget"),
            web.options("/widget/{tail:.*}", preflight, name="widget-preflight"),
        ]
    )


# --- Pages and files ---------------------------------------------------------------------------

# The demo page shows the widget as a force would embed it; nothing on it is inline, so it also
# shows that the widget runs under a strict Content-Security-Policy: the page itself needs the
# assistant's host in script-src and frame-src only (here the same host: 'self').
DEMO_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; frame-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def frame_csp(origins: tuple[str, ...]) -> str:
    """The frame's own policy: everything from bot/'s origin only, and embeddable by the force
    sites in ``origins`` (AIC_WIDGET_ORIGINS, checked in bot/settings.py), or by any site."""
    ancestors = " ".join(("'self'", *origins)) if origins else "*"
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; base-uri 'none'; form-action 'none'; "
        f"frame-ancestors {ancestors}"
    )


async def frame_page(request: web.Request) -> web.StreamResponse:
    response = web.FileResponse(STATIC_DIR / "frame.html")
    response.headers["Content-Security-Policy"] = frame_csp(request.app[SETTINGS].widget_origins)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-cache"
    return response


async def demo_page(request: web.Request) -> web.StreamResponse:
    response = web.FileResponse(STATIC_DIR / "demo.html")
    response.headers["Content-Security-Policy"] = DEMO_CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-cache"
    return response


def _static_file(name: str, shared: bool = True) -> Handler:
    """A file of the widget; ``shared`` for widget.js, which the force's page loads, rather
    than the frame's own files, which only the frame (bot/'s origin) loads."""
    path = STATIC_DIR / name

    async def serve(request: web.Request) -> web.StreamResponse:
        response = web.FileResponse(path)
        # Revalidated on each load (ETag), so a fix reaches every embedding page at once.
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        if shared:
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
        else:
            response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        return response

    return serve


# --- The JSON channel --------------------------------------------------------------------------


async def _load_texts(app: web.Application) -> None:
    settings = app[SETTINGS]
    domain = Path(settings.domain_path)
    responses = Responses.from_domain(domain, required=("utter_frontdoor_unavailable",))
    app[TEXTS] = {
        "unavailable": responses.text("utter_frontdoor_unavailable", CHANNEL),
        "unavailable_cy": responses.text("utter_frontdoor_unavailable", CHANNEL, "cy"),
        "unavailable_all": _variations(domain, "utter_frontdoor_unavailable"),
        "forces": _force_names(domain),
        "forces_cy": _force_names(domain, "cy"),
    }


def _variations(domain: Path, name: str) -> set[str]:
    files = sorted(domain.rglob("*.yml")) if domain.is_dir() else [domain]
    texts = set()
    for file in files:
        document = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        for entry in (document.get("responses") or {}).get(name) or []:
            if isinstance(entry, dict) and isinstance(entry.get("text"), str):
                texts.add(entry["text"])
    return texts


def _force_names(domain: Path, language: str | None = None) -> dict[str, str]:
    return {
        key: force.texts(language)["force_name"]
        for key, force in forces(load_knowledge(knowledge_beside(domain))).items()
    }


async def config(request: web.Request) -> web.Response:
    texts = request.app[TEXTS]
    force = request.query.get("force", "")
    settings = request.app[SETTINGS]
    return json_response(
        {
            "unavailable": texts["unavailable"],
            "unavailable_cy": texts["unavailable_cy"],
            "force_name": texts["forces"].get(force),
            "force_name_cy": texts["forces_cy"].get(force),
            "max_chars": settings.max_message_chars,
            "exit_url": DEFAULT_EXIT_URL,
        },
        cache="public, max-age=300",
    )


async def ping(request: web.Request) -> web.Response:
    return json_response({"ok": True})


async def message(request: web.Request) -> web.Response:
    body = await read_json(request)
    session = require_id(body, "session")
    message_id = require_id(body, "id")
    given = [name for name in ("text", "payload", "command") if body.get(name) is not None]
    if len(given) != 1:
        raise BadRequest("send exactly one of 'text', 'payload' and 'command'")
    text, payload, command = body.get("text"), body.get("payload"), body.get("command")
    if text is not None:
        require_string(text, "text", MAX_TEXT_CHARS)
    if payload is not None:
        require_string(payload, "payload", MAX_PAYLOAD_CHARS)
        if not payload:
            raise BadRequest("'payload' is empty")
    if command is not None and command not in COMMANDS:
        raise BadRequest(f"'command' must be one of {', '.join(COMMANDS)}")
    language, hint = body.get("language"), body.get("language_hint")
    for name, value in (("language", language), ("language_hint", hint)):
        if value is not None and value not in LANGUAGES:
            raise BadRequest(f"'{name}' must be one of {', '.join(LANGUAGES)}")
    # The force whose site the widget is on (its data-force): counted under it (bot.statistics,
    # which takes only a force it knows, and counts anything else under "national").
    force = body.get("force")
    if force is not None:
        require_string(force, "force", MAX_FORCE_CHARS)

    conversations = request.app[CONVERSATIONS]

    async def answer() -> dict:
        DOOR_FORCE.set(force)
        if command is not None:
            replies = await conversations.command(CHANNEL, session, command, language_hint=hint)
        else:
            replies = await conversations.handle(
                CHANNEL,
                session,
                text=text,
                payload=payload,
                language=language,
                language_hint=hint,
            )
        # The language bot/ answered in, so the widget can mark the replies (lang) and follow.
        return {
            "replies": [_reply(reply) for reply in replies],
            "language": conversations.answered_in(),
        }

    key = Replays.key(session, message_id)
    try:
        result = await request.app[REPLAYS].once(key, answer)
    except Exception:
        # Conversations answers Rasa's failures itself; this is bot/ failing. The person still
        # gets the safety essentials, and the browser does not retry into the same fault.
        log.exception("widget: a message could not be handled")
        metrics.ERRORS.labels("unhandled").inc()
        metrics.SAFETY_FALLBACKS.labels(CHANNEL, "bot_error").inc()
        welsh = language == "cy" or (language is None and hint == "cy")
        unavailable = request.app[TEXTS]["unavailable_cy" if welsh else "unavailable"]
        result = {"replies": [{"text": unavailable, "buttons": []}]}
    return json_response(result)


async def history(request: web.Request) -> web.Response:
    body = await read_json(request)
    session = require_id(body, "session")
    try:
        items = await request.app[CONVERSATIONS].history(CHANNEL, session)
    except Exception:
        # Rasa is down or slow: the widget keeps what it shows and asks again later.
        log.warning("widget: history could not be read", exc_info=True)
        return json_response({"error": "unavailable"}, status=503)
    messages = [
        _history_item(item)
        for item in items
        # The widget's own start command is not something the person said.
        if not (item.get("from") == "user" and item.get("text") in COMMAND_DISPLAY_TEXTS)
    ]
    return json_response({"messages": messages})


async def forget(request: web.Request) -> web.Response:
    body = await read_json(request)
    session = require_id(body, "session")
    try:
        replies = await request.app[CONVERSATIONS].forget(CHANNEL, session)
    except Exception:
        log.exception("widget: a conversation could not be forgotten")
        replies = []
    texts = [reply.text for reply in replies]
    # Conversations answers with the unavailable message when deletion failed; the widget
    # must then keep the conversation on screen rather than pretend it is gone.
    ok = bool(texts) and not set(texts) & request.app[TEXTS]["unavailable_all"]
    if not ok:
        return json_response({"ok": False, "text": request.app[TEXTS]["unavailable"]}, status=503)
    return json_response({"ok": True, "text": " ".join(texts)})


async def preflight(request: web.Request) -> web.Response:
    response = web.Response(status=204)
    allow_any_origin(response)
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Access-Control-Max-Age"] = "600"
    return response


# --- Helpers -----------------------------------------------------------------------------------


def _reply(reply: Any) -> dict:
    return {"text": reply.text or "", "buttons": _buttons(getattr(reply, "buttons", ()))}


def _history_item(item: dict) -> dict:
    sender = "user" if item.get("from") == "user" else "bot"
    return {
        "from": sender,
        "text": str(item.get("text") or ""),
        "buttons": _buttons(item.get("buttons") or ()),
    }


def _buttons(buttons: Any) -> list[dict]:
    result = []
    for button in buttons or ():
        if isinstance(button, dict):
            title, payload = button.get("title"), button.get("payload")
        elif isinstance(button, (tuple, list)) and len(button) == 2:
            title, payload = button
        else:
            title, payload = getattr(button, "title", None), getattr(button, "payload", None)
        if title and payload:
            result.append({"title": str(title), "payload": str(payload)})
    return result
