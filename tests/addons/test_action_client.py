"""Calls to the action server keep their connection, and otherwise behave as Rasa's own:
headers, parameters, token, basic auth, errors, non-JSON answers, a server that restarts."""

import pytest
from aiohttp import web
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

import addons  # noqa: F401  (installs the speed-ups, as Rasa's model loading does)
from addons import action_client
from scripts.processes import free_port


class ActionServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.connections: set[tuple] = set()  # client addresses
        self.seen: list[web.Request] = []
        self.runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/webhook", self.webhook)
        app.router.add_post("/broken", self.broken)
        app.router.add_post("/plain", self.plain)
        app.router.add_post("/rejects", self.rejects)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        assert self.runner is not None
        await self.runner.cleanup()

    def note(self, request: web.Request) -> None:
        self.connections.add(request.transport.get_extra_info("peername"))
        self.seen.append(request)

    async def webhook(self, request: web.Request) -> web.Response:
        self.note(request)
        return web.json_response({"events": [], "echo": await request.json()})

    async def broken(self, request: web.Request) -> web.Response:
        """As rasa_sdk answers a failing action: the request, conversation and all, sent back."""
        self.note(request)
        return web.json_response(
            {"error": "boom", "request_body": await request.json()}, status=500
        )

    async def rejects(self, request: web.Request) -> web.Response:
        self.note(request)
        return web.json_response({"error": "no such slot", "action_name": "x"}, status=400)

    async def plain(self, request: web.Request) -> web.Response:
        self.note(request)
        return web.Response(text="not json")


@pytest.fixture
async def server():
    running = ActionServer()
    await running.start()
    yield running
    await running.stop()
    await action_client.close_sessions()


def test_installed_when_rasa_imports_our_components():
    assert EndpointConfig.request is action_client.request


async def test_calls_keep_one_connection_and_answer_as_before(server):
    endpoint = EndpointConfig(f"http://127.0.0.1:{server.port}/webhook")
    for number in range(5):
        answer = await endpoint.request(json={"next_action": f"action_{number}"})
        assert answer == {"events": [], "echo": {"next_action": f"action_{number}"}}
    assert len(server.connections) == 1


async def test_headers_parameters_token_and_auth_go_out_as_before(server):
    endpoint = EndpointConfig(
        f"http://127.0.0.1:{server.port}",
        params={"region": "gwent"},
        headers={"X-Force": "gwent"},
        basic_auth={"username": "rasa", "password": "secret"},
        token="t0ken",
    )
    await endpoint.request(subpath="webhook", json={}, params={"extra": "1"})
    request = server.seen[-1]
    assert dict(request.query) == {"region": "gwent", "token": "t0ken", "extra": "1"}
    assert request.headers["X-Force"] == "gwent"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Authorization"].startswith("Basic ")
    assert endpoint.params == {"region": "gwent"}  # not changed by the call


async def test_an_error_status_raises_rasas_error_without_what_the_person_wrote(server):
    endpoint = EndpointConfig(f"http://127.0.0.1:{server.port}/broken")
    call = {"tracker": {"latest_message": {"text": "they have my photos"}}}
    with pytest.raises(ClientResponseError) as raised:
        await endpoint.request(json=call)
    assert raised.value.status == 500
    # Rasa logs str(error) whole, with the traceback.
    assert "photos" not in str(raised.value)
    assert raised.value.text == b""


async def test_a_rejection_keeps_its_body_for_rasa_to_read(server):
    endpoint = EndpointConfig(f"http://127.0.0.1:{server.port}/rejects")
    with pytest.raises(ClientResponseError) as raised:
        await endpoint.request(json={})
    assert raised.value.status == 400
    assert b"no such slot" in raised.value.text


async def test_a_non_json_answer_gives_none(server):
    endpoint = EndpointConfig(f"http://127.0.0.1:{server.port}/plain")
    assert await endpoint.request(json={}) is None


async def test_calls_go_on_after_the_action_server_restarts(server):
    endpoint = EndpointConfig(f"http://127.0.0.1:{server.port}/webhook")
    assert await endpoint.request(json={"n": 1})
    await server.stop()
    await server.start()
    assert (await endpoint.request(json={"n": 2}))["echo"] == {"n": 2}
    assert len(server.connections) == 2


async def test_closed_sessions_are_replaced(server):
    endpoint = EndpointConfig(f"http://127.0.0.1:{server.port}/webhook")
    assert await endpoint.request(json={})
    await action_client.close_sessions()
    assert await endpoint.request(json={})
