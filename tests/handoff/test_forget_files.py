"""/forget leaves nothing in any file: after a person handed off, wrote to the desk and pressed
"Delete my conversation", no byte of what they wrote, nor their pseudonym, is in any file under
bot/'s data folder, journals (-wal, -shm) included; and every file there is this user's alone."""

from __future__ import annotations

import stat
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.appkeys import CONVERSATIONS
from tests.handoff.apps import SESSION
from tests.handoff.test_flow import widget_say

WORDS = "my very own words for the desk, zq7xv"


def files_holding(folder: Path, needles: list[bytes]) -> dict[str, list[bytes]]:
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            held = [needle for needle in needles if needle in data]
            if held:
                found[str(path.relative_to(folder))] = held
    return found


async def test_forget_leaves_nothing_in_any_file_journals_included(settings, rasa):
    async with TestClient(TestServer(create_app(settings))) as client:
        pseudonym = client.app[CONVERSATIONS].pseudonym("widget", SESSION)
        await widget_say(client, "a person please")
        await widget_say(client, WORDS)
        needles = [WORDS.encode(), b"zq7xv", pseudonym.encode(), SESSION.encode()]
        # Before: the words are on disk, so the search below can find them.
        assert files_holding(settings.data_dir, needles[:2])
        response = await client.post("/widget/api/forget", json={"session": SESSION})
        assert response.status == 200
        # At once, while bot/ still runs, and again once it has stopped.
        assert files_holding(settings.data_dir, needles) == {}
    assert files_holding(settings.data_dir, needles) == {}
    names = {path.name for path in settings.data_dir.iterdir()}
    assert {"bot.db", "handoff.db"} <= names


async def test_bot_files_are_this_users_alone(settings, rasa):
    async with TestClient(TestServer(create_app(settings))) as client:
        await widget_say(client, "a person please")
        await widget_say(client, WORDS)
        assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
        for path in settings.data_dir.iterdir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
