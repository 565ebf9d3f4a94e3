"""``Conversations``: the one path from any door to Rasa.

A door passes its own raw id for the person (``user_key``); it is turned into a pseudonym here
and nothing else leaves. The front-door rules live here too, so every door gets them: rate
limit, empty and over-long messages, typed text never taken for a button payload, one turn at a
time per person, and a kind safety message whenever Rasa cannot answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from aic_shared.language import ENGLISH, choose_language, detect_language, normalise
from aic_shared.language import ENTITY as LANGUAGE_ENTITY
from bot import metrics
from bot.messages import Button, Reply
from bot.people import Address, Store
from bot.pseudonym import pseudonym
from bot.rasa_client import Custom, RasaClient, RasaUnavailable
from bot.ratelimit import Verdict
from bot.responses import Responses
from bot.tracker_admin import TrackerAdmin

log = logging.getLogger(__name__)

# Payloads only a door's own command handlers may send (a typed "/greet" is plain text).
COMMANDS = {"start": "/greet", "help": "/bot_capabilities", "restart": "/restart"}
# Door commands that choose the language (Telegram's /cymraeg and /english, the widget's switch).
LANGUAGE_COMMANDS = {"cymraeg": "cy", "english": "en"}
# The language of the turn being handled, set at the start of every turn: say() answers in it
# and _ask() sends it to Rasa as metadata, so Rasa and bot/ agree (aic_shared/language.py).
_TURN_LANGUAGE: ContextVar[str | None] = ContextVar("turn_language", default=None)
# The language stored for a person, and whether they chose it (bot.people.Admission).
StoredLanguage = tuple[str | None, bool]
NO_LANGUAGE: StoredLanguage = (None, False)

# Rasa's payload syntax: "/intent", "/intent@0.9", "/intent{...}" with the entities as JSON.
_INTENT_PAYLOAD = re.compile(r"(?P<intent>/[^{@\s]+(?:@[\d.]+)?)(?P<entities>\{.*\})?", re.DOTALL)
# Bidirectional overrides can make text read differently from what it is; they are dropped
# together with control characters (Unicode's Cc) and lone surrogates (Cs). Line and paragraph
# separators become newlines. One table, so one pass over the text.
_CLEAN = {
    **dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")),
    **dict.fromkeys([*range(0x20), *range(0x7F, 0xA0), *range(0xD800, 0xE000)]),
    # Later keys win over the ranges above: line breaks stay, as newlines; a tab is a space.
    ord("\r"): "\n",
    0x2028: "\n",
    0x2029: "\n",
    ord("\t"): " ",
    ord("\n"): "\n",
}


def payload_with_entity(payload: str, entity: str, value: str) -> str:
    """A trusted intent payload (``/intent`` or ``/intent{...}``) with one more entity.

    Rasa reads a payload instead of running its NLU pipeline on it, which is where the metadata
    of typed text becomes the language entity, so the language rides in the payload instead."""
    match = _INTENT_PAYLOAD.fullmatch(payload)
    if match is None:
        return payload
    try:
        entities = json.loads(match["entities"] or "{}")
    except ValueError:
        return payload
    if not isinstance(entities, dict):
        return payload
    return match["intent"] + json.dumps({**entities, entity: value}, ensure_ascii=False)


def clean_text(raw: str) -> str:
    """Text as Rasa should see it: no control characters, and never a leading ``/`` (which
    Rasa would read as an intent payload, letting anyone set slots by typing)."""
    text = raw.replace("\r\n", "\n").translate(_CLEAN).strip()
    while text.startswith("/"):
        text = text.lstrip("/").strip()
    return text


class KeyedLocks:
    """One asyncio.Lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)


