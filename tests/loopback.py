"""Servers on loopback for the length of a test: an aiohttp application (``serving``), or
any number of a test's own servers, each with ``start()`` (its address) and ``stop()``
(``starting``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeVar

from aiohttp import web

from scripts.processes import free_port


class LoopbackServer(Protocol):
    async def start(self) -> str: ...
    async def stop(self) -> None: ...


S = TypeVar("S", bound=LoopbackServer)


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """``app`` on loopback; yields its base URL (``http://127.0.0.1:port``)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def starting(
    make: Callable[..., S],
) -> AsyncIterator[Callable[..., Awaitable[tuple[S, str]]]]:
    """Yields ``start(*args)``: makes a server with ``make(*args)``, starts it and returns it
    with its address. Every server started is stopped on the way out."""
    started: list[S] = []

    async def start(*args: Any, **kwargs: Any) -> tuple[S, str]:
        server = make(*args, **kwargs)
        started.append(server)
        return server, await server.start()

    try:
        yield start
    finally:
        for server in started:
            await server.stop()
