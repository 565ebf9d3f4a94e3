"""A small HTTP/1.1 client for the calls bot/ makes on every message: Rasa's REST channel and
the Telegram Bot API.

aiohttp's client (3.9, the version Rasa 3.6 pins for the whole environment) spends ~0.2 ms of
CPU on each request, against ~0.04 ms for the same exchange over plain asyncio streams: under
load that came straight off Rasa's share of the cores, twice a Telegram message. This client
does only what those calls need: one request at a time per connection, kept alive and reused
(newest first, dropped after ``keepalive`` seconds idle), bodies sized by
Content-Length or chunked (httptools parses the response, as it does for uvicorn), TLS for
``https`` URLs, a connect and a read timeout, and an HTTP proxy's CONNECT tunnel for networks
that reach the internet only through one. No redirects, cookies, compression or bodies
delimited by closing the connection: the peers are APIs that use none of them.

Errors: ``ConnectFailed`` when the server could not be reached (nothing was sent, so the
request may go elsewhere), ``ResponseTimeout`` when no whole response came in time, and
``HttpError`` (their base) for a connection that broke or a response that is not HTTP.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import ssl
import time
from collections import defaultdict, deque
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

import httptools

# aiohttp's default, which bot/ used before; Rasa's server keeps an idle connection 120 s,
# api.telegram.org longer.
KEEPALIVE_SECONDS = 15.0
DEFAULT_POOL_SIZE = 256
MAX_BODY_BYTES = 16 * 1024 * 1024  # far above any reply; a peer gone wrong cannot fill memory
MAX_PROXY_ANSWER_BYTES = 16 * 1024


class HttpError(Exception):
    """The exchange failed: the connection broke, or the answer is not HTTP."""


class ConnectFailed(HttpError):
    """The server could not be reached; nothing was sent."""


class ResponseTimeout(HttpError):
    """No whole response within the read timeout."""


class Response(NamedTuple):
    status: int
    body: bytes


class _Target(NamedTuple):
    secure: bool
    host: str
    port: int
    target: bytes  # path and query, as sent on the request line
    host_header: bytes
    authority: bytes  # host:port, as a proxy's CONNECT names it

    @property
    def server(self) -> tuple[bool, str, int]:
        return self.secure, self.host, self.port


class Proxy(NamedTuple):
    host: str
    port: int
    authorization: bytes | None  # the Proxy-Authorization header's value, if any

    @classmethod
    def from_url(cls, url: str) -> Proxy:
        """``http://[user:password@]host:port``."""
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError("a proxy URL is http://[user:password@]host:port")
        authorization = None
        if parts.username is not None:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            authorization = b"Basic " + base64.b64encode(pair.encode())
        return cls(parts.hostname, parts.port or 80, authorization)


@lru_cache(maxsize=1024)
def _target(url: str) -> _Target:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {parts.scheme}://{parts.hostname}")
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.hostname
    shown = f"[{host}]" if ":" in host else host
    authority = f"{shown}:{port}"
    default = (secure and port == 443) or (not secure and port == 80)
    host_header = shown if default else authority
    return _Target(
        secure,
        host,
        port,
        path.encode("ascii"),
        host_header.encode("idna"),
        authority.encode("idna"),
    )


