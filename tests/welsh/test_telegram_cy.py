"""Telegram in Welsh: the app's language_code as the first guess, /cymraeg, Welsh buttons."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.fixtures.telegram_peer import TelegramUser
from tests.telegram.test_telegram import _chat_ids, start_telegram_bot

pytestmark = pytest.mark.e2e


class WelshTelegramUser(TelegramUser):
    language_code: str | None = None

    def _sender(self) -> dict[str, Any]:
        sender = super()._sender()
        if self.language_code:
            sender["language_code"] = self.language_code
        return sender


@pytest.fixture(scope="module")
async def welsh_bot(bot_launcher, telegram_peer):
    server = await start_telegram_bot(bot_launcher, telegram_peer, "polling")
    yield server
    await asyncio.to_thread(server.stop)


def make_user(welsh_bot, telegram_peer, language_code: str | None) -> WelshTelegramUser:
    user = WelshTelegramUser(telegram_peer, welsh_bot.env["AIC_TELEGRAM_TOKEN"], next(_chat_ids))
    user.language_code = language_code
    return user


def joined(replies) -> str:
    return "\n".join(reply.text for reply in replies)


async def test_a_welsh_telegram_app_is_greeted_in_welsh(welsh_bot, telegram_peer):
    user = make_user(welsh_bot, telegram_peer, "cy")
    await user.say("/start")
    replies = await user.turn()
    said = joined(replies)
    assert "Helo" in said and "gwe-gamera" in said or "blacmelio" in said
    assert "This conversation is also available in English: /english" in said
    # The triage buttons are Welsh and work when pressed.
    question = next(reply for reply in replies if reply.keyboard)
    await user.press(question, "Cafodd galwad fideo ei recordio")
    replies = await user.turn()
    assert "Ar ba ap neu wefan" in joined(replies)


async def test_cymraeg_switches_an_english_chat_and_crisis_is_in_welsh(welsh_bot, telegram_peer):
    user = make_user(welsh_bot, telegram_peer, "en")
    await user.say("someone recorded me on a video call")
    replies = await user.turn()
    assert "Where did they contact you" in joined(replies) or "app or site" in joined(replies)
    await user.say("/cymraeg")
    replies = await user.turn()
    assert joined(replies).startswith("Iawn, bydda i'n ateb yn Gymraeg")
    await user.say("I just want to die")
    replies = await user.turn()
    said = joined(replies)
    assert "999" in said and "116 123" in said and "0808 164 0123" in said
    await user.say("/english")
    replies = await user.turn()
    assert joined(replies).startswith("OK, I'll answer in English")
