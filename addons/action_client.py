"""Calls to the action server over kept-alive connections.

Rasa 3.6's ``EndpointConfig.request`` opens a new aiohttp session, and so a new TCP connection,
for every call and closes it after: about 2-3 ms of Rasa's CPU on each turn that runs a custom
action, and a connection to accept on the action server's side. Here the same request goes out
through one session per event loop and endpoint settings (headers, basic auth), with the same
headers, parameters, timeout, TLS file and errors as Rasa's.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import aiohttp
from aiohttp import ContentTypeError
from rasa.utils.endpoints import (
    DEFAULT_REQUEST_TIMEOUT,
    ClientResponseError,
    EndpointConfig,
    concat_url,
)

original_request = EndpointConfig.request
# The action server (Sanic) closes a connection idle for 5 s; letting go of it sooner means a
# call never goes out on a connection the server is closing at that moment.
KEEPALIVE_SECONDS = 2.0
_SessionKey = tuple[asyncio.AbstractEventLoop, tuple[tuple[str, Any], ...], Any]
_sessions: dict[_SessionKey, aiohttp.ClientSession] = {}


def shared_session(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    """The session for this endpoint's settings on the running event loop."""
    loop = asyncio.get_running_loop()
    auth = (
        aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
        if endpoint.basic_auth
        else None
    )
    key = (loop, tuple(sorted(endpoint.headers.items())), auth)
    session = _sessions.get(key)
    if session is None or session.closed:
        # Sessions of event loops that have ended go; their connections went with the loop.
        for old in [k for k in _sessions if k[0].is_closed()]:
            _sessions.pop(old).detach()
        session = _sessions[key] = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
            headers=endpoint.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        )
    return session


async def close_sessions() -> None:
    """Close the running loop's sessions (on shutdown)."""
    loop = asyncio.get_running_loop()
    for key in [k for k in _sessions if k[0] is loop]:
        await _sessions.pop(key).close()


async def request(
    self: EndpointConfig,
    method: str = "post",
    subpath: str | None = None,
    content_type: str | None = "application/json",
    compress: bool = False,
    **kwargs: Any,
) -> Any | None:
    """Rasa 3.6's ``EndpointConfig.request`` on a shared session."""
    headers = {}
    if content_type:
        headers["Content-Type"] = content_type
    if "headers" in kwargs:
        headers.update(kwargs.pop("headers"))
    if self.headers:
        headers.update(self.headers)
    url = concat_url(self.url, subpath)
    sslcontext = None
    if self.cafile:
        try:
            sslcontext = ssl.create_default_context(cafile=self.cafile)
        except FileNotFoundError:
            # Rasa's own wording for a missing certificate file.
            return await original_request(self, method, subpath, content_type, compress, **kwargs)
    async with shared_session(self).request(
        method,
        url,
        headers=headers,
        params=self.combine_parameters(kwargs),
        compress=compress,
        ssl=sslcontext,
        **kwargs,
    ) as response:
        if response.status >= 400:
            raise ClientResponseError(
                response.status, response.reason, await _body_to_keep(response)
            )
        try:
            return await response.json()
        except ContentTypeError:
            return None


async def _body_to_keep(response: aiohttp.ClientResponse) -> bytes:
    """Rasa reads a 400's body (an action that rejected its input says why) and writes every
    error's into its log, whole. Any other error's body is dropped unread: an action server's
    500 can carry the request it failed on, and so the conversation."""
    if response.status == 400:
        return await response.content.read()
    return b""


def install() -> None:
    EndpointConfig.request = request  # type: ignore[method-assign]
