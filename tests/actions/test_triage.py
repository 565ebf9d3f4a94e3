import pytest

from actions import knowledge
from actions.answers import read_under_18
from actions.triage import Turn, ValidateTriageForm, asks_in_a_row, read_turn, triage_questions
from tests.actions.conftest import make_tracker, responses

FORM = ValidateTriageForm()


def test_questions_for_someone_who_has_not_paid():
    assert triage_questions("webcam", "no") == [
        "incident_type",
        "platforms",
        "paid",
        "under_18",
        "safe_now",
        "force_area",
    ]


def test_payment_questions_follow_a_yes():
    assert triage_questions("images", "yes") == [
        "incident_type",
        "platforms",
        "paid",
        "payment_method",
        "amount",
        "collected",
        "under_18",
        "safe_now",
        "force_area",
    ]


def test_phishing_does_not_ask_for_the_platform():
    assert "platforms" not in triage_questions("phishing", None)


def test_safety_questions_are_always_asked():
    for kind in ["webcam", "images", "phishing", "known_person", "other", None]:
        for paid in ["yes", "no", "unknown", None]:
            questions = triage_questions(kind, paid)
            assert {"under_18", "safe_now"} <= set(questions)


@pytest.mark.parametrize(
    ("answer", "under_18"),
    [
        ("yes", "yes"),
        ("no", "no"),
        ("dunno", "unknown"),
        ("15", "yes"),
        ("I'm 17", "yes"),
        ("i am 18", "no"),
        ("42", "no"),
        ("I'm under 18", "yes"),
        ("under 16", "yes"),
        ("o dan 18", "yes"),
        ("over 18", "no"),
        ("18+", "no"),
        ("dros 18", "no"),
        ("dw i'n 15 oed", "yes"),
        ("mae e'n 14", "yes"),
        ("dw i'n 34", "no"),
        ("fifteen", "yes"),
        ("i'm seventeen", "yes"),
        ("nineteen", "no"),
        ("dw i'n bymtheg", "yes"),
        ("o dan ddeunaw", "yes"),
        ("year 10", "yes"),
        ("she's in year 9", "yes"),
        ("ym mlwyddyn 11", "yes"),
        ("nearly 18", "yes"),
        ("I'm at uni", "no"),
        ("in my thirties", "no"),
        ("over 12", None),
    ],
)
def test_under_18_answers(answer, under_18):
    assert read_under_18(answer) == under_18


@pytest.mark.parametrize(
    ("question", "typed", "fact"),
    [
        # The issue's examples: read in the context of their question.
        ("safe_now", "I'm fine", "yes"),
        ("safe_now", "im fine", "yes"),
        ("safe_now", "I'm ok", "yes"),
        ("safe_now", "no im fine", "yes"),
        ("safe_now", "they're ok", "yes"),
        ("safe_now", "not really", "no"),
        ("safe_now", "dw i'n iawn", "yes"),
        ("collected", "I don't think it's been collected yet", "no"),
        ("collected", "not yet", "no"),
        ("collected", "I think so", "yes"),
        ("collected", "no idea", "unknown"),
        ("collected", "dw i ddim yn meddwl ei fod wedi mynd", "no"),
        ("paid", "he hasn't paid", "no"),
        ("paid", "nope", "no"),
        ("paid", "ye", "yes"),
        ("paid", "probably", "yes"),
        ("paid", "naddo", "no"),
        ("paid", "do", "yes"),
        ("paid", "sai'n gwbod", "unknown"),
        ("amount", "two hundred quid", "two hundred quid"),
        ("amount", "0.01 bitcoin", "0.01 bitcoin"),
        ("amount", "$500", "$500"),
        ("amount", "a couple of hundred", "a couple of hundred"),
        ("platforms", "Facebook", ["facebook"]),
        ("platforms", "insta then snap", ["instagram", "snapchat"]),
        ("force_area", "pont y pwl", "gwent"),
    ],
)
def test_typed_answers_are_read_in_the_context_of_their_question(question, typed, fact):
    outcome = read_turn(question, {}, Turn(typed), asked=1)
    assert outcome.slots[question] == fact


