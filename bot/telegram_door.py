"""The Telegram door, on python-telegram-bot (PTB).

PTB's ``Application`` runs inside bot/'s aiohttp server, as in PTB's ``customwebhookbot``
example: in webhook mode it has no Updater and our aiohttp route feeds ``update_queue``; in
polling mode its Updater runs in the same event loop. One central error handler, as in PTB's
``errorhandlerbot`` example.

The chat id is the ``user_key`` handed to ``Conversations``: it stays in bot/'s own mapping and
never reaches Rasa, the logs or the tracker. With no token configured this door does nothing.

This module receives updates and answers them; how replies become Telegram messages and are
sent (keyboards, long texts, flood control) is ``bot.telegram_replies``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from typing import Any

from aiohttp import web
from telegram import BotCommand, Message, Update
from telegram.error import BadRequest, InvalidToken, TelegramError
from telegram.ext import (
    Application,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot import metrics
from bot.appkeys import CONVERSATIONS, RESPONSES, SETTINGS
from bot.conversation import Conversations, KeyedLocks
from bot.httpjson import BadRequest as MalformedBody
from bot.httpjson import parse_json, read_body
from bot.messages import Reply
from bot.responses import Responses
from bot.settings import Settings
from bot.telegram_replies import (
    DONE,
    OPTIONAL_RETRIES,
    pressed_title,
    rate_limiter,
    send_replies,
    used_keyboard,
)

log = logging.getLogger(__name__)
# An update is a few KiB; the app refuses anything past 256 KiB anyway.
WEBHOOK_MAX_BYTES = 256 * 1024

CHANNEL = "telegram"
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
]
# Command name -> Conversations.command name; "forget" is handled on its own.
COMMANDS = {"start": "start", "help": "help", "restart": "restart"}
# Choosing the language; the person's Telegram language_code is only the first guess.
LANGUAGE_COMMANDS = ("cymraeg", "english")
MAX_START_PAUSE = 60.0

MEDIA = (
    filters.PHOTO
    | filters.VIDEO
    | filters.ANIMATION
    | filters.VIDEO_NOTE
    | filters.Document.ALL
    | filters.STORY
)
WHEREABOUTS = filters.LOCATION | filters.VENUE | filters.CONTACT
PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
# In a group we only speak when spoken to; answering every message would be noise.
ADDRESSED_IN_GROUP = (filters.ChatType.GROUPS & filters.UpdateType.MESSAGE) & (
    filters.COMMAND | filters.Entity("mention") | filters.REPLY
)
BOT_ADDED_TO_GROUP = filters.ChatType.GROUPS & filters.StatusUpdate.NEW_CHAT_MEMBERS


def setup(app: web.Application) -> None:
    """Register the door on bot/'s app; does nothing when no token is configured."""
    settings = app[SETTINGS]
    if not settings.telegram_enabled:
        return
    if settings.telegram_mode == "webhook":
        app.router.add_post(WEBHOOK_PATH, receive_webhook)
    app.cleanup_ctx.append(_run)


async def _run(app: web.Application) -> AsyncIterator[None]:
    door = TelegramDoor(app[SETTINGS], app[CONVERSATIONS], app[RESPONSES])
    app[TELEGRAM_DOOR] = door
    # Started in the background: Telegram being unreachable at boot must not keep the rest of
    # bot/ (the widget, the desk) down.
    starting = asyncio.create_task(door.start_until_up(), name="telegram-door-start")
    try:
        yield
    finally:
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
        await door.stop()


async def receive_webhook(request: web.Request) -> web.Response:
    """Telegram's webhook call. Without the right secret header nothing goes further."""
    door = request.app[TELEGRAM_DOOR]
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), door.webhook_secret.encode()):
        log.warning("webhook call without the right secret refused")
        raise web.HTTPForbidden()
    try:
        data = parse_json(await read_body(request, WEBHOOK_MAX_BYTES))
    except MalformedBody:
        raise web.HTTPBadRequest() from None
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise web.HTTPBadRequest()
    try:
        update = Update.de_json(data, door.application.bot)
    except (TypeError, ValueError, KeyError, AttributeError):
        raise web.HTTPBadRequest() from None
    await door.application.update_queue.put(update)
    return web.Response()


class PerChatOrder(BaseUpdateProcessor):
    """Updates of different chats run concurrently; those of one chat one after another, in the
    order they arrived, so one person's replies never overtake each other.

    Updates are started in arrival order and take their chat's lock before their first pause,
    and asyncio locks are granted first come, first served.
    """

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks = KeyedLocks()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        async with self._locks.hold(str(chat.id)):
            await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


