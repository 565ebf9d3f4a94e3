"""`make bench`'s rounds: the order of the doors, and the warm-up burst of first turns."""

from __future__ import annotations

from collections import defaultdict

import aiohttp
from aiohttp import web

from bench.bot_api_peer import BotApiPeer
from bench.load_people import (
    SCRIPT,
    Door,
    RestDoor,
    Result,
    TelegramDoor,
    WidgetDoor,
    pause,
    run_people,
)
from bench.load_report import print_cold_start, round_order
from bench.load_stack import Stack
from tests.loopback import serving


def test_pauses_between_turns_differ_from_person_to_person_and_are_the_same_through_every_door():
    # Turn -1: before the first turn, so people do not all start at once either.
    pauses = [[pause(2.0, person, turn) for turn in range(-1, 12)] for person in range(50)]
    assert all(1.0 <= seconds <= 3.0 for row in pauses for seconds in row)
    # Nobody keeps in step with anyone else: no two people start or pause alike.
    assert len({row[0] for row in pauses}) == len({row[1] for row in pauses}) == 50
    assert 1.8 < sum(map(sum, pauses)) / (50 * 13) < 2.2
    # Asked again (as for the next door), each person's pauses are the same.
    assert pauses == [[pause(2.0, person, turn) for turn in range(-1, 12)] for person in range(50)]
    assert pause(0.0, 3, 4) == 0.0


def test_each_door_runs_first_middle_and_last_in_turn():
    doors = ["rest", "widget", "telegram"]
    orders = [round_order(doors, n) for n in range(1, 5)]
    assert orders == [
        ["rest", "widget", "telegram"],
        ["widget", "telegram", "rest"],
        ["telegram", "rest", "widget"],
        ["rest", "widget", "telegram"],
    ]
    for door in doors:
        assert sorted(order.index(door) for order in orders[:3]) == [0, 1, 2]


class TrackerDoor(Door):
    """People whose words go straight into a tracker served by a stand-in Rasa."""

    name = "stand-in"
    key = "stand-in"

    def __init__(self, stack: Stack, http: aiohttp.ClientSession, said: dict[str, list[str]]):
        super().__init__(stack, http)
        self.said = said

    def person(self, index: int):
        sender = f"person-{index}"

        async def turn(text: str) -> tuple[float, list[str]]:
            self.said[sender].append(text)
            return 0.01 * (index + 1), ["a reply"]

        return sender, turn


async def test_a_burst_of_first_turns_is_checked_against_those_turns_only():
    said: dict[str, list[str]] = defaultdict(list)

    async def tracker(request: web.Request) -> web.Response:
        texts = said[request.match_info["sender"]]
        return web.json_response({"events": [{"event": "user", "text": t} for t in texts]})

    app = web.Application()
    app.router.add_get("/conversations/{sender}/tracker", tracker)
    async with serving(app) as url, aiohttp.ClientSession() as http:
        door = TrackerDoor(Stack([url], "", "", {}, BotApiPeer()), http, said)
        burst = await run_people(door, 3, 0, SCRIPT[:1])
        whole = await run_people(door, 2, 0)
    assert (burst.messages, burst.lost, burst.out_of_order, burst.failed) == (3, 0, 0, 0)
    assert list(burst.by_turn) == [0]
    # The same people again: their trackers now hold the first turn twice.
    assert whole.messages == 2 * len(SCRIPT)
    assert whole.out_of_order == 2


def test_the_cold_start_table_gives_each_door_its_first_turns(capsys):
    cold = [
        (RestDoor.name, Result(latencies=[0.5] * 19 + [0.9])),
        (WidgetDoor.name, Result(latencies=[0.5] * 18 + [1.8, 2.5], failed=1)),
        (TelegramDoor.name, Result()),
    ]
    print_cold_start(cold)
    lines = capsys.readouterr().out.splitlines()
    assert f"| {RestDoor.name} | 500 | 520 | 900 | 0 |" in lines
    assert f"| {WidgetDoor.name} | 500 | 1835 | 2500 | 1 |" in lines
    assert any(line.startswith(f"| {TelegramDoor.name} |") for line in lines)


def test_a_telegram_person_has_a_chat_of_their_own_in_every_run():
    from bot.rasa_client import home_index

    stack = Stack(["http://a", "http://b"], "", "", {}, BotApiPeer())
    door = TelegramDoor(stack, None, [1] * len(SCRIPT), "polling")  # type: ignore[arg-type]
    senders = [door.person(index)[0] for _ in range(3) for index in range(4)]
    assert len(set(senders)) == len(senders)
    assert [home_index(sender, 2) for sender in senders] == [0, 1, 0, 1] * 3
