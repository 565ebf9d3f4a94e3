"""`make shell`: chat with the assistant in this terminal, through the same REST door bot/ uses.

Buttons are numbered: type the number to press one.
"""

from __future__ import annotations

import json
import sys
import urllib.request
import uuid

from scripts.model import ensure_model
from scripts.processes import ROOT, start_action_server, start_rasa


def send(rasa_url: str, sender: str, message: str) -> list[dict]:
    request = urllib.request.Request(
        f"{rasa_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": message}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def main() -> int:
    logs = ROOT / "var" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    model = ensure_model()
    print("Loading the assistant (about a minute)...", flush=True)
    actions, action_url = start_action_server(logs, name="shell-actions")
    rasa, rasa_url = start_rasa(model, ROOT / "endpoints.yml", logs, name="shell-rasa")
    sender = f"shell-{uuid.uuid4().hex}"
    buttons: list[dict] = []
    print("Type a message (Ctrl-D to quit).")
    try:
        while True:
            try:
                line = input("you> ").strip()
            except EOFError:
                return 0
            if line.isdigit() and 0 < int(line) <= len(buttons):
                line = buttons[int(line) - 1]["payload"]
            buttons = []
            for reply in send(rasa_url, sender, line):
                print(f"bot> {reply.get('text', '')}")
                for button in reply.get("buttons", []):
                    buttons.append(button)
                    print(f"     [{len(buttons)}] {button['title']}")
    finally:
        rasa.stop()
        actions.stop()


if __name__ == "__main__":
    sys.exit(main())