class TelegramDoor:
    def __init__(
        self, settings: Settings, conversations: Conversations, responses: Responses
    ) -> None:
        self._settings = settings
        self._conversations = conversations
        self._responses = responses
        self.webhook_secret = settings.webhook_secret
        proxy = settings.telegram_proxy_url  # AIC_TELEGRAM_PROXY_URL, if the network needs one
        # PTB's own request class, on httpx: one for the bot's calls, one for long polling, so
        # that a getUpdates held open never keeps a reply from a connection.
        self._requests = (
            HTTPXRequest(proxy=proxy),
            HTTPXRequest(connection_pool_size=1, proxy=proxy),
        )
        builder = (
            Application.builder()
            .token(settings.telegram_token or "")
            .base_url(settings.telegram_api_url)
            .request(self._requests[0])
            .get_updates_request(self._requests[1])
            # The builder makes the bot an ExtBot with this limiter (see rate_limiter).
            .rate_limiter(rate_limiter())
            .concurrent_updates(PerChatOrder())
        )
        if settings.telegram_mode == "webhook":
            builder = builder.updater(None)
        self.application = builder.build()
        self._add_handlers()

    def _add_handlers(self) -> None:
        app = self.application
        for command in (*COMMANDS, *LANGUAGE_COMMANDS):
            app.add_handler(CommandHandler(command, self._on_command, filters=PRIVATE))
        app.add_handler(CommandHandler("forget", self._on_forget, filters=PRIVATE))
        app.add_handler(CallbackQueryHandler(self._on_press))
        # Any other text, "/something" included: Conversations sends it to Rasa as plain text.
        app.add_handler(MessageHandler(PRIVATE & filters.TEXT, self._on_text))
        app.add_handler(MessageHandler(PRIVATE & MEDIA, self._notice("utter_frontdoor_no_media")))
        app.add_handler(
            MessageHandler(PRIVATE & WHEREABOUTS, self._notice("utter_frontdoor_no_location"))
        )
        app.add_handler(
            MessageHandler(
                PRIVATE & ~filters.StatusUpdate.ALL, self._notice("utter_frontdoor_unsupported")
            )
        )
        app.add_handler(MessageHandler(ADDRESSED_IN_GROUP, self._on_group))
        app.add_handler(MessageHandler(BOT_ADDED_TO_GROUP, self._on_added_to_group))
        # Everything else (edited messages, channel posts, member updates, service messages)
        # has no handler and is dropped by PTB: nothing to answer, nothing to keep.
        app.add_error_handler(self._on_error)

    async def start_until_up(self) -> None:
        """``start``, again and again with a growing pause while Telegram cannot be reached;
        a refused token or webhook URL is a configuration error and is not retried."""
        pause = 1.0
        while True:
            try:
                await self.start()
                return
            except (InvalidToken, BadRequest) as error:
                log.critical("telegram door off: Telegram refused the %s", _refused(error))
                return
            except TelegramError as error:
                log.warning(
                    "telegram door not up (%s); trying again in %.0f s",
                    type(error).__name__,
                    pause,
                )
                await asyncio.sleep(pause)
                pause = min(pause * 2, MAX_START_PAUSE)

    async def start(self) -> None:
        app = self.application
        if not app.running:
            await app.initialize()
            await app.start()
        await self._optional("setMyCommands", app.bot.set_my_commands, self._commands())
        # The same commands described in Welsh, for people whose Telegram is set to Welsh.
        await self._optional(
            "setMyCommands", app.bot.set_my_commands, self._commands("cy"), language_code="cy"
        )
        if self._settings.telegram_mode == "webhook":
            await app.bot.set_webhook(
                url=self._settings.telegram_webhook_url or "",
                secret_token=self.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            assert app.updater is not None
            await app.updater.start_polling(
                allowed_updates=ALLOWED_UPDATES, error_callback=_polling_error
            )
        log.info("telegram door started (%s)", self._settings.telegram_mode)

    async def stop(self) -> None:
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        # PTB shuts its requests down only if it got as far as initialising (Telegram may
        # never have been reachable); their connection pools must close either way.
        for request in self._requests:
            await request.shutdown()

    def _commands(self, language: str | None = None) -> list[BotCommand]:
        names = [*COMMANDS, "forget", *LANGUAGE_COMMANDS]
        return [
            BotCommand(
                name, self._responses.text(f"utter_frontdoor_command_{name}", CHANNEL, language)
            )
            for name in names
        ]

    # Handlers. Each answers through self._send; failures go to _on_error.

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        name = message.text.split()[0].lstrip("/").split("@")[0].lower()
        log.info("telegram command %s", name)
        chat_id = message.chat_id
        hint = _language_code(update)
        replies = await self._conversations.command(CHANNEL, chat_id, name, language_hint=hint)
        if name == "start" and replies:
            # The greeting says, in the other language, that this one is available too.
            language = self._conversations.answered_in()
            replies = [
                *replies,
                *self._conversations.say("utter_frontdoor_language_offer", CHANNEL, language),
            ]
        await self._send(chat_id, replies)

    async def _on_forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id = _chat_id(update)
        log.info("telegram command forget")
        await self._send(chat_id, await self._conversations.forget(CHANNEL, chat_id))

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        chat_id = message.chat_id
        replies = await self._conversations.handle(
            CHANNEL, chat_id, text=message.text, language_hint=_language_code(update)
        )
        await self._send(chat_id, replies)

    async def _on_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        bot = context.bot
        await self._optional("answerCallbackQuery", bot.answer_callback_query, query.id)
        message = query.message
        chat = message.chat if message is not None else None
        if chat is None or chat.type != chat.PRIVATE or not query.data or query.data == DONE:
            return
        title = None
        if isinstance(message, Message) and message.reply_markup is not None:
            title = pressed_title(message.reply_markup, query.data)
            if title is not None:
                # Mark the keyboard as used, so an old button cannot be pressed twice.
                await self._optional(
                    "editMessageReplyMarkup",
                    bot.edit_message_reply_markup,
                    chat_id=chat.id,
                    message_id=message.message_id,
                    reply_markup=used_keyboard(title),
                )
        offered = await self._conversations.offered(CHANNEL, chat.id)
        button = next((b for b in offered if b.token == query.data), None)
        hint = _language_code(update)
        if button is not None:
            replies = await self._conversations.handle(
                CHANNEL, chat.id, payload=button.payload, language_hint=hint
            )
        elif title is not None:
            # A button from an older turn: what it says is still a fine answer, as text.
            replies = await self._conversations.handle(
                CHANNEL, chat.id, text=title, language_hint=hint
            )
        else:
            return
        await self._send(chat.id, replies)

    def _notice(
        self, response: str
    ) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
        async def notice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            # The content (a photo, a location) is never downloaded, stored or passed on.
            log.info("telegram message answered with %s", response)
            chat_id = _chat_id(update)
            await self._send(
                chat_id,
                await self._conversations.notice(
                    CHANNEL, chat_id, response, language_hint=_language_code(update)
                ),
            )

        return notice

    async def _on_group(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.info("telegram group message answered")
        chat_id = _chat_id(update)
        await self._send(chat_id, self._conversations.say("utter_frontdoor_group_chat", CHANNEL))

    async def _on_added_to_group(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        me = context.bot.id
        if message is not None and any(user.id == me for user in message.new_chat_members):
            await self._on_group(update, context)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The one place handler errors end up. Logs the kind of error only (an error text can
        quote what someone wrote) and still sends the safety message: never silence."""
        error = context.error
        log.error("telegram update failed: %s", type(error).__name__)
        log.debug("telegram update failure", exc_info=error)
        kind = "telegram_send_failed" if isinstance(error, TelegramError) else "unhandled"
        metrics.ERRORS.labels(kind).inc()
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        if update.effective_chat.type != update.effective_chat.PRIVATE:
            return
        metrics.SAFETY_FALLBACKS.labels(CHANNEL, "bot_error").inc()
        try:
            language = await self._conversations.language(CHANNEL, update.effective_chat.id)
            await self._send(
                update.effective_chat.id,
                self._conversations.say("utter_frontdoor_unavailable", CHANNEL, language),
            )
        except TelegramError as second:
            log.error("telegram safety message failed too: %s", type(second).__name__)
            metrics.ERRORS.labels("telegram_send_failed").inc()

    # Sending.

    async def push(self, chat_id: int, replies: Sequence[Reply]) -> None:
        """Send replies nobody asked for just now (the hand-off desk's messages)."""
        await self._send(chat_id, replies)

    async def _send(self, chat_id: int, replies: Sequence[Reply]) -> None:
        await send_replies(self.application.bot, chat_id, replies)

    async def _optional(
        self, what: str, call: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any
    ) -> None:
        """A call the door can do without (e.g. setMyCommands on a server that lacks it)."""
        try:
            await call(*args, rate_limit_args=OPTIONAL_RETRIES, **kwargs)
        except TelegramError as error:
            log.warning("telegram %s failed: %s", what, type(error).__name__)


TELEGRAM_DOOR = web.AppKey("telegram_door", TelegramDoor)


def _language_code(update: Update) -> str | None:
    """The language the person's Telegram app is set to ("cy", "en-GB"): a first guess only."""
    user = update.effective_user
    return user.language_code if user is not None else None


def _chat_id(update: Update) -> int:
    assert update.effective_chat is not None
    return update.effective_chat.id


def _refused(error: TelegramError) -> str:
    return "bot token" if isinstance(error, InvalidToken) else "webhook settings"


def _polling_error(error: TelegramError) -> None:
    log.warning("telegram polling failed: %s", type(error).__name__)
