"""Rasa's structured log events lose what a person wrote (addons/quiet_logs.py, in place of
Rasa's own anonymizer); a Rasa process started for real is in tests/faults."""

from __future__ import annotations

import json
import subprocess

import pytest
import rasa.utils.log_utils

import addons  # noqa: F401  (installs, as Rasa's import of our components does)
from addons.quiet_logs import WITHHELD, where_it_failed, withhold_content
from scripts.processes import RASA_BIN, ROOT, base_env

SAID = "they said they'd send the video to my mum"


def test_installed_when_rasa_imports_our_components():
    assert rasa.utils.log_utils._anonymizer is withhold_content


@pytest.mark.parametrize(
    "key", ["text", "user_text", "response_text", "message", "response", "user_message"]
)
def test_each_key_that_can_hold_a_conversation_is_withheld(key):
    anonymizer = rasa.utils.log_utils._anonymizer
    event = anonymizer(None, "error", {"event": "rest.message.received.timeout", key: SAID})
    assert event == {"event": "rest.message.received.timeout", key: WITHHELD}


def test_an_error_keeps_its_types_and_frames_but_not_its_message_or_locals():
    def fails(text: str) -> None:
        raise ValueError(f"could not read {text}")

    try:
        try:
            fails(SAID)
        except ValueError as error:
            raise RuntimeError("turn failed") from error
    except RuntimeError as error:
        rendered = where_it_failed(error)
    assert rendered.startswith("builtins.RuntimeError, at")
    assert "caused by builtins.ValueError, at" in rendered
    assert "in fails" in rendered
    # The frames show the code's lines, never the values: the words were only in the message.
    assert "mum" not in rendered


def test_rasas_own_logging_as_configured_at_start_writes_no_text():
    """The REST channel's timeout and failure events, through the logging `rasa run` sets up
    (JSON, as when it logs to a file or a container, with each frame's locals), in a process of
    its own that loads our components after, as Rasa does."""
    program = f"""
import structlog
from rasa.utils.log_utils import configure_structlog
configure_structlog()
log = structlog.get_logger()
import addons
def receive(text):
    raise ValueError("no")
log.error("rest.message.received.timeout", text={SAID!r})
try:
    receive({SAID!r})
except ValueError:
    log.exception("rest.message.received.failure", text={SAID!r})
"""
    done = subprocess.run(
        [str(RASA_BIN / "python"), "-c", program],
        cwd=ROOT,
        env=base_env(FORCE_JSON_LOGGING="1", LOG_LEVEL="INFO"),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [event["event"] for event in events] == [
        "rest.message.received.timeout",
        "rest.message.received.failure",
    ]
    assert all(event["text"] == WITHHELD for event in events)
    assert "in receive" in events[1]["exception"]
    assert "mum" not in done.stdout + done.stderr