class _Connection(asyncio.Protocol):
    """One kept-alive connection; one exchange at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._parser = httptools.HttpResponseParser(self)
        self._body: list[bytes] = []
        self._body_size = 0
        self._response: asyncio.Future[Response] | None = None

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self.fail(HttpError("unexpected protocol upgrade"))
        except httptools.HttpParserError as error:
            self.fail(HttpError(f"malformed response: {type(error).__name__}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.fail(HttpError("connection closed before a whole response"))

    # httptools callbacks

    def on_body(self, body: bytes) -> None:
        self._body_size += len(body)
        if self._body_size > MAX_BODY_BYTES:
            self.fail(HttpError("response too large"))
            return
        self._body.append(body)

    def on_message_complete(self) -> None:
        response, self._response = self._response, None
        if response is None or response.done():
            self.close()  # an answer nobody asked for: the connection is not trustworthy
            return
        if not self._parser.should_keep_alive():
            self.close()
        response.set_result(Response(self._parser.get_status_code(), b"".join(self._body)))

    # Use

    def send(self, request: bytes) -> asyncio.Future[Response]:
        assert self.transport is not None and self._response is None
        response = asyncio.get_running_loop().create_future()
        if self.closed:
            response.set_exception(HttpError("connection closed before the request"))
            return response
        self._body, self._body_size = [], 0
        self._parser = httptools.HttpResponseParser(self)
        self._response = response
        self.transport.write(request)
        return response

    def fail(self, error: HttpError) -> None:
        """End the exchange under way with ``error`` (the read timeout calls this too) and
        close the connection: whatever else arrives on it cannot be trusted."""
        response, self._response = self._response, None
        if response is not None and not response.done():
            response.set_exception(error)
        self.close()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class HttpClient:
    def __init__(
        self,
        pool_size: int = DEFAULT_POOL_SIZE,
        keepalive: float = KEEPALIVE_SECONDS,
        user_agent: str = "ask-in-confidence",
        tls: ssl.SSLContext | None = None,
        proxy: Proxy | None = None,
    ) -> None:
        self._keepalive = keepalive
        self._user_agent = user_agent.encode()
        # Per server, oldest first: the newest is reused (the likeliest still open), and
        # those idle too long are dropped from the old end.
        self._idle: defaultdict[tuple[bool, str, int], deque[_Connection]] = defaultdict(deque)
        self._slots = asyncio.Semaphore(pool_size)
        self._tls = tls  # the system's trusted certificates unless given
        self._proxy = proxy
        self._closed = False

    async def request(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        content_type: str | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
    ) -> Response:
        """One exchange. ``read_timeout`` counts from the request being sent to the whole
        response having arrived."""
        if self._closed:
            raise HttpError("client closed")
        target = _target(url)
        if body is None and method in ("POST", "PUT", "PATCH"):
            body = b""
        head = [
            f"{method} ".encode("ascii"),
            target.target,
            b" HTTP/1.1\r\nHost: ",
            target.host_header,
            b"\r\nUser-Agent: ",
            self._user_agent,
            b"\r\nAccept: application/json\r\n",
        ]
        if body is not None:
            if content_type:
                head += [b"Content-Type: ", content_type.encode("latin-1"), b"\r\n"]
            head.append(b"Content-Length: %d\r\n" % len(body))
        head.append(b"\r\n")
        request = b"".join(head) + (body or b"")
        async with self._slots:
            connection = await self._connection(target, connect_timeout)
            response = connection.send(request)
            timer = None
            if read_timeout is not None:
                timer = asyncio.get_running_loop().call_later(
                    read_timeout, connection.fail, ResponseTimeout("no response in time")
                )
            try:
                result = await response
            except asyncio.CancelledError:
                connection.close()  # the answer may still come: the connection is spoilt
                raise
            finally:
                if timer is not None:
                    timer.cancel()
            if not connection.closed:
                connection.idle_since = time.monotonic()
                self._idle[target.server].append(connection)
            return result

    async def _connection(self, target: _Target, timeout: float | None) -> _Connection:
        idle = self._idle[target.server]
        now = time.monotonic()
        while idle and (idle[0].closed or now - idle[0].idle_since >= self._keepalive):
            idle.popleft().close()
        while idle:
            # Any of them may have been closed by the server since (e.g. Rasa restarted).
            connection = idle.pop()
            if not connection.closed:
                return connection
        loop = asyncio.get_running_loop()
        tls = self._tls_context() if target.secure else None
        try:
            if self._proxy is None:
                opening = loop.create_connection(
                    _Connection,
                    target.host,
                    target.port,
                    ssl=tls,
                    server_hostname=target.host if tls else None,
                )
            else:
                opening = self._through_proxy(self._proxy, target, tls)
            _, connection = await asyncio.wait_for(opening, timeout)
        except (OSError, asyncio.TimeoutError, ssl.SSLError) as error:
            raise ConnectFailed(type(error).__name__) from error
        return connection

    async def _through_proxy(
        self, proxy: Proxy, target: _Target, tls: ssl.SSLContext | None
    ) -> tuple[asyncio.BaseTransport, _Connection]:
        """A tunnel through the proxy (HTTP CONNECT), then TLS inside it for https."""
        loop = asyncio.get_running_loop()
        family, kind, number, _, address = (
            await loop.getaddrinfo(proxy.host, proxy.port, type=socket.SOCK_STREAM)
        )[0]
        sock = socket.socket(family, kind, number)
        try:
            sock.setblocking(False)
            await loop.sock_connect(sock, address)
            authority = target.authority
            request = [b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n" % (authority, authority)]
            if proxy.authorization is not None:
                request.append(b"Proxy-Authorization: " + proxy.authorization + b"\r\n")
            request.append(b"\r\n")
            await loop.sock_sendall(sock, b"".join(request))
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = await loop.sock_recv(sock, 4096)
                if not chunk or len(answer) > MAX_PROXY_ANSWER_BYTES:
                    raise ConnectionError("the proxy closed the tunnel")
                answer += chunk
            status = answer.split(b"\r\n", 1)[0].split()
            if len(status) < 2 or status[1] != b"200":
                raise ConnectionRefusedError("the proxy refused the tunnel")
            return await loop.create_connection(
                _Connection, sock=sock, ssl=tls, server_hostname=target.host if tls else None
            )
        except BaseException:
            sock.close()
            raise

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        self._closed = True
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()
