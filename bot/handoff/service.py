"""``Handoff``: the live hand-off between a person (any door) and a 101 contact at the desk.

- ``after_turn`` opens a case when Rasa answers a consent with a ``HandoffRequest``: the person
  joins their force's queue, or, out of hours, gets a reference to quote on 101.
- ``route`` takes every turn of a person whose case is waiting or live: their messages go to the
  case, not to Rasa, so the assistant stays silent until the case ends.
- The desk calls ``claim``, ``say``, ``close``; what the person should see is stored first and
  then pushed (Telegram) or fetched (the widget polls ``feed``), so a restart loses nothing.
- ``tick`` runs every few seconds: a case nobody claimed within the wait gets a reference;
  cases past their retention are deleted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.conversation import clean_text
from bot.handoff.hours import OpeningHours
from bot.handoff.queues import NATIONAL, Force
from bot.handoff.rasa import HandoffRequest
from bot.handoff.store import (
    CLOSED,
    HANDLER,
    LEFT,
    LIVE,
    NOTICE,
    REFERRED,
    USER,
    WAITING,
    Case,
    CaseMessage,
    CaseStore,
)
from bot.messages import Button, Reply
from bot.responses import Responses
from bot.store import Store

log = logging.getLogger(__name__)

# The payload of the "leave" button bot/ offers while someone waits or talks to a person. It is
# never sent to Rasa.
LEAVE_PAYLOAD = "/handoff_leave"
MAX_SUMMARY_CHARS = 3000
OUTCOMES = (
    "advice given",
    "crime report taken",
    "referred to another service",
    "person left",
    "no reply from the person",
    "other",
)
REQUIRED = (
    "utter_frontdoor_handoff_waiting",
    "utter_frontdoor_handoff_waiting_next",
    "utter_frontdoor_handoff_still_waiting",
    "utter_frontdoor_handoff_claimed",
    "utter_frontdoor_handoff_from_person",
    "utter_frontdoor_handoff_ended",
    "utter_frontdoor_handoff_left",
    "utter_frontdoor_handoff_leave",
    "utter_frontdoor_handoff_out_of_hours",
    "utter_frontdoor_handoff_no_answer",
    "utter_frontdoor_handoff_unavailable",
)

Pusher = Callable[[str, Sequence[Reply]], Awaitable[None]]


class Hub:
    """Desk events for the open desk pages of one queue (WebSockets subscribe here)."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[dict]]] = defaultdict(set)

    def subscribe(self, queue: str) -> asyncio.Queue[dict]:
        inbox: asyncio.Queue[dict] = asyncio.Queue(maxsize=1000)
        self._subscribers[queue].add(inbox)
        return inbox

    def unsubscribe(self, queue: str, inbox: asyncio.Queue[dict]) -> None:
        self._subscribers[queue].discard(inbox)

    def publish(self, queue: str, event: dict) -> None:
        for inbox in list(self._subscribers.get(queue, ())):
            try:
                inbox.put_nowait(event)
            except asyncio.QueueFull:
                pass  # that page is not reading; it reloads everything when it reconnects

    def listening(self, queue: str) -> int:
        return len(self._subscribers.get(queue, ()))


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
        self._clock = clock
        self.hub = Hub()
        self.pushers: dict[str, Pusher] = {}

    # --- Texts ---------------------------------------------------------------------------------

    def text(self, name: str, channel: str | None, case: Case | None = None, **values: Any) -> str:
        force = self.force(case.queue if case else NATIONAL)
        filled = {
            "force_name": force.name,
            "force_extra": force.extra,
            "reference": case.reference if case else "",
            "retention_days": f"{self._retention_seconds / 86400:g}",
            **values,
        }
        text = self._responses.text(name, channel).format_map(defaultdict(str, filled))
        return " ".join(text.split(" ")).replace("  ", " ").strip()

    def leave_button(self, channel: str | None) -> Button:
        return Button(self.text("utter_frontdoor_handoff_leave", channel), LEAVE_PAYLOAD)

    def force(self, queue: str) -> Force:
        return self.forces.get(queue) or self.forces[NATIONAL]

    # --- The person's side ---------------------------------------------------------------------

    async def after_turn(self, who: str, channel: str, replies: list[Reply]) -> list[Reply]:
        """Rasa's replies, with a hand-off request replaced by the case it opens."""
        result: list[Reply] = []
        for reply in replies:
            if isinstance(reply, HandoffRequest):
                result.extend(await self.open_case(who, channel, reply.handoff))
            else:
                result.append(reply)
        return result

    async def open_case(self, who: str, channel: str, request: dict[str, Any]) -> list[Reply]:
        queue = request.get("queue")
        queue = queue if isinstance(queue, str) and queue in self.forces else NATIONAL
        summary = request.get("summary") if isinstance(request.get("summary"), dict) else {}
        summary_text = str(request.get("summary_text") or "")[:MAX_SUMMARY_CHARS]
        now = self._clock()
        try:
            case = await self.cases.open_case_for(who)
            if case is None:
                state = WAITING if self._hours.is_open(queue, now) else REFERRED
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
                self.hub.publish(queue, {"type": "queue"})
            if case.state == REFERRED:
                return [Reply(self.text("utter_frontdoor_handoff_out_of_hours", channel, case))]
            position = await self.cases.position(case)
        except Exception as error:  # the case store is down: say so, never pretend
            log.error("hand-off case could not be opened: %s", type(error).__name__)
            return [Reply(self.text("utter_frontdoor_handoff_unavailable", channel))]
        name = (
            "utter_frontdoor_handoff_waiting_next"
            if position <= 1
            else ("utter_frontdoor_handoff_waiting")
        )
        return [
            Reply(self.text(name, channel, case, position=position), (self.leave_button(channel),))
        ]

    async def route(
        self, who: str, channel: str, *, text: str | None, payload: str | None
    ) -> list[Reply] | None:
        """The turn of someone in a hand-off, or None when they are not in one."""
        case = await self.cases.open_case_for(who)
        if case is None:
            # An old "leave" button pressed after the case ended: nothing to do, nothing to say.
            return [] if payload == LEAVE_PAYLOAD else None
        if payload == LEAVE_PAYLOAD:
            return await self.leave(case, channel)
        if payload is not None:
            offered = await self._people.offered(who)
            text = next((b.title for b in offered if b.payload == payload), payload)
        cleaned = clean_text(text or "")
        if not cleaned:
            return [Reply(self._responses.text("utter_frontdoor_empty", channel))]
        if len(cleaned) > self._max_chars:
            return [Reply(self._responses.text("utter_frontdoor_too_long", channel))]
        await self.cases.add_message(case.id, USER, cleaned, self._clock(), delivered=True)
        self.hub.publish(case.queue, {"type": "case", "reference": case.reference})
        if case.state == WAITING:
            position = await self.cases.position(case)
            leave = self.leave_button(channel)
            await self._people.set_offered(who, [leave])
            return [
                Reply(
                    self.text(
                        "utter_frontdoor_handoff_still_waiting", channel, case, position=position
                    ),
                    (leave,),
                )
            ]
        return []

    async def leave(self, case: Case, channel: str) -> list[Reply]:
        now = self._clock()
        if await self.cases.finish(case.id, (WAITING, LIVE), LEFT, now, "person left"):
            await self.cases.add_message(
                case.id,
                NOTICE,
                self.text("utter_frontdoor_handoff_left", None, case),
                now,
                delivered=True,
            )
            self.hub.publish(case.queue, {"type": "queue"})
            self.hub.publish(case.queue, {"type": "case", "reference": case.reference})
        await self._people.set_offered(case.pseudonym, [])
        return [Reply(self.text("utter_frontdoor_handoff_left", channel, case))]

    async def feed(self, who: str, after: int | None) -> dict[str, Any]:
        """What the widget shows of the hand-off: messages after the cursor ``after``, or, when
        the page has no cursor yet (``None``: just loaded), all of the open case's; and whether
        a case is open."""
        case = await self.cases.open_case_for(who)
        if after is None:
            everything = await self.cases.messages_for(who, 0)
            cursor = max((m.id for m in everything), default=0)
            messages = [m for m in everything if case is not None and m.case_id == case.id]
        else:
            messages = await self.cases.messages_for(who, after)
            cursor = max((m.id for m in messages), default=after)
        label = self.text("utter_frontdoor_handoff_from_person", "widget", case) if case else ""
        items = []
        for message in messages:
            sender = {USER: "user", HANDLER: "person"}.get(message.sender, "notice")
            item = {"id": message.id, "from": sender, "text": message.text}
            if sender == "person":
                owner = (
                    case
                    if case and case.id == message.case_id
                    else await self.cases.case(message.case_id)
                )
                item["label"] = self.text("utter_frontdoor_handoff_from_person", "widget", owner)
            items.append(item)
        leave = self.leave_button("widget") if case else None
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
        cases = await self.cases.delete_for(who)
        if cases:
            log.info("forgot %d hand-off case(s)", cases)
            for queue in self.forces:
                self.hub.publish(queue, {"type": "queue"})

    # --- The desk's side -----------------------------------------------------------------------

    async def claim(self, case: Case, handler: str) -> bool:
        if not await self.cases.claim(case.id, handler, self._clock()):
            return False
        log.info("hand-off case claimed (%s)", case.queue)
        await self._notify(case, "utter_frontdoor_handoff_claimed", leave=True)
        self.hub.publish(case.queue, {"type": "queue"})
        return True

    async def say(self, case: Case, text: str) -> CaseMessage:
        message = await self.cases.add_message(case.id, HANDLER, text, self._clock())
        self.hub.publish(case.queue, {"type": "case", "reference": case.reference})
        await self.deliver(case, message)
        return message

    async def close(self, case: Case, outcome: str) -> bool:
        """End a live chat (the person is told and is back with the assistant), or record the
        outcome of a referred case someone called 101 about."""
        if case.state == LIVE:
            if not await self.cases.finish(case.id, (LIVE,), CLOSED, self._clock(), outcome):
                return False
            await self._notify(case, "utter_frontdoor_handoff_ended", leave=False)
        elif not await self.cases.finish(case.id, (REFERRED,), CLOSED, self._clock(), outcome):
            return False
        self.hub.publish(case.queue, {"type": "queue"})
        self.hub.publish(case.queue, {"type": "case", "reference": case.reference})
        return True

    # --- Delivery ------------------------------------------------------------------------------

    async def _notify(self, case: Case, response: str, *, leave: bool) -> None:
        text = self.text(response, case.channel, case)
        message = await self.cases.add_message(case.id, NOTICE, text, self._clock())
        self.hub.publish(case.queue, {"type": "case", "reference": case.reference})
        await self._people.set_offered(
            case.pseudonym, [self.leave_button(case.channel)] if leave else []
        )
        await self.deliver(case, message, leave=leave)

    async def deliver(self, case: Case, message: CaseMessage, *, leave: bool = False) -> None:
        """Send a stored message to the person's door. Doors without push (the widget) fetch
        it with ``feed``; a failed push stays undelivered and is tried again on the next tick."""
        pusher = self.pushers.get(case.channel)
        if pusher is None:
            await self.cases.mark_delivered(message.id)
            return
        address = await self._people.address(case.pseudonym)
        if address is None:
            # Forgotten or expired: there is nobody to send it to any more.
            await self.cases.mark_delivered(message.id)
            return
        text = message.text
        if message.sender == HANDLER:
            label = self.text("utter_frontdoor_handoff_from_person", case.channel, case)
            text = f"{label}\n{message.text}"
        buttons = (self.leave_button(case.channel),) if leave else ()
        try:
            await pusher(address.address, [Reply(text, buttons)])
        except Exception as error:
            log.warning("hand-off message not delivered yet: %s", type(error).__name__)
            return
        await self.cases.mark_delivered(message.id)

    # --- Housekeeping --------------------------------------------------------------------------

    async def tick(self) -> None:
        now = self._clock()
        for case in await self.cases.waiting_since(now - self._wait_seconds):
            if await self.cases.finish(case.id, (WAITING,), REFERRED, now):
                log.info("hand-off case not picked up in time (%s)", case.queue)
                await self._notify(case, "utter_frontdoor_handoff_no_answer", leave=False)
                self.hub.publish(case.queue, {"type": "queue"})
        for case, message in await self.cases.undelivered():
            await self.deliver(
                case, message, leave=case.state in (WAITING, LIVE) and message.sender == NOTICE
            )

    async def purge(self, now: float | None = None) -> int:
        """Retention (``AIC_HANDOFF_RETENTION_DAYS``): ended cases and expired desk sessions."""
        now = self._clock() if now is None else now
        deleted = await self.cases.purge(now - self._retention_seconds)
        await self.cases.purge_sessions(now)
        if deleted:
            log.info("retention: deleted %d hand-off case(s)", deleted)
        return deleted
