"""bot/http_client.py against real servers on loopback: keep-alive and its limits, sized and
chunked bodies, TLS, and every way an exchange can fail."""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web

from bot.http_client import ConnectFailed, HttpClient, HttpError, Proxy, ResponseTimeout
from scripts.processes import free_port
from tests.loopback import serving, starting


class RawServer:
    """A loopback server answering with exactly the bytes a test gives, counting connections."""

    def __init__(self, answer: Callable[[bytes], bytes | None] = lambda _: ok()) -> None:
        self.answer = answer  # request head -> raw response (None: say nothing)
        self.connections = 0
        self.requests: list[bytes] = []
        self.close_after_answer = False
        self.delay = 0.0  # seconds before each answer
        self._writers: list[asyncio.StreamWriter] = []
        self._answered: list[asyncio.StreamWriter] = []  # by the time of their last answer

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.append(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                body = await reader.readexactly(length)
                self.requests.append(head + body)
                answer = self.answer(head + body)
                await asyncio.sleep(self.delay)
                if answer is not None:
                    writer.write(answer)
                    await writer.drain()
                    if writer in self._answered:
                        self._answered.remove(writer)
                    self._answered.append(writer)
                if self.close_after_answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    def drop_last_answered(self) -> None:
        self._answered[-1].close()

    def drop_connections(self) -> None:
        for writer in self._writers:
            writer.close()

    async def stop(self) -> None:
        self.drop_connections()
        self._server.close()
        await self._server.wait_closed()


def ok(body: bytes = b'{"ok": true}', extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


@pytest.fixture
async def raw() -> AsyncIterator[Callable[..., Awaitable[tuple[RawServer, str]]]]:
    async with starting(RawServer) as start:
        yield start


@pytest.fixture
async def client() -> AsyncIterator[HttpClient]:
    async with HttpClient() as http:
        yield http


async def test_a_json_post_and_its_answer(client):
    seen = []

    async def echo(request: web.Request) -> web.Response:
        seen.append((request.headers["Host"], request.content_type, request.raw_path))
        return web.json_response({"got": await request.json()})

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", echo)
    async with serving(app) as url:
        body = json.dumps({"message": "héllo £5"}, ensure_ascii=False).encode()
        response = await client.request(
            "POST", f"{url}/webhooks/rest/webhook?token=t%20k", body,
            "application/json", connect_timeout=5, read_timeout=5,
        )  # fmt: skip
    assert response.status == 200
    assert json.loads(response.body) == {"got": {"message": "héllo £5"}}
    host = url.removeprefix("http://")
    assert seen == [(host, "application/json", "/webhooks/rest/webhook?token=t%20k")]


async def test_one_connection_is_kept_alive_for_many_requests(raw, client):
    server, url = await raw()
    for _ in range(5):
        assert (await client.request("GET", f"{url}/x")).body == b'{"ok": true}'
    assert server.connections == 1 and len(server.requests) == 5


async def test_a_chunked_answer_is_put_together(raw, client):
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1\r\n!\r\n0\r\n\r\n"
    )
    server, url = await raw(lambda _: chunked)
    assert (await client.request("GET", url)).body == b"hello!"
    assert (await client.request("GET", url)).body == b"hello!"
    assert server.connections == 1


async def test_connection_close_is_honoured(raw, client):
    server, url = await raw(lambda _: ok(extra=b"Connection: close\r\n"))
    server.close_after_answer = True
    for _ in range(3):
        assert (await client.request("POST", url, b"{}", "application/json")).status == 200
    assert server.connections == 3


async def test_a_connection_the_server_closed_while_idle_is_not_reused(raw, client):
    server, url = await raw()
    await client.request("GET", url)
    server.drop_connections()
    await asyncio.sleep(0.05)
    assert (await client.request("GET", url)).status == 200
    assert server.connections == 2


async def test_the_newest_idle_connection_is_skipped_once_the_server_closed_it(raw, client):
    server, url = await raw()
    server.delay = 0.05
    await asyncio.gather(client.request("GET", url), client.request("GET", url))
    assert server.connections == 2
    server.drop_last_answered()  # the one the client would reuse first
    await asyncio.sleep(0.05)
    assert (await client.request("GET", url)).status == 200
    assert server.connections == 2  # the other one carried it


async def test_idle_connections_are_let_go_after_the_keepalive(raw):
    server, url = await raw()
    async with HttpClient(keepalive=0.1) as http:
        await http.request("GET", url)
        await asyncio.sleep(0.2)
        await http.request("GET", url)
    assert server.connections == 2


async def test_at_most_pool_size_connections_at_once(raw):
    server, url = await raw()
    server.delay = 0.05  # so that the requests overlap
    async with HttpClient(pool_size=2) as http:
        results = await asyncio.gather(*(http.request("GET", url) for _ in range(6)))
    assert all(r.status == 200 for r in results)
    assert server.connections == 2 and len(server.requests) == 6


async def test_nobody_listening_is_connect_failed(client):
    with pytest.raises(ConnectFailed):
        await client.request("GET", f"http://127.0.0.1:{free_port()}/", connect_timeout=2)


async def test_no_answer_in_time_is_a_timeout_and_the_client_carries_on(raw, client):
    silent, silent_url = await raw(lambda _: None)
    with pytest.raises(ResponseTimeout):
        await client.request("GET", silent_url, read_timeout=0.2)
    _, url = await raw()
    assert (await client.request("GET", url, read_timeout=2)).status == 200
    # The timed-out connection was not put back: a late answer cannot be read as the next.
    silent.answer = lambda _: ok(b'{"late": true}')
    assert (await client.request("GET", silent_url, read_timeout=2)).body == b'{"late": true}'
    assert silent.connections == 2


async def test_a_cancelled_request_spoils_its_connection(raw, client):
    server, url = await raw(lambda _: None)
    task = asyncio.create_task(client.request("GET", url))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    server.answer = lambda _: ok()
    assert (await client.request("GET", url, read_timeout=2)).status == 200
    assert server.connections == 2


@pytest.mark.parametrize(
    "answer",
    [
        b"SMTP ready\r\n\r\n",  # not HTTP
        b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\ncut short",  # then the server hangs up
        b"HTTP/1.1 200 OK\r\n\r\nno length, ended by closing",  # not supported: see module
    ],
)
async def test_a_broken_answer_is_an_http_error(raw, client, answer):
    server, url = await raw(lambda _: answer)
    server.close_after_answer = True
    with pytest.raises(HttpError) as error:
        await client.request("GET", url, read_timeout=2)
    assert not isinstance(error.value, (ConnectFailed, ResponseTimeout))


async def test_an_oversized_answer_is_refused(raw, client, monkeypatch):
    monkeypatch.setattr("bot.http_client.MAX_BODY_BYTES", 1000)
    _, url = await raw(lambda _: ok(b"x" * 5000))
    with pytest.raises(HttpError, match="too large"):
        await client.request("GET", url, read_timeout=2)


async def test_a_closed_client_refuses(raw):
    _, url = await raw()
    http = HttpClient()
    await http.close()
    with pytest.raises(HttpError):
        await http.request("GET", url)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
async def tls_server(certificate) -> AsyncIterator[tuple[str, ssl.SSLContext]]:
    """An https server with the self-signed certificate: its URL, and a client context that
    trusts that certificate."""
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(ok(b'{"secure": true}'))
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=server_tls)
    url = f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}/getMe"
    yield url, ssl.create_default_context(cafile=str(cert))
    server.close()
    await server.wait_closed()


