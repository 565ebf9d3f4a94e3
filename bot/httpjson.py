"""JSON over HTTP for bot/'s browser-facing routes: the widget's channel and the hand-off's feed.

Bodies are read with a size cap and must be JSON objects; anything malformed is ``BadRequest``,
which ``cors`` turns into a 400 JSON body. No cookies or credentials are ever used on these
routes, so any page that embeds the widget may call them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

# 128 random bits as lowercase hex: what the widget makes with crypto.getRandomValues.
ID_PATTERN = re.compile(r"[0-9a-f]{32}")
MAX_BODY_BYTES = 16 * 1024

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BadRequest(Exception):
    """The request is malformed; answered with a 400 JSON body naming what is wrong."""


def cors(handler: Handler) -> Handler:
    """Answer cross-origin calls from the pages that embed the widget, and turn any malformed
    request into a 400 JSON body."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            response = await handler(request)
        except BadRequest as error:
            response = json_response({"error": "bad_request", "detail": str(error)}, status=400)
        allow_any_origin(response)
        return response

    return wrapped


def allow_any_origin(response: web.StreamResponse) -> None:
    response.headers["Access-Control-Allow-Origin"] = "*"


def json_response(data: Any, status: int = 200, cache: str = "no-store") -> web.Response:
    response = web.json_response(data, status=status)
    response.headers["Cache-Control"] = cache
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


async def read_body(request: web.Request, max_bytes: int = MAX_BODY_BYTES) -> bytes:
    """The whole body, or ``BadRequest`` past ``max_bytes``. One ``read(n)`` returns what has
    arrived so far, which for a body sent in pieces is only its first part."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise BadRequest("body too large")
    raw = bytearray()
    while chunk := await request.content.read(max_bytes + 1 - len(raw)):
        raw += chunk
        if len(raw) > max_bytes:
            raise BadRequest("body too large")
    return bytes(raw)


def parse_json(raw: bytes) -> Any:
    """``raw`` as JSON, or ``BadRequest``: nesting too deep for the parser is bad JSON too."""
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadRequest("body is not JSON") from None


async def read_json(request: web.Request, max_bytes: int = MAX_BODY_BYTES) -> dict:
    # Any content type is read as JSON: navigator.sendBeacon (used by the widget's quick exit)
    # can only send text/plain across origins without a preflight.
    body = parse_json(await read_body(request, max_bytes))
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    return body


def require_id(body: dict, name: str) -> str:
    """``body[name]`` as a random id (32 lowercase hex characters)."""
    value = body.get(name)
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise BadRequest(f"'{name}' must be 32 lowercase hex characters")
    return value


def require_string(value: Any, name: str, limit: int) -> None:
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string")
    if len(value) > limit:
        raise BadRequest(f"'{name}' is longer than {limit} characters")
