"""A tunnelling HTTP proxy on loopback, for the tests of bot/'s outbound calls through one."""

from __future__ import annotations

import asyncio
import base64


class ConnectProxy:
    """An HTTP proxy that only tunnels (CONNECT), as corporate proxies do for https."""

    def __init__(self, password: str | None = None) -> None:
        self.password = password
        self.tunnels: list[bytes] = []
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        head = await reader.readuntil(b"\r\n\r\n")
        method, authority, _ = head.split(b"\r\n", 1)[0].split(b" ", 2)
        wanted = None
        if self.password is not None:
            token = base64.b64encode(f"user:{self.password}".encode())
            wanted = b"proxy-authorization: basic " + token.lower()
        if method != b"CONNECT" or (wanted and wanted not in head.lower()):
            writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
            writer.close()
            return
        self.tunnels.append(authority)
        host, port = authority.rsplit(b":", 1)
        upstream_reader, upstream_writer = await asyncio.open_connection(host.decode(), int(port))
        self._writers.append(upstream_writer)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except ConnectionError:
                pass
            sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    async def stop(self) -> None:
        for writer in self._writers:
            writer.close()
        self._server.close()
        await self._server.wait_closed()
        await asyncio.sleep(0.05)  # the pipes see their ends close