async def test_https_is_spoken_and_the_certificate_checked(tls_server):
    url, trusting = tls_server
    async with HttpClient(tls=trusting) as http:
        response = await http.request("POST", url, b"{}", "application/json", 5, 5)
        assert response.body == b'{"secure": true}'
    # With the system's certificates only, this self-signed server is not trusted.
    async with HttpClient() as http:
        with pytest.raises(ConnectFailed):
            await http.request("POST", url, b"{}", "application/json", 5, 5)


async def test_requests_go_through_a_proxy_tunnel(raw, connect_proxy):
    server, url = await raw()
    proxy, address = await connect_proxy(password="s3cret")
    async with HttpClient(proxy=Proxy.from_url(f"http://user:s3cret@{address}")) as http:
        for _ in range(2):
            response = await http.request("POST", f"{url}/x", b"{}", "application/json")
            assert response == (200, b'{"ok": true}')
    port = url.rsplit(":", 1)[1]
    assert proxy.tunnels == [f"127.0.0.1:{port}".encode()]  # one tunnel, kept alive
    assert len(server.requests) == 2


async def test_a_proxy_that_refuses_is_connect_failed(raw, connect_proxy):
    _, url = await raw()
    _, address = await connect_proxy(password="s3cret")
    async with HttpClient(proxy=Proxy.from_url(f"http://user:wrong@{address}")) as http:
        with pytest.raises(ConnectFailed):
            await http.request("GET", url, connect_timeout=2)


async def test_https_through_a_proxy_checks_the_server_certificate(tls_server, connect_proxy):
    url, trusting = tls_server
    proxy, address = await connect_proxy()
    through = Proxy.from_url(f"http://{address}")
    async with HttpClient(tls=trusting, proxy=through) as http:
        response = await http.request("POST", url, b"{}", "application/json", 5, 5)
    assert response.body == b'{"secure": true}'
    assert len(proxy.tunnels) == 1
    async with HttpClient(proxy=through) as http:
        with pytest.raises(ConnectFailed):
            await http.request("POST", url, b"{}", "application/json", 5, 5)


def test_proxy_urls():
    assert Proxy.from_url("http://proxy.force.police.uk:3128") == Proxy(
        "proxy.force.police.uk", 3128, None
    )
    assert Proxy.from_url("http://a%40b:p%3Aw@10.0.0.1").authorization == (
        b"Basic " + base64.b64encode(b"a@b:p:w")
    )
    for bad in ("https://proxy:3128", "socks5://proxy:1080", "proxy:3128"):
        with pytest.raises(ValueError):
            Proxy.from_url(bad)
