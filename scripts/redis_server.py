"""A throwaway redis-server on a loopback port (Debian's ``redis-server``; see
scripts/install_system.sh), with an append-only file in a temporary folder as deployed, so a
test can stop it and start it again on the same port with the data still there."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from scripts.processes import free_port

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class RedisServer:
    def __init__(self, work: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.work = work
        self.log_path = work / f"redis-{self.port}.log"
        self._popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.work.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._popen = subprocess.Popen(
                [
                    REDIS_SERVER,
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--save",
                    "",
                    # As deployed (deploy/docker-compose.yml): a restart keeps the data.
                    "--appendonly",
                    "yes",
                    "--appendfilename",
                    f"appendonly-{self.port}.aof",
                    "--dir",
                    str(self.work),
                    "--protected-mode",
                    "yes",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._popen.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.log_path.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        raise TimeoutError("redis-server did not start")

    def stop(self) -> None:
        if self._popen is not None and self._popen.poll() is None:
            self._popen.terminate()
            try:
                self._popen.wait(10)
            except subprocess.TimeoutExpired:
                self._popen.kill()
                self._popen.wait()
        self._popen = None

    @property
    def running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None