def test_facts_in_the_first_message_are_all_taken():
    outcome = read_turn(
        None,
        {},
        Turn(
            "a girl on Instagram recorded our video call, I sent her £200 by Western Union",
            intent="report_webcam",
        ),
        asked=0,
    )
    assert outcome.slots == {
        "incident_type": "webcam",
        "platforms": ["instagram"],
        "paid": "yes",
        "payment_method": "money_transfer_service",
        "amount": "£200",
    }


@pytest.mark.parametrize(
    ("typed", "facts"),
    [
        ("someone recorded me on skype, I haven't paid", {"paid": "no"}),
        ("I've already sent them 0.01 bitcoin", {"paid": "yes", "amount": "0.01 bitcoin"}),
        ("i paid £300 and the money has already been picked up", {"collected": "yes"}),
        ("my 14 year old son is being blackmailed with photos", {"under_18": "yes"}),
        ("they recorded me on skype and want £500", {"incident_type": "webcam"}),
    ],
)
def test_statements_in_an_opening_message(typed, facts):
    slots = read_turn(None, {}, Turn(typed), asked=0).slots
    assert {key: slots.get(key) for key in facts} == facts
    if typed.endswith("want £500"):
        assert "paid" not in slots


def test_a_parent_describing_their_child_frames_the_triage_for_someone_else():
    slots = read_turn(
        None, {}, Turn("my 14 year old son, someone is blackmailing him with photos"), asked=0
    ).slots
    assert slots["asking_for"] == "someone_else"
    assert slots["incident_type"] == "images"
    assert slots["under_18"] == "yes"
    assert read_turn(None, {}, Turn("should I tell my mum?"), asked=0).slots == {}


def test_a_correction_changes_the_fact():
    outcome = read_turn("safe_now", {"paid": "no"}, Turn("actually I did pay them"), asked=1)
    assert outcome.slots["paid"] == "yes"
    assert read_turn("safe_now", {"under_18": "no"}, Turn("sorry, I'm 16"), 1).slots == {
        "under_18": "yes"
    }


def test_an_answer_not_understood_gets_a_hint_then_moves_on():
    first = read_turn("safe_now", {}, Turn("blue"), asked=1)
    assert first.slots == {}
    assert first.responses == ["utter_hint_safe_now"]
    second = read_turn("safe_now", {}, Turn("purple"), asked=2)
    assert second.slots == {"safe_now": "unknown"}
    # Not known to be safe: the emergency numbers come with moving on.
    assert second.responses == ["utter_moving_on", "utter_crisis_unsafe"]


@pytest.mark.parametrize(
    "typed", ["I don't know, what should I do?", "help", "what now?", "beth ddylwn i wneud?"]
)
def test_what_should_i_do_moves_the_person_on(typed):
    assert read_turn("paid", {}, Turn(typed), asked=1).slots["paid"] == "unknown"


def test_a_question_along_the_way_is_answered_and_the_question_asked_again():
    outcome = read_turn(
        "paid", {}, Turn("will they actually post it?", intent="ask_will_they_post"), asked=1
    )
    assert outcome.slots == {}
    assert outcome.responses == ["utter_answer_will_they_post"]


def test_asking_for_a_person_leaves_the_form_to_the_rules():
    assert read_turn("paid", {}, Turn("can I talk to someone", intent="talk_to_person"), 1) is None


def test_buttons_still_answer():
    assert read_turn("paid", {}, Turn("/affirm", intent="affirm"), 1).slots == {"paid": "yes"}
    assert read_turn("platforms", {}, Turn("/skip", intent="skip"), 1).slots == {
        "platforms": ["unknown"]
    }
    place = Turn('/inform{"place":"dorset"}', "inform", ({"entity": "place", "value": "dorset"},))
    assert read_turn("force_area", {}, place, 1).slots == {"force_area": "dorset"}


def test_asks_are_counted_from_the_bots_messages():
    def ask(slot):
        return {"event": "bot", "metadata": {"utter_action": f"utter_ask_triage_form_{slot}"}}

    user = {"event": "user", "text": "x"}
    events = [ask("paid"), user, ask("under_18"), user, ask("under_18"), user]
    assert asks_in_a_row(events, "under_18") == 2
    assert asks_in_a_row(events[:2], "paid") == 1


