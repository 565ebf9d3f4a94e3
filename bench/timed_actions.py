"""``python -m bench.timed_actions PORT``: our action server as ``rasa run actions`` runs it,
also timing each call inside, so the benchmark can say how much of a turn the action server
takes without a timing hop in front of it (a proxy cost ~3 ms of CPU a message, on the same 2
cores as the stack it measured).

``GET /__stats`` returns ``{"calls": n, "seconds": total}`` for ``/webhook`` and resets them.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from rasa_sdk import endpoint
from sanic import Sanic, response


def create_timed_app(*args: Any, **kwargs: Any) -> Sanic:
    app = _create_app(*args, **kwargs)
    stats = {"calls": 0, "seconds": 0.0}

    @app.middleware("request")
    async def started(request: Any) -> None:
        request.ctx.started = time.perf_counter()

    @app.middleware("response")
    async def finished(request: Any, _: Any) -> None:
        if request.path == "/webhook":
            stats["calls"] += 1
            stats["seconds"] += time.perf_counter() - request.ctx.started

    @app.get("/__stats")
    async def report(_: Any) -> Any:
        answer = dict(stats)
        stats.update(calls=0, seconds=0.0)
        return response.json(answer)

    return app


_create_app = endpoint.create_app

if __name__ == "__main__":
    os.environ.setdefault("SANIC_HOST", "127.0.0.1")
    endpoint.create_app = create_timed_app
    endpoint.run("actions", port=int(sys.argv[1]))
