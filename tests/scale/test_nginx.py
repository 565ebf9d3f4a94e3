"""deploy/nginx.conf as shipped, in front of a bot/: the desk works through it. Its login and
its actions check the Origin against the Host nginx passes on, and its live updates are a
WebSocket nginx must upgrade; a login refused counts against the address nginx forwards."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from scripts.processes import BOT_PYTHON, ROOT, Process, base_env, free_port, http_ok

# make install installs Debian's nginx (scripts/install_system.sh): a missing one fails here.
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PASSWORD = "a long desk password for the test"
SECRET = "5e" * 20


@dataclass
class Entry:
    url: str
    bot: Process


def nginx_conf(work: Path, port: int, bot_port: int) -> str:
    """The shipped file, with this machine's ports and the files a root nginx keeps."""
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    conf = conf.replace("server bot:8080", f"server 127.0.0.1:{bot_port}")
    conf = conf.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    assert f"127.0.0.1:{bot_port}" in conf and f"127.0.0.1:{port}" in conf
    temp = "".join(
        f"  {kind}_temp_path {work}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = conf.replace("http {\n", "http {\n" + temp, 1)
    return f"pid {work}/nginx.pid;\nerror_log {work}/error.log;\n" + conf


@pytest.fixture(scope="module")
def entry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Entry]:
    work = tmp_path_factory.mktemp("nginx")
    data = work / "bot-data"
    bot_port, port = free_port(), free_port()
    settings = {
        "AIC_PORT": str(bot_port),
        "AIC_DATA_DIR": str(data),
        "AIC_PSEUDONYM_SECRET": SECRET,
        "AIC_RASA_URL": f"http://127.0.0.1:{free_port()}",  # no Rasa: the desk needs none
        "AIC_TRUSTED_PROXIES": "127.0.0.1",
    }
    subprocess.run(
        [str(BOT_PYTHON), "-m", "bot.handoff.accounts", "add", "alice", "--force", "gwent"]
        + ["--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        cwd=ROOT,
        env=base_env(**settings),
    )
    bot = Process("bot", [str(BOT_PYTHON), "-m", "bot"], work, base_env(**settings))
    bot.wait_until(lambda: http_ok(f"http://127.0.0.1:{bot_port}/healthz"), timeout=60)
    (work / "nginx.conf").write_text(nginx_conf(work, port, bot_port))
    nginx = Process(
        "nginx",
        [NGINX, "-p", str(work), "-c", str(work / "nginx.conf"), "-g", "daemon off;"],
        work,
        base_env(),
    )
    url = f"http://127.0.0.1:{port}"
    nginx.wait_until(lambda: http_ok(f"{url}/healthz"), timeout=30)
    yield Entry(url, bot)
    nginx.stop()
    bot.stop()


async def test_a_handler_logs_in_acts_and_gets_live_updates_through_nginx(entry):
    origin = {"Origin": entry.url}
    # unsafe: keeps cookies for an address given by number, as a browser does.
    async with aiohttp.ClientSession(entry.url, cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(
            "/desk/api/login", json={"username": "alice", "password": PASSWORD}, headers=origin
        ) as response:
            assert response.status == 200, await response.text()
            csrf = (await response.json())["csrf"]
        async with http.get("/desk/api/queue") as response:
            assert response.status == 200
        # Upgraded through nginx: passed on as plain HTTP, the handshake is refused by bot/.
        async with http.ws_connect("/desk/ws", headers=origin) as socket:
            assert not socket.closed
            # A change: Origin and the session's CSRF token, checked behind nginx.
            changing = {**origin, "X-CSRF-Token": csrf}
            async with http.post("/desk/api/logout", headers=changing) as response:
                assert response.status == 200


async def test_refused_logins_pause_that_name_from_that_address_through_nginx(entry):
    login = {"username": "alice", "password": "wrong"}
    async with aiohttp.ClientSession(entry.url) as http:
        for _ in range(5):
            async with http.post(
                "/desk/api/login", json=login, headers={"Origin": entry.url}
            ) as response:
                assert response.status == 401
        login["password"] = PASSWORD
        async with http.post(
            "/desk/api/login", json=login, headers={"Origin": entry.url}
        ) as response:
            assert response.status == 429