async def test_the_form_asks_the_next_question_and_says_the_crisis_first(dispatcher, domain):
    tracker = make_tracker(
        intent="crisis",
        text="im 15 and i want to die",
        active_loop="triage_form",
        slots={
            "requested_slot": "under_18",
            "incident_type": "images",
            "platforms": ["kik"],
            "paid": "no",
        },
    )
    events = await FORM.run(dispatcher, tracker, domain)
    assert responses(dispatcher)[0] == "utter_crisis"
    slots = {event["name"]: event["value"] for event in events}
    assert slots["under_18"] == "yes"
    assert slots["requested_slot"] == "safe_now"


@pytest.mark.parametrize(
    "text",
    [
        # English
        "a girl on Instagram recorded our video call, I sent her £200 by Western Union",
        "i've already paid them",
        "I paid £150 last night",
        "i gave them 300 quid",
        "I bought them £100 of steam gift cards",
        "we sent the money through paypal",
        "my son has paid them twice",
        # Welsh
        "dw i wedi talu",
        "dwi di talu nhw ddoe",
        "talais i £200 iddo",
        "mi dalais i 50 punt",
        "anfonais i arian",
        "anfones i £80 drwy Western Union",
        "nes i dalu neithiwr",
        "wnes i anfon pres iddo fo",
        "gyrrais i 100 o bunnoedd",
        "dw i wedi anfon £300 ato fe",
        "rydw i wedi prynu cardiau rhodd iddyn nhw",
        "mae'r mab wedi talu £40",
    ],
)
def test_saying_money_was_paid(text):
    assert knowledge.says_money_was_paid(text)


@pytest.mark.parametrize(
    "text",
    [
        "they recorded me on skype and want £500",
        "I sent him nudes and now he wants £500",
        "i sent her pictures",
        "I haven't paid them",
        "i didn't send any money",
        "he sent me a message demanding £200",
        "they told me to pay or they'll post it",
        "maen nhw eisiau £500",
        "dw i ddim wedi talu",
        "dwi heb dalu",
        "nes i ddim talu dim byd",
        "thalais i ddim",
        "anfonais i ddim arian",
        "anfonais i luniau a nawr mae e eisiau £300",
        "mae e eisiau i fi dalu £200",
    ],
)
def test_not_saying_money_was_paid(text):
    assert not knowledge.says_money_was_paid(text)


@pytest.mark.parametrize(
    "text",
    [
        "recordiodd hi fi ar Skype a talais i £200 iddi drwy PayPal",
    ],
)
def test_a_welsh_payment_in_passing_answers_the_paid_question(text):
    assert read_turn(None, {}, Turn(text), asked=0).slots["paid"] == "yes"


def test_a_welsh_demand_does_not_answer_the_paid_question():
    assert (
        "paid"
        not in read_turn(None, {}, Turn("mae rhywun wedi fy recordio i ac eisiau £500"), 0).slots
    )


@pytest.mark.parametrize(
    ("typed", "facts"),
    [
        ("email says they hacked my laptop, sai wedi talu", {"paid": "no"}),
        ("she's already given them £50 in steam cards", {"paid": "yes", "amount": "£50"}),
        ("he sent me a message demanding £200", {"paid": None}),
        ("they made me send £300 by western union", {"paid": "yes", "amount": "£300"}),
        ("my brother is 17 and he's being blackmailed", {"under_18": "yes"}),
        ("mae fy mab i'n 14", {"under_18": "yes"}),
        ("dim ond 13 yw e", {"under_18": "yes"}),
        ("someone on snap has my pics", {"platforms": ["snapchat"]}),
        ("oh snap, I sent pics", {"platforms": None}),
        ("talais i mewn bitcoin, tua £500", {"amount": "£500"}),
        ("dw i wedi talu mil o bunnoedd trwy'r banc", {"amount": "mil o bunnoedd"}),
    ],
)
def test_statements_in_english_and_welsh(typed, facts):
    slots = read_turn(None, {}, Turn(typed), asked=0).slots
    assert {key: slots.get(key) for key in facts} == facts


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("paid", "ydy hyn yn sgam?"),
        ("under_18", "ydyn nhw wir wedi gweld fi?"),
        ("paid", "is this a crime?"),
        ("safe_now", "oes rhaid i fi ddeud wrth ei rhieni hi?"),
    ],
)
def test_a_question_is_not_read_as_a_yes(question, asked):
    outcome = read_turn(question, {}, Turn(asked, intent="ask_is_crime"), asked=1)
    assert question not in outcome.slots
    assert outcome.responses == ["utter_answer_is_crime"]


