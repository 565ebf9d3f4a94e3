"""Rasa's replies as Telegram messages, and their sending.

A turn's replies become as few messages as carry them (``one_message_per_keyboard``), each cut
to Telegram's length (``split_text``), buttons as an inline keyboard (``keyboard``) under the
last part; ``send_replies`` sends them in order with python-telegram-bot's ``Bot.send_message``.
Telegram's flood control (429 with ``retry_after``) is waited out by PTB's ``AIORateLimiter``
(``rate_limiter``), set on the door's ``ExtBot``. Receiving updates (webhook or long polling)
and answering them is ``bot.telegram_door``'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import FloodLimit
from telegram.ext import AIORateLimiter

from bot.messages import Button, Reply

MAX_MESSAGE_LENGTH = 4096  # Telegram's limit, counted in UTF-16 code units
DONE = "done"  # callback data of a keyboard already used
# Tries after a 429 before a message is given up: a reply lost is worse than a reply late
# (the door sent each message up to eight times before it used PTB's limiter).
SEND_RETRIES = 7
# A call the door can do without (setMyCommands, answerCallbackQuery, marking a used keyboard)
# is tried once more at most: it must not hold up the start or a person's turn for long.
OPTIONAL_RETRIES = 1


def rate_limiter() -> AIORateLimiter:
    """PTB's limiter for every Bot API call the door makes but ``getUpdates``.

    - No bot-wide rate (``overall_max_rate=0``): Telegram's "about 30 messages a second" is
      its advice for broadcasts, and the door only answers people who wrote; at the load it
      is built for (30 turns a second, one or two messages a turn) a fixed 30 a second would
      queue replies for good. Telegram's own 429s say when to slow down instead.
    - Groups at Telegram's 20 messages a minute (PTB's default): there the door only says it
      talks in private, and a group mentioning it over and over must not get it flood-limited.
    - ``max_retries``: a 429 is waited out (``retry_after`` plus 0.1 s, every other call held
      meanwhile, as Telegram asks) and the message sent again, up to ``SEND_RETRIES`` times.
      Calls given ``rate_limit_args=OPTIONAL_RETRIES`` are retried that many times instead.
      Network errors are not repeated here: a turn that fails goes to the door's error
      handler (the safety message), a desk message back to the hand-off's own delivery retries.
    """
    return AIORateLimiter(
        overall_max_rate=0,
        group_max_rate=FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP,
        group_time_period=60,
        max_retries=SEND_RETRIES,
    )


async def send_replies(bot: Bot, chat_id: int, replies: Sequence[Reply]) -> None:
    """Send replies in order, as few messages as carry them (``one_message_per_keyboard``);
    a long text goes in parts, the buttons under the last part."""
    for reply in one_message_per_keyboard(replies):
        parts = split_text(reply.text)
        for number, part in enumerate(parts, start=1):
            markup = keyboard(reply.buttons) if reply.buttons and number == len(parts) else None
            await bot.send_message(chat_id, part, reply_markup=markup)


def one_message_per_keyboard(replies: Sequence[Reply]) -> list[Reply]:
    """A turn's replies run together, a blank line apart, up to and including each one with
    buttons: two or three short replies become one message. Telegram asks a bot to send a
    chat no more than about one message a second, and all chats about 30 a second; each
    message is also a Bot API call that bot/ pays for in CPU time."""
    messages: list[Reply] = []
    texts: list[str] = []
    for reply in replies:
        texts.append(reply.text)
        if reply.buttons:
            messages.append(Reply("\n\n".join(texts), reply.buttons))
            texts = []
    if texts:
        messages.append(Reply("\n\n".join(texts)))
    return messages


# The domain offers a few dozen button sets: each set's keyboard is built once (PTB's objects
# are immutable, so one can go with any number of messages).
@lru_cache(maxsize=512)
def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup:
    """One button per row (titles can be long); the callback data is the payload's short
    token, because a Rasa payload can exceed Telegram's 64 bytes."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.title, callback_data=b.token)] for b in buttons]
    )


def used_keyboard(title: str) -> InlineKeyboardMarkup:
    """What a keyboard becomes once pressed: the choice, ticked, that does nothing more."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(f"✓ {title}", callback_data=DONE)]])


def pressed_title(markup: InlineKeyboardMarkup, data: str) -> str | None:
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return None


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Split at paragraph, line or word boundaries into parts Telegram accepts."""
    parts: list[str] = []
    rest = text.strip()
    while utf16_len(rest) > limit:
        fits = _longest_prefix(rest, limit)
        cut = fits
        for separator in ("\n\n", "\n", " "):
            at = rest.rfind(separator, 0, fits)
            if at > fits // 2:
                cut = at
                break
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def _longest_prefix(text: str, limit: int) -> int:
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)
