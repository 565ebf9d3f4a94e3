"""The action server, started as `make run` starts it: an action that fails answers with its
name and the kind of error, and neither its answer nor its log holds the conversation
(actions/server_errors.py)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.processes import Process, start_action_server

SAID = "he has the video from our call"


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Process, str]]:
    server, url = start_action_server(tmp_path_factory.mktemp("actions"))
    yield server, url
    server.stop()


def post(url: str, body: dict) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_a_failing_action_answers_without_the_request(action_server):
    server, url = action_server
    # A call without the domain the action reads its texts from: the action itself fails.
    call = {
        "next_action": "action_offer_handoff",
        "version": "3.6.2",
        "tracker": {"sender_id": "p1", "slots": {}, "latest_message": {"text": SAID}},
        "domain": {},
    }
    status, body = post(f"{url}/webhook", call)
    assert status == 500
    assert json.loads(body) == {"error": "KeyError", "action_name": "action_offer_handoff"}
    log = Path(server.log_path).read_text(errors="replace")
    assert "Action action_offer_handoff failed: KeyError" in log
    assert "video" not in log


def test_a_wrong_route_is_still_a_404(action_server):
    _, url = action_server
    assert post(f"{url}/nowhere", {})[0] == 404
