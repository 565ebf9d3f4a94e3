"""``Handoff``: the live hand-off between a person (any door) and a 101 contact at the desk.

- ``after_turn`` opens a case when Rasa answers a consent with its custom hand-off payload: the
  person joins their force's queue, or, out of hours, gets a reference to quote on 101.
- ``route`` takes every turn of a person whose case is waiting or live: their messages go to the
  case, not to Rasa, so the assistant stays silent until the case ends. ``command`` answers the
  doors' /start, /help and /restart during a hand-off: help without disturbing the case, and
  "leave the hand-off first?" before starting again.
- The desk calls ``claim``, ``say``, ``close``; what the person should see is stored first and
  then pushed (Telegram) or fetched (the widget polls ``feed``), so a restart loses nothing.
- Whenever a waiting case leaves a queue (claimed, left, referred, forgotten), everyone still
  waiting in it is told their new place, once per change.
- ``tick`` runs every few seconds: a case nobody claimed within the wait gets a reference;
  messages not delivered yet are tried again.

Everything the person reads is in their language (the Welsh variation for ``cy``); what the desk
reads of bot/'s notices, the summary and the reference, stays in English.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aic_shared.language import ENGLISH, normalise
from bot import metrics
from bot.address_limits import REQUESTING_ADDRESS, AddressLimits, cases_limit
from bot.conversation import KeyedLocks, clean_text
from bot.handoff.cases import (
    CLAIMED,
    CLOSED,
    CLOSED_IT,
    HANDLER,
    LEFT,
    LEFT_IT,
    LIVE,
    NOTICE,
    OPENED,
    PERSON,
    QUEUE,
    REFERRED,
    REFERRED_IT,
    REPLIED,
    SYSTEM,
    USER,
    WAITING,
    WROTE,
    Case,
    CaseMessage,
    CaseStore,
)
from bot.handoff.hours import OpeningHours
from bot.handoff.hub import Hub
from bot.handoff.queues import NATIONAL, Force
from bot.messages import Button, Reply
from bot.people import Store
from bot.rasa_client import Custom
from bot.responses import Responses

log = logging.getLogger(__name__)

# Payloads of the buttons bot/ offers during a hand-off. They are never sent to Rasa.
LEAVE_PAYLOAD = "/handoff_leave"
RESTART_PAYLOAD = "/handoff_restart"  # leave the hand-off, then the assistant starts again
STAY_PAYLOAD = "/handoff_stay"
MAX_SUMMARY_CHARS = 3000
# Doors that fetch what the hand-off has for the person (the widget polls ``feed``); the others
# are pushed to by whichever replica has that door.
FEED_CHANNELS = ("widget",)
# How long one replica has to push a message before another may try it.
DELIVERY_LEASE_SECONDS = 30.0
REQUIRED = (
    "utter_frontdoor_handoff_waiting",
    "utter_frontdoor_handoff_waiting_next",
    "utter_frontdoor_handoff_still_waiting",
    "utter_frontdoor_handoff_place",
    "utter_frontdoor_handoff_place_next",
    "utter_frontdoor_handoff_claimed",
    "utter_frontdoor_handoff_from_person",
    "utter_frontdoor_handoff_ended",
    "utter_frontdoor_handoff_left",
    "utter_frontdoor_handoff_leave",
    "utter_frontdoor_handoff_out_of_hours",
    "utter_frontdoor_handoff_out_of_hours_national",
    "utter_frontdoor_handoff_no_answer",
    "utter_frontdoor_handoff_no_answer_national",
    "utter_frontdoor_handoff_queue_full",
    "utter_frontdoor_handoff_queue_full_national",
    "utter_frontdoor_handoff_unavailable",
    "utter_frontdoor_handoff_help",
    "utter_frontdoor_handoff_confirm_restart",
    "utter_frontdoor_handoff_restart_yes",
    "utter_frontdoor_handoff_restart_no",
    "utter_frontdoor_handoff_stay",
)


def referral_text(response: str, queue: str) -> str:
    """The text that sends the person to 101. A 101 call reaches the caller's own force, and only
    a force that uses this service can open the reference: the national queue promises neither."""
    return f"{response}_national" if queue == NATIONAL else response


Pusher = Callable[[str, Sequence[Reply]], Awaitable[None]]
Restart = Callable[[], Awaitable[list[Reply]]]


class Handoff:
    def __init__(
        self,
        *,
        cases: CaseStore,
        people: Store,
        responses: Responses,
        forces: dict[str, Force],
        hours: OpeningHours,
        wait_seconds: float,
        retention_seconds: float,
        max_message_chars: int,
        max_waiting: int = 30,
        address_limits: AddressLimits | None = None,
        cases_per_address_per_hour: int = 3,
        hub: Hub | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.cases = cases
        self._people = people
        self._responses = responses
        self.forces = forces
        self._hours = hours
        self._wait_seconds = wait_seconds
        self._retention_seconds = retention_seconds
        self._max_chars = max_message_chars
        self._max_waiting = max_waiting
        self._address_limits = address_limits
        self._cases_limit = cases_limit(cases_per_address_per_hour)
        # Read by the desk too; a test moves it instead of waiting.
        self.clock = clock
        self.hub = hub or Hub()
        self.pushers: dict[str, Pusher] = {}
        # One recount of a queue's places at a time in this process (the store's tell_position
        # keeps replicas from telling a place twice).
        self._queue_locks = KeyedLocks()
        # bot.statistics.recorder.Statistics when counting is on: what happened to each request.
        self.statistics: Any = None

    # --- Texts ---------------------------------------------------------------------------------

    def text(
        self,
        name: str,
        channel: str | None,
        case: Case | None = None,
        language: str | None = None,
        **values: Any,
    ) -> str:
        """Response ``name`` filled in for ``case``, in ``language`` (English when None: what the
        desk reads)."""
        force = self.force(case.queue if case else NATIONAL)
        filled = {
            **force.texts(language),
            "reference": case.reference if case else "",
            "retention_days": f"{self._retention_seconds / 86400:g}",
            **values,
        }
        text = self._responses.text(name, channel, language)
        text = text.format_map(defaultdict(str, filled))
        return " ".join(text.split(" ")).replace("  ", " ").strip()

    def leave_button(self, channel: str | None, language: str | None = None) -> Button:
        return Button(
            self.text("utter_frontdoor_handoff_leave", channel, None, language), LEAVE_PAYLOAD
        )

    def force(self, queue: str) -> Force:
        return self.forces.get(queue) or self.forces[NATIONAL]

    async def language(self, who: str) -> str:
        """The language the person is answered in: the one bot/ settled for them."""
        try:
            stored, _ = await self._people.language(who)
        except (ConnectionError, KeyError):
            stored = None
        return normalise(stored) or ENGLISH

    # --- The person's side ---------------------------------------------------------------------

    async def after_turn(self, who: str, channel: str, replies: list[Reply]) -> list[Reply]:
        """Rasa's replies, with a hand-off request replaced by the case it opens."""
        result: list[Reply] = []
        for reply in replies:
            request = reply.payload.get("handoff") if isinstance(reply, Custom) else None
            if isinstance(request, dict):
                result.extend(await self.open_case(who, channel, request))
            else:
                result.append(reply)
        return result

    async def open_case(self, who: str, channel: str, request: dict[str, Any]) -> list[Reply]:
        queue = request.get("queue")
        queue = queue if isinstance(queue, str) and queue in self.forces else NATIONAL
        summary = request.get("summary") if isinstance(request.get("summary"), dict) else {}
        summary_text = str(request.get("summary_text") or "")[:MAX_SUMMARY_CHARS]
        language = await self.language(who)
        now = self.clock()
        referral = "utter_frontdoor_handoff_out_of_hours"
        try:
            case = await self.cases.open_case_for(who)
            if case is None:
                state = WAITING if self._hours.is_open(queue, now) else REFERRED
                if state == WAITING and (
                    len(await self.cases.queue(queue)) >= self._max_waiting
                    or not await self._may_queue_from_here(now)
                ):
                    # A full queue, or one address opening case after case (a script filling
                    # the queue): a reference and 101 at once, rather than a place too far down
                    # to be reached, or a queue others cannot get into.
                    state, referral = REFERRED, "utter_frontdoor_handoff_queue_full"
                case = await self.cases.create_case(
                    pseudonym=who,
                    channel=channel,
                    queue=queue,
                    summary=summary,
                    summary_text=summary_text,
                    state=state,
                    now=now,
                )
                log.info("hand-off case opened (%s, %s)", queue, state)
                await self.cases.record(case.reference, SYSTEM, OPENED, now, state)
                if state == WAITING:
                    metrics.HANDOFFS_QUEUED.labels(queue).inc()
                    event = "queued"
                else:
                    event = "queue_full" if referral.endswith("queue_full") else "out_of_hours"
                    metrics.HANDOFFS_REFERRED.labels(queue, event).inc()
                self._count(queue, channel, language, "requested", event)
                await self.hub.publish(queue, {"type": "queue"})
            if case.state == REFERRED:
                name = referral_text(referral, case.queue)
                text = self.text(name, channel, case, language)
                return [Reply(text)]
            position = await self.cases.position(case)
            await self.cases.tell_position(case.id, position)
        except Exception as error:  # the case store is down: say so, never pretend
            log.error("hand-off case could not be opened: %s", type(error).__name__)
            metrics.ERRORS.labels("case_store_unavailable").inc()
            return [
                Reply(self.text("utter_frontdoor_handoff_unavailable", channel, None, language))
            ]
        name = (
            "utter_frontdoor_handoff_waiting_next"
            if position <= 1
            else "utter_frontdoor_handoff_waiting"
        )
        text = self.text(name, channel, case, language, position=position)
        return [Reply(text, (self.leave_button(channel, language),))]

    async def _may_queue_from_here(self, now: float) -> bool:
        address = REQUESTING_ADDRESS.get()
        if address is None or self._address_limits is None:
            return True
        return await self._address_limits.take(self._cases_limit, address, now)

    async def open_case_for(self, who: str) -> Case | None:
        """The person's waiting or live case; None also when the store cannot say."""
        try:
            return await self.cases.open_case_for(who)
        except ConnectionError as error:
            # Whether they are in a hand-off cannot be known now: the assistant answers (with
            # the safety essentials if it must) rather than nobody.
            log.warning("hand-off store unavailable: %s", type(error).__name__)
            metrics.ERRORS.labels("case_store_unavailable").inc()
            return None

    async def route(
        self,
        who: str,
        channel: str,
        case: Case | None,
        *,
        text: str | None,
        payload: str | None,
        restart: Restart | None = None,
    ) -> list[Reply] | None:
        """The turn of someone in a hand-off (``case``, from ``open_case_for``), or None when
        they are not in one."""
        if case is None:
            # An old hand-off button pressed after the case ended: nothing to do, nothing to say
            # (apart from "start again", which is what they asked for).
            if payload == RESTART_PAYLOAD and restart is not None:
                return await restart()
            return [] if payload in (LEAVE_PAYLOAD, STAY_PAYLOAD) else None
        language = await self.language(who)
        if payload == LEAVE_PAYLOAD:
            return await self.leave(case, channel, language)
        if payload == RESTART_PAYLOAD:
            left = await self.leave(case, channel, language)
            return [*left, *(await restart() if restart is not None else [])]
        if payload == STAY_PAYLOAD:
            leave = self.leave_button(channel, language)
            await self._people.set_offered(who, [leave])
            return [
                Reply(self.text("utter_frontdoor_handoff_stay", channel, case, language), (leave,))
            ]
        if payload is not None:
            offered = await self._people.offered(who)
            text = next((b.title for b in offered if b.payload == payload), payload)
        cleaned = clean_text(text or "")
        if not cleaned:
            return [Reply(self._responses.text("utter_frontdoor_empty", channel, language))]
        if len(cleaned) > self._max_chars:
            return [Reply(self._responses.text("utter_frontdoor_too_long", channel, language))]
        await self.cases.add_message(case.id, USER, cleaned, self.clock(), delivered=True)
        await self.hub.publish(case.queue, {"type": "case", "reference": case.reference})
        if case.state == WAITING:
            position = await self.cases.position(case)
            await self.cases.tell_position(case.id, position)
            leave = self.leave_button(channel, language)
            await self._people.set_offered(who, [leave])
            still = self.text(
                "utter_frontdoor_handoff_still_waiting", channel, case, language, position=position
            )
            return [Reply(still, (leave,))]
        return []

    async def command(self, who: str, channel: str, name: str) -> list[Reply] | None:
        """A door's /start, /help or /restart from someone in a hand-off (None when they are
        not in one: the command goes to the assistant as usual)."""
        case = await self.open_case_for(who)
        if case is None:
            return None
        language = await self.language(who)
        leave = self.leave_button(channel, language)
        if name == "help":
            # How to leave, how to delete, the safety numbers; the case is not touched.
            await self._people.set_offered(who, [leave])
            text = self.text(
                "utter_frontdoor_handoff_help", channel, case, language, leave=leave.title
            )
            return [Reply(text, (leave,))]
        buttons = (
            Button(
                self.text("utter_frontdoor_handoff_restart_yes", channel, None, language),
                RESTART_PAYLOAD,
            ),
            Button(
                self.text("utter_frontdoor_handoff_restart_no", channel, None, language),
                STAY_PAYLOAD,
            ),
        )
        await self._people.set_offered(who, buttons)
        return [
            Reply(
                self.text("utter_frontdoor_handoff_confirm_restart", channel, case, language),
                buttons,
            )
        ]

    async def leave(self, case: Case, channel: str, language: str | None = None) -> list[Reply]:
        now = self.clock()
        if await self.cases.finish(case.id, (WAITING, LIVE), LEFT, now, "person left"):
            log.info("hand-off case left by the person (%s)", case.queue)
            await self.cases.record(case.reference, PERSON, LEFT_IT, now)
            self._count(case.queue, channel, language or ENGLISH, "left")
            await self.cases.add_message(
                case.id,
                REPLIED,
                self.text("utter_frontdoor_handoff_left", channel, case, language),
                now,
                delivered=True,
                desk_text=self.text("utter_frontdoor_handoff_left", None, case),
            )
            await self.hub.publish(case.queue, {"type": "queue"})
            await self.hub.publish(case.queue, {"type": "case", "reference": case.reference})
            if case.state == WAITING:
                await self.tell_places(case.queue)
        await self._people.set_offered(case.pseudonym, [])
        return [Reply(self.text("utter_frontdoor_handoff_left", channel, case, language))]

    async def feed(self, who: str, after: int | None) -> dict[str, Any]:
        """What the widget shows of the hand-off: messages after the cursor ``after``, or, when
        the page has no cursor yet (``None``: just loaded), all of the open case's; and whether
        a case is open."""
        case = await self.cases.open_case_for(who)
        language = await self.language(who)
        if after is None:
            everything = await self.cases.messages_for(who, 0)
            cursor = max((m.id for m in everything), default=0)
            messages = [m for m in everything if case is not None and m.case_id == case.id]
        else:
            messages = await self.cases.messages_for(who, after)
            cursor = max((m.id for m in messages), default=after)
        label = (
            self.text("utter_frontdoor_handoff_from_person", "widget", case, language)
            if case
            else ""
        )
        items = []
        for message in messages:
            if message.sender == REPLIED:
                continue  # shown already, as the answer to the person's own turn
            sender = {USER: "user", HANDLER: "person"}.get(message.sender, "notice")
            item = {"id": message.id, "from": sender, "text": message.text}
            if sender == "person":
                owner = (
                    case
                    if case and case.id == message.case_id
                    else await self.cases.case(message.case_id)
                )
                item["label"] = self.text(
                    "utter_frontdoor_handoff_from_person", "widget", owner, language
                )
            items.append(item)
        leave = self.leave_button("widget", language) if case else None
        return {
            "active": case is not None,
            "state": case.state if case else None,
            "label": label,
            "leave": {"title": leave.title, "payload": leave.payload} if leave else None,
            "messages": items,
            "cursor": cursor,
        }

    async def erase(self, who: str) -> None:
        """/forget: the person's cases and their messages go at once."""
        case = await self.cases.open_case_for(who)
        cases = await self.cases.delete_for(who)
        if cases:
            log.info("forgot %d hand-off case(s)", cases)
            for queue in self.forces:
                await self.hub.publish(queue, {"type": "queue"})
        if case is not None and case.state == WAITING:
            await self.tell_places(case.queue)

    # --- The desk's side -----------------------------------------------------------------------

    async def claim(self, case: Case, handler: str) -> bool:
        now = self.clock()
        if not await self.cases.claim(case.id, handler, now):
            return False
        await self.cases.record(case.reference, handler, CLAIMED, now)
        log.info("hand-off case claimed (%s)", case.queue)
        waited = max(0.0, now - case.created_at)
        metrics.HANDOFFS_CLAIMED.labels(case.queue).inc()
        metrics.HANDOFF_WAIT_SECONDS.labels(case.queue).observe(waited)
        if self.statistics is not None:
            language = await self.language(case.pseudonym)
            self.statistics.handoff_claimed(case.queue, case.channel, language, waited)
        await self._notify(case, "utter_frontdoor_handoff_claimed", leave=True)
        await self.hub.publish(case.queue, {"type": "queue"})
        await self.tell_places(case.queue)
        return True

    async def say(self, case: Case, text: str) -> CaseMessage:
        message = await self.cases.add_message(case.id, HANDLER, text, self.clock())
        await self.cases.record(case.reference, case.handler or HANDLER, WROTE, message.at)
        await self.hub.publish(case.queue, {"type": "case", "reference": case.reference})
        await self.deliver(case, message)
        return message

    async def close(self, case: Case, outcome: str, handler: str) -> bool:
        """End a live chat (the person is told and is back with the assistant), or record the
        outcome of a referred case someone called 101 about."""
        now = self.clock()
        if case.state == LIVE:
            if not await self.cases.finish(case.id, (LIVE,), CLOSED, now, outcome):
                return False
            await self.cases.record(case.reference, handler, CLOSED_IT, now, outcome)
            await self._notify(case, "utter_frontdoor_handoff_ended", leave=False)
        elif not await self.cases.finish(case.id, (REFERRED,), CLOSED, now, outcome):
            return False
        else:
            await self.cases.record(case.reference, handler, CLOSED_IT, now, outcome)
        if self.statistics is not None:
            language = await self.language(case.pseudonym)
            self.statistics.handoff_closed(case.queue, case.channel, language, outcome)
        await self.hub.publish(case.queue, {"type": "queue"})
        await self.hub.publish(case.queue, {"type": "case", "reference": case.reference})
        return True

    def _count(self, queue: str, channel: str, language: str, *events: str) -> None:
        if self.statistics is not None:
            self.statistics.handoff(queue, channel, language, *events)

    # --- Places in the queue -------------------------------------------------------------------

    async def tell_places(self, queue: str) -> None:
        """A case left ``queue``: tell everyone still waiting in it their new place, each only
        when it changed since they were last told."""
        async with self._queue_locks.hold(queue):
            waiting = [c for c in await self.cases.queue(queue) if c.state == WAITING]
            for position, case in enumerate(waiting, start=1):
                if not await self.cases.tell_position(case.id, position):
                    continue
                language = await self.language(case.pseudonym)
                name = (
                    "utter_frontdoor_handoff_place_next"
                    if position == 1
                    else "utter_frontdoor_handoff_place"
                )
                text = self.text(name, case.channel, case, language, position=position)
                message = await self.cases.add_message(case.id, QUEUE, text, self.clock())
                await self.deliver(case, message, leave=True)

    # --- Delivery ------------------------------------------------------------------------------

    async def _notify(self, case: Case, response: str, *, leave: bool) -> None:
        language = await self.language(case.pseudonym)
        message = await self.cases.add_message(
            case.id,
            NOTICE,
            self.text(response, case.channel, case, language),
            self.clock(),
            desk_text=self.text(response, None, case),
        )
        await self.hub.publish(case.queue, {"type": "case", "reference": case.reference})
        await self._people.set_offered(
            case.pseudonym, [self.leave_button(case.channel, language)] if leave else []
        )
        await self.deliver(case, message, leave=leave)

    async def deliver(self, case: Case, message: CaseMessage, *, leave: bool = False) -> None:
        """Send a stored message to the person's door. Doors without push (the widget) fetch
        it with ``feed``; a failed push stays undelivered and is tried again on the next tick,
        by whichever replica has that door."""
        if case.channel in FEED_CHANNELS:
            await self.cases.mark_delivered(message.id)
            return
        pusher = self.pushers.get(case.channel)
        if pusher is None:
            return  # this replica has not got that door; one that has delivers it
        if not await self.cases.lease_delivery(message.id, self.clock(), DELIVERY_LEASE_SECONDS):
            return  # being sent already (another replica, or an earlier tick)
        address = await self._people.address(case.pseudonym)
        if address is None:
            # Forgotten or expired: there is nobody to send it to any more.
            await self.cases.mark_delivered(message.id)
            return
        language = await self.language(case.pseudonym)
        text = message.text
        if message.sender == HANDLER:
            label = self.text("utter_frontdoor_handoff_from_person", case.channel, case, language)
            text = f"{label}\n{message.text}"
        buttons = (self.leave_button(case.channel, language),) if leave else ()
        try:
            await pusher(address.address, [Reply(text, buttons)])
        except Exception as error:
            log.warning("hand-off message not delivered yet: %s", type(error).__name__)
            return
        await self.cases.mark_delivered(message.id)

    # --- Housekeeping --------------------------------------------------------------------------

    async def tick(self) -> None:
        now = self.clock()
        for case in await self.cases.waiting_since(now - self._wait_seconds):
            if await self.cases.finish(case.id, (WAITING,), REFERRED, now):
                log.info("hand-off case not picked up in time (%s)", case.queue)
                await self.cases.record(case.reference, SYSTEM, REFERRED_IT, now)
                metrics.HANDOFFS_REFERRED.labels(case.queue, "not_picked_up").inc()
                language = await self.language(case.pseudonym)
                self._count(case.queue, case.channel, language, "not_picked_up")
                name = referral_text("utter_frontdoor_handoff_no_answer", case.queue)
                await self._notify(case, name, leave=False)
                await self.hub.publish(case.queue, {"type": "queue"})
                await self.tell_places(case.queue)
        for case, message in await self.cases.undelivered():
            leave = case.state in (WAITING, LIVE) and message.sender in (NOTICE, QUEUE)
            await self.deliver(case, message, leave=leave)

    async def purge(self, now: float | None = None) -> int:
        """Retention (``AIC_HANDOFF_RETENTION_DAYS``): ended cases and expired desk sessions."""
        now = self.clock() if now is None else now
        deleted = await self.cases.purge(now - self._retention_seconds)
        await self.cases.purge_sessions(now)
        if deleted:
            log.info("retention: deleted %d hand-off case(s)", deleted)
        return deleted
