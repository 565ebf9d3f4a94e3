"""python-telegram-bot's HTTP client, on bot/'s own (``bot.http_client``) instead of httpx.

Profiling the Telegram door under load showed half of bot/'s CPU time in httpx sending replies
(and a failed ``import sniffio`` on every request); aiohttp's client then still cost ~0.2 ms a
call, ``HttpClient`` ~0.05. This request class keeps PTB's contract: status and body back,
``TimedOut`` and ``NetworkError`` for the failures PTB retries or reports.

Parameters go as one JSON body (``RequestData.json_payload``), which the Bot API accepts as it
does form fields: url-encoding them cost ~0.1 ms of the ~1.9 ms of CPU a Telegram message.
``call`` makes a Bot API call and hands back its result as JSON. The door sends its messages
with it: ``Bot.send_message`` parses every sent message Telegram returns into a ``Message``
(with its keyboard, ~0.15 ms of CPU) that the door never reads. Errors are PTB's all the same.

A request with a file (the door sends none, but PTB's contract allows it) goes multipart, on
an aiohttp session opened for it. ``proxy_url`` (``AIC_TELEGRAM_PROXY_URL``) sends every call
but such an upload through an HTTP proxy.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.http_client import HttpClient, HttpError, Proxy, ResponseTimeout

DEFAULT_TIMEOUT = 5.0


def _or_default(value: Any, default: float | None) -> float | None:
    return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value


class JsonBody(RequestData):
    """A call's parameters, encoded once as its JSON body: ``do_request`` sends
    ``json_payload`` and nothing else of a request without files."""

    __slots__ = ("_body",)

    def __init__(self, parameters: dict[str, Any]) -> None:
        super().__init__()
        self._body = json.dumps(parameters).encode()

    @property
    def json_payload(self) -> bytes:
        return self._body


class BotApiRequest(BaseRequest):
    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = DEFAULT_TIMEOUT,
        connect_timeout: float | None = DEFAULT_TIMEOUT,
        proxy_url: str | None = None,
    ) -> None:
        self._pool_size = connection_pool_size
        self._proxy = Proxy.from_url(proxy_url) if proxy_url else None
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._http: HttpClient | None = None
        self._multipart: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._http is None:
            self._http = HttpClient(self._pool_size, user_agent=self.USER_AGENT, proxy=self._proxy)

    async def shutdown(self) -> None:
        if self._http is not None:
            http, self._http = self._http, None
            await http.close()
        if self._multipart is not None:
            session, self._multipart = self._multipart, None
            await session.close()

    async def call(self, url: str, parameters: dict[str, Any]) -> Any:
        """The Bot API call at ``url`` (``Bot.base_url`` and the method), its result unparsed;
        a refusal raises the ``TelegramError`` that ``Bot``'s methods raise."""
        return await self.post(url, JsonBody(parameters))

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._http is None:
            raise RuntimeError("BotApiRequest is not initialized")
        connect = _or_default(connect_timeout, self._connect_timeout)
        read = _or_default(read_timeout, self._read_timeout)
        if request_data is not None and request_data.contains_files:
            return await self._send_multipart(url, method, request_data, connect, read)
        body = request_data.json_payload if request_data is not None else None
        try:
            response = await self._http.request(
                method,
                url,
                body,
                "application/json" if body is not None else None,
                connect_timeout=connect,
                read_timeout=read,
            )
        except ResponseTimeout as error:
            raise TimedOut from error
        except HttpError as error:
            raise NetworkError(f"{type(error).__name__}: {error}") from error
        return response.status, response.body

    async def _send_multipart(
        self,
        url: str,
        method: str,
        request_data: RequestData,
        connect: float | None,
        read: float | None,
    ) -> tuple[int, bytes]:
        if self._multipart is None or self._multipart.closed:
            self._multipart = aiohttp.ClientSession(headers={"User-Agent": self.USER_AGENT})
        form = aiohttp.FormData()
        for name, value in request_data.json_parameters.items():
            form.add_field(name, value)
        for name, (filename, content, mimetype) in request_data.multipart_data.items():
            form.add_field(name, content, filename=filename, content_type=mimetype)
        timeout = aiohttp.ClientTimeout(total=None, connect=connect, sock_read=read)
        try:
            async with self._multipart.request(method, url, data=form, timeout=timeout) as response:
                return response.status, await response.read()
        except asyncio.TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error
