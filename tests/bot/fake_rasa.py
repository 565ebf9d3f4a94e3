"""A stand-in for Rasa's REST channel and tracker endpoint, with Rasa's failure modes.

Unit tests use it where they need Rasa to be down, slow, failing or talking nonsense; the real
Rasa is used by the end-to-end tests.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class FakeRasa:
    mode: str = "echo"  # echo | status500 | garbage | not_a_list | slow | empty
    buttons: list[dict[str, str]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    slow_seconds: float = 5.0
    in_flight: int = 0
    max_in_flight: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self._webhook)
        app.router.add_get("/conversations/{sender}/tracker", self._tracker)
        return app

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.01)  # lets a second concurrent turn overlap, if it could
            return await self._answer(body)
        finally:
            self.in_flight -= 1

    async def _answer(self, body: dict[str, Any]) -> web.Response:
        if self.mode == "status500":
            return web.Response(status=500, text="Internal Server Error")
        if self.mode == "garbage":
            return web.Response(text="<html>not json", content_type="text/html")
        if self.mode == "not_a_list":
            return web.json_response({"error": "nope"})
        if self.mode == "slow":
            await asyncio.sleep(self.slow_seconds)
        if self.mode == "empty":
            return web.json_response([])
        sender = body["sender"]
        reply = {"recipient_id": sender, "text": f"echo: {body['message']}"}
        if self.buttons:
            reply["buttons"] = self.buttons
        log = self.events.setdefault(sender, [])
        log.append({"event": "user", "text": body["message"], "metadata": body.get("metadata")})
        log.append({"event": "bot", "text": reply["text"], "data": {"buttons": self.buttons}})
        return web.json_response([reply])

    async def _tracker(self, request: web.Request) -> web.Response:
        if self.mode != "echo":
            return web.Response(status=500)
        sender = request.match_info["sender"]
        return web.json_response({"sender_id": sender, "events": self.events.get(sender, [])})


async def start_fake_rasa(rasa: FakeRasa) -> TestServer:
    server = TestServer(rasa.app(), host="127.0.0.1")
    await server.start_server()
    return server
