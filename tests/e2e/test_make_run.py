"""`make run` as a newcomer starts it (scripts/run.py): safe local defaults. Rasa's HTTP API
answers only bot/'s token, made on the first start and readable by this user alone; the action
server listens on loopback only; and a conversation goes through."""

from __future__ import annotations

import json
import stat
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from scripts.processes import RASA_BIN, ROOT, Process, base_env, free_port, http_ok
from scripts.run import ACTION_PORT, RASA_PORT

pytestmark = pytest.mark.e2e


def listening_addresses(port: int) -> set[str]:
    """The local addresses a TCP socket listens on for ``port`` (from /proc/net/tcp{,6})."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture(scope="module")
def make_run(rasa_model, tmp_path_factory):
    port = free_port()
    data = tmp_path_factory.mktemp("make-run")
    env = base_env(AIC_PORT=str(port), AIC_DATA_DIR=str(data))
    run = Process("make-run", [str(RASA_BIN / "python"), "-m", "scripts.run"], data, env)
    try:
        run.wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/healthz"), timeout=300)
        yield port
    finally:
        run.stop()


def test_rasas_api_answers_only_the_token_made_for_bot(make_run):
    token_file = ROOT / "var" / "rasa_token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    assert len(token) >= 32
    rasa = f"http://127.0.0.1:{RASA_PORT}"
    assert status(f"{rasa}/status") == 401
    assert status(f"{rasa}/conversations/someone/tracker") == 401
    assert status(f"{rasa}/status?token={token}") == 200


def test_the_action_server_listens_on_loopback_only(make_run):
    # 0100007F is 127.0.0.1 as /proc/net/tcp writes it; 00000000 would be every address.
    assert listening_addresses(ACTION_PORT) == {"0100007F"}


def test_a_conversation_goes_through_the_widget(make_run):
    body = json.dumps({"session": "a" * 32, "id": "b" * 32, "text": "hello"}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{make_run}/widget/api/message",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        replies = json.loads(response.read())["replies"]
    assert replies and "can't answer properly" not in replies[0]["text"]


def test_every_file_make_run_writes_is_this_users_alone(make_run):
    var = ROOT / "var"
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    written = [path for path in var.rglob("*") if path.is_file()]
    assert any(path.name == "tracker.db" for path in written)
    loose = {str(p.relative_to(var)): oct(stat.S_IMODE(p.stat().st_mode)) for p in written}
    assert {name: mode for name, mode in loose.items() if mode != "0o600"} == {}
