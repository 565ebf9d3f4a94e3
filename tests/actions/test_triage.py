import pytest

from actions import knowledge
from actions.triage import ValidateTriageForm, triage_questions, under_18_from_answer
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
        ("unknown", "unknown"),
        ("15", "yes"),
        ("I'm 17", "yes"),
        ("i am 18", "no"),
        ("42", "no"),
        ("dunno mate", None),
    ],
)
def test_under_18_answers(answer, under_18):
    assert under_18_from_answer(answer) == under_18


async def test_a_payment_mentioned_in_passing_answers_the_paid_question(dispatcher, domain):
    tracker = make_tracker(
        text="a girl on Instagram recorded our video call, I sent her £200 by Western Union"
    )
    assert await FORM.extract_paid(dispatcher, tracker, domain) == {"paid": "yes"}


async def test_a_demand_does_not_answer_the_paid_question(dispatcher, domain):
    tracker = make_tracker(text="they recorded me on skype and want £500")
    assert await FORM.extract_paid(dispatcher, tracker, domain) == {}


async def test_a_stated_age_answers_the_under_18_question(dispatcher, domain):
    tracker = make_tracker(slots={"age": "im 15"})
    assert await FORM.extract_under_18(dispatcher, tracker, domain) == {"under_18": "yes"}


def test_platforms_are_made_canonical(dispatcher, domain):
    result = FORM.validate_platforms(["insta", "snap", "insta"], dispatcher, make_tracker(), domain)
    assert result == {"platforms": ["instagram", "snapchat"]}
    assert responses(dispatcher) == []


def test_an_unknown_platform_is_accepted_kindly(dispatcher, domain):
    assert FORM.validate_platforms("some random site", dispatcher, make_tracker(), domain) == {
        "platforms": ["other"]
    }
    assert responses(dispatcher) == ["utter_platform_not_recognised"]


def test_a_town_becomes_its_force(dispatcher, domain):
    assert FORM.validate_force_area("Swansea", dispatcher, make_tracker(), domain) == {
        "force_area": "south_wales"
    }


def test_an_unknown_place_is_asked_again(dispatcher, domain):
    assert FORM.validate_force_area("atlantis", dispatcher, make_tracker(), domain) == {
        "force_area": None
    }
    assert responses(dispatcher) == ["utter_place_not_recognised"]


def test_amounts_are_read_or_asked_again(dispatcher, domain):
    asked = make_tracker(slots={"requested_slot": "amount"})
    assert FORM.validate_amount("£1,200", dispatcher, asked, domain) == {"amount": "1200"}
    assert FORM.validate_amount("a lot", dispatcher, asked, domain) == {"amount": None}
    assert responses(dispatcher) == ["utter_amount_not_understood"]


def test_not_being_safe_brings_the_emergency_numbers_at_once(dispatcher, domain):
    assert FORM.validate_safe_now("no", dispatcher, make_tracker(), domain) == {"safe_now": "no"}
    assert responses(dispatcher) == ["utter_crisis_unsafe"]


async def test_a_crisis_message_that_also_answers_a_question_still_gets_the_crisis_message_first(
    dispatcher, domain
):
    tracker = make_tracker(
        intent="crisis",
        text="im 15 and i want to die",
        active_loop="triage_form",
        slots={"requested_slot": "under_18"},
    )
    await FORM.run(dispatcher, tracker, domain)
    assert responses(dispatcher)[0] == "utter_crisis"


def test_only_the_someone_else_value_frames_the_triage_for_someone_else(dispatcher, domain):
    tracker = make_tracker()
    assert FORM.validate_asking_for("someone_else", dispatcher, tracker, domain) == {
        "asking_for": "someone_else"
    }
    assert FORM.validate_asking_for("mum", dispatcher, tracker, domain) == {"asking_for": None}


@pytest.mark.parametrize(
    ("answer", "under_18"),
    [
        ("I'm under 18", "yes"),
        ("under 16", "yes"),
        ("o dan 18", "yes"),
        ("dw i dan 18 oed", "yes"),
        ("over 18", "no"),
        ("18+", "no"),
        ("dros 18", "no"),
        ("dw i'n 15 oed", "yes"),
        ("mae e'n 14", "yes"),
        ("dw i'n 34", "no"),
        ("under 21", None),
        ("over 12", None),
    ],
)
def test_age_bounds_and_welsh_ages(answer, under_18):
    assert under_18_from_answer(answer) == under_18


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


async def test_a_welsh_payment_in_passing_answers_the_paid_question(dispatcher, domain):
    tracker = make_tracker(text="recordiodd hi fi ar Skype a talais i £200 iddi drwy PayPal")
    assert await FORM.extract_paid(dispatcher, tracker, domain) == {"paid": "yes"}


async def test_a_welsh_demand_does_not_answer_the_paid_question(dispatcher, domain):
    tracker = make_tracker(text="mae rhywun wedi fy recordio i ac eisiau £500")
    assert await FORM.extract_paid(dispatcher, tracker, domain) == {}


@pytest.mark.parametrize(
    ("answer", "under_18"),
    [
        ("fifteen", "yes"),
        ("i'm seventeen", "yes"),
        ("under eighteen", "yes"),
        ("nineteen", "no"),
        ("pymtheg oed", "yes"),
        ("dw i'n bymtheg", "yes"),
        ("mae e'n bedwar ar ddeg", "yes"),
        ("un deg chwech", "yes"),
        ("o dan ddeunaw", "yes"),
        ("dros ddeunaw", "no"),
        ("dw i'n ddau ddeg", "no"),
    ],
)
def test_ages_in_words(answer, under_18):
    assert under_18_from_answer(answer) == under_18


@pytest.mark.parametrize(
    ("slot", "good", "bad"),
    [
        (
            "incident_type",
            ["webcam", "images", "phishing", "known_person", "other", "unknown"],
            "x",
        ),
        ("paid", ["yes", "no", "unknown"], "maybe"),
        ("collected", ["yes", "no", "unknown"], "soon"),
    ],
)
def test_only_the_answers_the_domain_gives_are_kept(dispatcher, domain, slot, good, bad):
    validate = getattr(FORM, f"validate_{slot}")
    for value in good:
        assert validate(value, dispatcher, make_tracker(), domain) == {slot: value}
    # A hand-made payload sent straight to Rasa: the question is asked again.
    assert validate(bad, dispatcher, make_tracker(), domain) == {slot: None}
    assert validate(["yes"], dispatcher, make_tracker(), domain) == {slot: None}
    assert responses(dispatcher) == []


def test_every_required_slot_has_a_validator():
    # rasa_sdk logs a warning on every turn for a required slot without one.
    for kind in ["webcam", "phishing"]:
        for slot in triage_questions(kind, "yes"):
            assert callable(getattr(FORM, f"validate_{slot}", None)), slot