class Conversations:
    def __init__(
        self,
        *,
        rasa: RasaClient,
        store: Store,
        tracker_admin: TrackerAdmin,
        responses: Responses,
        secret: bytes,
        rate_limit_per_minute: int,
        max_message_chars: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._rasa = rasa
        self._store = store
        self._tracker_admin = tracker_admin
        self._responses = responses
        self._secret = secret
        self._rate_limit = rate_limit_per_minute
        self._max_chars = max_message_chars
        self._clock = clock
        self._locks = KeyedLocks()
        # The live hand-off (bot/handoff/) sets this: it takes the turns of someone waiting for
        # or talking to a 101 contact, and opens the case Rasa asks for on their consent.
        self.handoff: Any = None
        # Called with the pseudonym on /forget only: the hand-off's cases (with a reference
        # someone may still call about) follow their own retention, not the 24-hour one.
        self.forgetters: list[Callable[[str], Any]] = []
        # bot.statistics sets this: it counts conversations begun and triages finished.
        self.statistics: Any = None
        # The buttons of each person's last answer, still being stored (_offer).
        self._offering: dict[str, asyncio.Task[None]] = {}

    def pseudonym(self, channel: str, user_key: str | int) -> str:
        return pseudonym(self._secret, channel, user_key)

    def say(
        self, response: str, channel: str | None = None, language: str | None = None
    ) -> list[Reply]:
        """One of bot/'s own responses from the domain, as a reply, in the turn's language."""
        language = language or _TURN_LANGUAGE.get()
        return [Reply(self._responses.text(response, channel, language))]

    async def language(self, channel: str, user_key: str | int) -> str:
        """The language this person is answered in ("en" or "cy")."""
        try:
            stored, _ = await self._store.language(self.pseudonym(channel, user_key))
        except ConnectionError:
            stored = None
        return normalise(stored) or ENGLISH

    def answered_in(self) -> str:
        """The language of the turn just handled (what its replies are written in)."""
        return _TURN_LANGUAGE.get() or ENGLISH

    async def _settle_language(
        self,
        who: str,
        stored: StoredLanguage,
        explicit: str | None,
        written: str | None,
        hint: str | None,
    ) -> str:
        """The turn's language: a choice made now, else one made before, else the language the
        text is ``written`` in, the last turn's or the door's guess (aic_shared/language.py).
        Remembered per pseudonym."""
        stored_language, was_chosen = stored
        chosen = was_chosen
        if normalise(explicit):
            language, chosen = normalise(explicit) or ENGLISH, True
        elif was_chosen and normalise(stored_language):
            language = normalise(stored_language) or ENGLISH
        else:
            language = choose_language(written=written, current=stored_language, hint=hint)
        if (language, chosen) != stored:
            try:
                await self._store.set_language(who, language, chosen)
            except ConnectionError:
                pass  # answered in it this turn all the same
        _TURN_LANGUAGE.set(language)
        return language

    async def set_language(
        self, channel: str, user_key: str | int, language: str, hint: str | None = None
    ) -> list[Reply]:
        """The person chose a language (/cymraeg, /english, the widget's switch): it sticks,
        and the triage answers so far are kept (Rasa's slots are not touched)."""
        who = self.pseudonym(channel, user_key)
        _TURN_LANGUAGE.set(normalise(language) or choose_language(hint=hint))
        async with self._locks.hold(who):
            await self._offers_stored(who)
            refused, stored = await self._admit(who, channel, user_key)
            if refused is not None:
                return refused
            await self._settle_language(who, stored, language, None, hint)
            return self.say("utter_frontdoor_language_changed", channel)

    async def handle(
        self,
        channel: str,
        user_key: str | int,
        text: str | None = None,
        payload: str | None = None,
        language: str | None = None,
        language_hint: str | None = None,
    ) -> list[Reply]:
        """One turn: what the person typed (``text``) or the payload of a button they pressed.

        A payload is forwarded only if it belongs to a button bot/ offered this person last;
        any other payload is treated as typed text. ``language`` is a choice the person made
        in the door ("en"/"cy"); ``language_hint`` the door's guess (Telegram's language_code,
        the widget's data-lang).
        """
        who = self.pseudonym(channel, user_key)
        written = detect_language(text)
        _TURN_LANGUAGE.set(choose_language(explicit=language, written=written, hint=language_hint))
        async with self._locks.hold(who):
            await self._offers_stored(who)
            # Two stores, asked at once: each answer is a wake-up of its own thread (SQLite) or
            # a round trip (Redis), and under load each wait is longer than the statement.
            (refused, stored), case = await asyncio.gather(
                self._admit(who, channel, user_key), self._open_case_for(who)
            )
            if refused is not None:
                return refused
            await self._settle_language(who, stored, language, written, language_hint)
            if self.handoff is not None:
                routed = await self.handoff.route(
                    who,
                    channel,
                    case,
                    text=text,
                    payload=payload,
                    # Leaving a hand-off to start again: then the assistant starts afresh.
                    restart=lambda: self._restart(who, channel),
                )
                if routed is not None:
                    return routed
            if payload is not None:
                try:
                    offered = await self._store.offered(who)
                except ConnectionError:  # the store went away since _admit
                    return self._fallback(channel, "store_unavailable")
                button = next((b for b in offered if b.payload == payload), None)
                if button is not None:
                    return await self._ask(who, channel, button.payload, button.title)
                text = payload
            cleaned = clean_text(text or "")
            if not cleaned:
                return self.say("utter_frontdoor_empty", channel)
            if len(cleaned) > self._max_chars:
                return self.say("utter_frontdoor_too_long", channel)
            return await self._ask(who, channel, cleaned, display_text=None)

    async def command(
        self, channel: str, user_key: str | int, name: str, language_hint: str | None = None
    ) -> list[Reply]:
        """A door's own command (``start``, ``help``, ``restart``): a trusted payload; or
        ``cymraeg`` / ``english``, which choose the language."""
        if name in LANGUAGE_COMMANDS:
            language = LANGUAGE_COMMANDS[name]
            return await self.set_language(channel, user_key, language, language_hint)
        payload = COMMANDS[name]
        who = self.pseudonym(channel, user_key)
        _TURN_LANGUAGE.set(choose_language(hint=language_hint))
        async with self._locks.hold(who):
            await self._offers_stored(who)
            refused, stored = await self._admit(who, channel, user_key)
            if refused is not None:
                return refused
            await self._settle_language(who, stored, None, None, language_hint)
            if self.handoff is not None:
                # Someone waiting for or talking to a person: the hand-off answers (help, or
                # "leave the hand-off first?"), and Rasa is not disturbed.
                routed = await self.handoff.command(who, channel, name)
                if routed is not None:
                    return routed
            if name != "restart":
                return await self._ask(who, channel, payload, f"/{name}")
            return await self._restart(who, channel)

    async def _restart(self, who: str, channel: str) -> list[Reply]:
        replies = await self._ask(who, channel, COMMANDS["restart"], "/restart", silence_ok=True)
        if not replies:
            # The domain has no utter_restart: greet, so a new conversation visibly starts.
            replies = await self._ask(who, channel, COMMANDS["start"], hidden=True)
        return replies

    async def notice(
        self, channel: str, user_key: str | int, response: str, language_hint: str | None = None
    ) -> list[Reply]:
        """Answer something a door will not pass on (a photo, a sticker) with one of bot/'s own
        responses, under the same rate limit as any message."""
        who = self.pseudonym(channel, user_key)
        _TURN_LANGUAGE.set(choose_language(hint=language_hint))
        async with self._locks.hold(who):
            await self._offers_stored(who)
            refused, stored = await self._admit(who, channel, user_key)
            if refused is None:
                await self._settle_language(who, stored, None, None, language_hint)
            return refused if refused is not None else self.say(response, channel)

    async def offered(self, channel: str, user_key: str | int) -> tuple[Button, ...]:
        """The buttons bot/ offered this person last (a door maps a press back with these)."""
        who = self.pseudonym(channel, user_key)
        await self._offers_stored(who)
        return await self._store.offered(who)

    async def settle(self) -> None:
        """Wait for the buttons still being stored (before the store closes)."""
        while self._offering:
            await asyncio.gather(*self._offering.values())

    async def address(self, pseudonym_: str) -> Address | None:
        """Where to reach a pseudonym (for a reply sent later, e.g. from the 101 desk)."""
        return await self._store.address(pseudonym_)

    async def forget(self, channel: str, user_key: str | int) -> list[Reply]:
        """Delete everything stored about this person: Rasa's tracker rows and bot/'s own.

        Returns the confirmation to show, or the unavailable message if deletion failed (we
        must never say "forgotten" when it is not true).
        """
        who = self.pseudonym(channel, user_key)
        # The confirmation goes in the language the person was using, read before it is erased.
        _TURN_LANGUAGE.set(await self.language(channel, user_key))
        async with self._locks.hold(who):
            try:
                await self._erase(who)
                for forget in self.forgetters:
                    await forget(who)
            except (sqlite3.Error, OSError) as error:
                log.error("forget failed: %s", type(error).__name__)
                return self.say("utter_frontdoor_unavailable", channel)
        log.info("forgot one person on %s", channel)
        return self.say("utter_frontdoor_forgotten", channel)

    async def forget_inactive(self, max_age_seconds: float, now: float | None = None) -> int:
        """Retention: erase everyone inactive for longer than ``max_age_seconds``."""
        now = self._clock() if now is None else now
        expired = await self._store.inactive_since(now - max_age_seconds)
        for who in expired:
            async with self._locks.hold(who):
                await self._erase(who)
        return len(expired)

    async def history(self, channel: str, user_key: str | int) -> list[dict[str, Any]]:
        """The conversation since its last restart, as the person saw it.

        Raises ``RasaUnavailable`` when Rasa cannot be asked.
        """
        events = await self._rasa.events(self.pseudonym(channel, user_key))
        turns: list[dict[str, Any]] = []
        for event in events:
            kind = event.get("event")
            metadata = event.get("metadata") or {}
            if kind == "user" and not metadata.get("hidden"):
                text = metadata.get("display_text") or event.get("text") or ""
                turns.append({"from": "user", "text": text, "buttons": []})
            elif kind == "bot" and event.get("text"):
                buttons = [
                    {"title": b.get("title"), "payload": b.get("payload")}
                    for b in (event.get("data") or {}).get("buttons") or []
                ]
                turns.append({"from": "bot", "text": event["text"], "buttons": buttons})
        return turns

    async def _open_case_for(self, who: str) -> Any:
        """The person's open hand-off case, if there is a hand-off and they are in one."""
        return None if self.handoff is None else await self.handoff.open_case_for(who)

    async def _admit(
        self, who: str, channel: str, user_key: str | int
    ) -> tuple[list[Reply] | None, StoredLanguage]:
        """Record the person's address and activity and spend a rate-limit token. Returns the
        reply to give instead of a turn (over the limit, or the store is down) or None, and
        the language stored for them."""
        metrics.TURNS.labels(channel).inc()
        try:
            admission = await self._store.admit(
                who, channel, str(user_key), self._clock(), self._rate_limit
            )
        except ConnectionError as error:
            # bot/'s store (SQLite or Redis) cannot be reached: without it there is no rate
            # limit, no button check and no way to forget, so only the safety message goes out.
            log.warning("store unavailable on %s: %s", channel, type(error).__name__)
            return self._fallback(channel, "store_unavailable"), NO_LANGUAGE
        if admission.new and self.statistics is not None:
            # A new person has no stored language, so the turn's is already the one settled.
            self.statistics.conversation_started(channel, self.answered_in())
        stored = (admission.language, admission.language_chosen)
        if admission.verdict is Verdict.ALLOWED:
            return None, stored
        log.info("rate limit reached on %s", channel)
        if admission.verdict is Verdict.REFUSED:
            return self.say("utter_frontdoor_rate_limited", channel), stored
        return [], stored

    async def _ask(
        self,
        who: str,
        channel: str,
        message: str,
        display_text: str | None = None,
        *,
        hidden: bool = False,
        silence_ok: bool = False,
    ) -> list[Reply]:
        # display_text puts the button title (not its payload) in the tracker for history().
        metadata: dict[str, Any] = {}
        if display_text:
            metadata["display_text"] = display_text
        if hidden:
            metadata["hidden"] = True
        # bot/'s settled language for the person: Rasa's language slot takes it as given.
        language = _TURN_LANGUAGE.get() or ENGLISH
        metadata["language"] = language
        if message.startswith("/"):
            message = payload_with_entity(message, LANGUAGE_ENTITY, language)
        try:
            replies = await self._rasa.send(who, message, channel, metadata)
        except RasaUnavailable as error:
            log.warning("rasa unavailable on %s: %s", channel, error)
            return self._fallback(channel, "rasa_unavailable")
        if not replies and not silence_ok:
            # Rasa answers nothing when a custom action fails (e.g. the action server is down).
            log.warning("rasa gave no reply on %s", channel)
            return self._fallback(channel, "no_reply")
        if self.handoff is not None:
            replies = await self.handoff.after_turn(who, channel, replies)
        self._count_triage(channel, language, replies)
        # Rasa's custom payloads are for bot/ (the hand-off, the statistics); none is shown.
        replies = [reply for reply in replies if not isinstance(reply, Custom)]
        self._offer(who, channel, [b for reply in replies for b in reply.buttons])
        return replies

    def _offer(self, who: str, channel: str, buttons: list[Button]) -> None:
        """Store the answer's buttons while the answer goes out: one wait fewer on every
        turn's way back. The person's next turn, a door's ``offered`` and an erasure wait for
        the write first (``_offers_stored``), so a press is checked against these buttons."""
        task = asyncio.create_task(self._store_offered(who, channel, buttons))
        self._offering[who] = task
        task.add_done_callback(
            lambda done: self._offering.pop(who, None) if self._offering.get(who) is done else None
        )

    async def _store_offered(self, who: str, channel: str, buttons: list[Button]) -> None:
        try:
            await self._store.set_offered(who, buttons)
        except Exception as error:  # the answer has gone: nobody is left to tell
            # A press on these buttons then arrives as plain text.
            log.warning("buttons not stored on %s: %s", channel, type(error).__name__)
            metrics.ERRORS.labels("store_unavailable").inc()

    async def _offers_stored(self, who: str) -> None:
        task = self._offering.get(who)
        if task is not None:
            await task

    def _fallback(self, channel: str, reason: str) -> list[Reply]:
        """The safety essentials instead of an answer Rasa could not give."""
        metrics.SAFETY_FALLBACKS.labels(channel, reason).inc()
        if reason == "store_unavailable":
            metrics.ERRORS.labels("store_unavailable").inc()
        return self.say("utter_frontdoor_unavailable", channel)

    def _count_triage(self, channel: str, language: str, replies: list[Reply]) -> None:
        """Rasa's ``{"statistics": {"triage": {...}}}``, sent once when a triage's steps begin:
        canonical values only (actions/statistics.py), checked again by bot.statistics."""
        if self.statistics is None:
            return
        for reply in replies:
            if isinstance(reply, Custom) and isinstance(reply.payload.get("statistics"), dict):
                figures = reply.payload["statistics"].get("triage")
                if isinstance(figures, dict):
                    self.statistics.triage_finished(channel, language, figures)

    async def _erase(self, who: str) -> None:
        await self._offers_stored(who)
        await self._tracker_admin.delete(who)
        await self._store.delete(who)
