"""``python -m bench.timing_proxy PORT UPSTREAM``: forwards Rasa's calls to the action server
and times them, so the benchmark can say how much of a turn the action server takes.

``GET /__stats`` returns ``{"calls": n, "seconds": total}`` and resets them. The hop itself
costs well under a millisecond per call on loopback.
"""

from __future__ import annotations

import sys
import time

import aiohttp
from aiohttp import web


def make_app(upstream: str) -> web.Application:
    stats = {"calls": 0, "seconds": 0.0}
    app = web.Application()

    async def on_startup(app: web.Application) -> None:
        app["http"] = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=300)
        )

    async def on_cleanup(app: web.Application) -> None:
        await app["http"].close()

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        started = time.perf_counter()
        async with app["http"].request(
            request.method,
            upstream + request.path_qs,
            data=body,
            headers={"Content-Type": request.content_type},
        ) as response:
            data = await response.read()
        stats["calls"] += 1
        stats["seconds"] += time.perf_counter() - started
        return web.Response(status=response.status, body=data, content_type=response.content_type)

    async def report(request: web.Request) -> web.Response:
        answer = dict(stats)
        stats.update(calls=0, seconds=0.0)
        return web.json_response(answer)

    app.router.add_get("/__stats", report)
    app.router.add_route("*", "/{tail:.*}", forward)
    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


if __name__ == "__main__":
    port, upstream = int(sys.argv[1]), sys.argv[2].rstrip("/")
    web.run_app(make_app(upstream), host="127.0.0.1", port=port, access_log=None, print=None)