def test_a_crisis_says_its_message_once_and_never_brings_a_third_asking():
    crisis = Turn("i want to end it all", intent="crisis")
    assert read_turn("platforms", {}, crisis, asked=1) is None  # the crisis rule, then asked again
    third = read_turn("platforms", {}, crisis, asked=2)
    assert third.slots == {"platforms": ["unknown"]}
    assert third.responses == []  # ValidateTriageForm.run says the crisis message itself
    unsafe = read_turn("safe_now", {}, crisis, asked=1)
    assert unsafe.slots == {"safe_now": "no"}
    assert unsafe.responses == []
    assert read_turn("safe_now", {}, Turn("not really"), asked=1).responses == [
        "utter_crisis_unsafe"
    ]


def test_the_classifier_moves_a_typed_answer_on_only_when_sure():
    plea = Turn("plis peidiwch gweud wrth mam", intent="skip", confidence=0.81)
    assert "safe_now" not in read_turn("safe_now", {}, plea, asked=1).slots
    sure = Turn("i'd prefer to keep it that way", intent="skip", confidence=0.998)
    assert read_turn("safe_now", {}, sure, asked=1).slots == {"safe_now": "unknown"}


def test_the_unsafe_message_names_childline_for_under_18s(domain):
    variations = domain["responses"]["utter_crisis_unsafe"]
    for variation in variations:
        assert all(number in variation["text"] for number in ("999", "116 123", "85258"))
    child = [
        v
        for v in variations
        if {"type": "slot", "name": "under_18", "value": "yes"} in v.get("condition", [])
    ]
    assert len(child) == 2 and all("0800 1111" in v["text"] for v in child)
    # Rasa picks among every conditional variation that matches: the plain Welsh one too.
    welsh = [v for v in variations if len(v.get("condition", [])) == 1]
    assert all("0800 1111" in v["text"] for v in welsh)


@pytest.mark.parametrize(
    ("requested", "typed", "expected"),
    [
        # The answer to the other question about the person: taken there, never read here.
        ("under_18", "yes im safe", {"safe_now": "yes"}),
        ("under_18", "yndw dw i'n saff", {"safe_now": "yes"}),
        ("safe_now", "no im 30", {"under_18": "no"}),
        ("safe_now", "no, im a grown man", {"under_18": "no"}),
        # Answers to the question asked stay there.
        ("under_18", "no im 30", {"under_18": "no"}),
        ("under_18", "im a grown man", {"under_18": "no"}),
        ("under_18", "a bloke in my 40s", {"under_18": "no"}),
        ("safe_now", "no", {"safe_now": "no"}),
        ("safe_now", "no im 30 and i dont feel safe", {"safe_now": "no", "under_18": "no"}),
        ("under_18", "well gen i beidio deud", {"under_18": "unknown"}),
    ],
)
def test_an_answer_to_the_other_question_about_the_person_goes_there(requested, typed, expected):
    outcome = read_turn(requested, {}, Turn(text=typed, intent="affirm"), 1)
    assert outcome is not None and outcome.slots == expected


@pytest.mark.parametrize(
    ("typed", "answering", "expected"),
    [
        ("on x", False, ["twitter"]),
        ("they found me on x and instagram", False, ["twitter", "instagram"]),
        ("x", True, ["twitter"]),
        ("thanks x", True, []),
        ("sent him pics x", False, []),
    ],
)
def test_x_is_the_platform_only_as_a_name(typed, answering, expected):
    from actions.statements import platforms_in

    assert platforms_in(typed, answering=answering) == expected
