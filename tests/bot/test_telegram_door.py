"""The Telegram door's own pieces; the door as a whole is tested end to end in tests/telegram."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import Chat, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.warnings import PTBDeprecationWarning

from bot.messages import Button, Reply
from bot.telegram_door import (
    PerChatOrder,
    one_message_per_keyboard,
    retry_seconds,
    send_message_parameters,
    split_text,
    utf16_len,
    with_retries,
)


def test_a_short_text_is_one_part():
    assert split_text("hello") == ["hello"]


def test_a_long_text_splits_at_paragraphs_first():
    text = "a" * 3000 + "\n\n" + "b" * 3000
    assert split_text(text) == ["a" * 3000, "b" * 3000]


def test_astral_characters_count_double():
    text = "😀" * 3000  # 6000 UTF-16 units
    parts = split_text(text)
    assert len(parts) == 2
    assert all(utf16_len(part) <= 4096 for part in parts)
    assert "".join(parts) == text


@given(st.text(alphabet=st.sampled_from("ab \n😀"), max_size=12000))
def test_parts_fit_and_keep_every_character(text):
    parts = split_text(text, limit=500)
    assert all(0 < utf16_len(part) <= 500 for part in parts)
    # Only whitespace at the cuts may go.
    assert "".join("".join(parts).split()) == "".join(text.split())


def keyboard_sent(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup.de_json(
        json.loads(send_message_parameters(7, "Which?", buttons)["reply_markup"]), None
    )


def test_keyboard_data_fits_telegram_whatever_the_payload():
    long_payload = '/inform{"platform":"' + "x" * 200 + '"}'
    rows = keyboard_sent((Button("Yes", "/affirm"), Button("Other", long_payload))).inline_keyboard
    assert [row[0].text for row in rows] == ["Yes", "Other"]
    assert all(len(row[0].callback_data.encode()) <= 64 for row in rows)
    assert rows[1][0].callback_data == Button("Other", long_payload).token
    assert send_message_parameters(7, "no buttons") == {"chat_id": "7", "text": "no buttons"}


def test_a_button_set_keyboard_is_encoded_once():
    yes_no = (Button("Yes", "/affirm"), Button("No", "/deny"))
    first = send_message_parameters(7, "Have you paid?", yes_no)["reply_markup"]
    assert send_message_parameters(8, "Are you safe?", yes_no)["reply_markup"] is first
    assert send_message_parameters(7, "Paid?", yes_no[:1])["reply_markup"] != first


def test_a_turns_replies_become_one_message_per_keyboard():
    yes = (Button("Yes", "/affirm"),)
    stop = (Button("Stop", "/stop"),)
    assert one_message_per_keyboard([]) == []
    assert one_message_per_keyboard([Reply("One."), Reply("Two?", yes)]) == [
        Reply("One.\n\nTwo?", yes)
    ]
    # Buttons stay under the text they belong to; what follows starts a new message.
    assert one_message_per_keyboard(
        [Reply("A", yes), Reply("B"), Reply("C", stop), Reply("D"), Reply("E")]
    ) == [Reply("A", yes), Reply("B\n\nC", stop), Reply("D\n\nE")]


def flood(seconds: float) -> RetryAfter:
    """RetryAfter as PTB raises it (its constructor warns about its own int form)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        return RetryAfter(dtm.timedelta(seconds=seconds) if seconds % 1 else int(seconds))


def test_retry_after_in_either_form():
    assert retry_seconds(flood(3)) == 3.0
    assert retry_seconds(flood(1.5)) == 1.5


async def test_flood_control_is_waited_out_and_the_message_sent():
    attempts = []

    async def send():
        attempts.append(asyncio.get_running_loop().time())
        if len(attempts) < 3:
            raise flood(0.05)
        return "sent"

    assert await with_retries(send) == "sent"
    assert len(attempts) == 3
    # Two waits of 0.05 s. Once another test has set up a Sanic app (Rasa, the action server),
    # the loop is uvloop's, which keeps time in whole milliseconds: a wait can end one early.
    assert attempts[2] - attempts[0] >= 0.1 - 0.005


async def test_a_refused_request_is_not_repeated():
    attempts = []

    async def send():
        attempts.append(1)
        raise BadRequest("message text is empty")

    with pytest.raises(BadRequest):
        await with_retries(send)
    assert len(attempts) == 1


async def test_network_errors_are_retried_then_raised():
    attempts = []

    async def send():
        attempts.append(1)
        raise NetworkError("down")

    with pytest.raises(NetworkError):
        await with_retries(send, attempts=2)
    assert len(attempts) == 2


def update_in(chat_id: int, update_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    message = Message(update_id, dtm.datetime.now(dtm.timezone.utc), chat, text="x")
    return Update(update_id, message=message)


async def test_one_chats_updates_run_in_order_and_chats_run_side_by_side():
    processor = PerChatOrder()
    log: list[tuple[int, int, str]] = []
    running = {"now": 0, "max": 0}

    async def work(chat_id: int, update_id: int, pause: float):
        running["now"] += 1
        running["max"] = max(running["max"], running["now"])
        log.append((chat_id, update_id, "start"))
        await asyncio.sleep(pause)
        log.append((chat_id, update_id, "end"))
        running["now"] -= 1

    tasks = []
    for update_id, (chat_id, pause) in enumerate([(1, 0.05), (1, 0.0), (2, 0.03), (1, 0.01)]):
        update = update_in(chat_id, update_id)
        coroutine = work(chat_id, update_id, pause)
        tasks.append(asyncio.create_task(processor.process_update(update, coroutine)))
    await asyncio.gather(*tasks)

    chat_one = [(u, what) for c, u, what in log if c == 1]
    assert chat_one == [
        (0, "start"),
        (0, "end"),
        (1, "start"),
        (1, "end"),
        (3, "start"),
        (3, "end"),
    ]
    assert running["max"] == 2  # chat 2 did not wait for chat 1
