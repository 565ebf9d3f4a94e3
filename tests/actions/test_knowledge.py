import pytest

from actions import knowledge


@pytest.mark.parametrize(
    ("said", "force"),
    [
        ("Cardiff", "south_wales"),
        ("i live in abertawe", "south_wales"),
        ("Ebbw Vale", "gwent"),
        ("near Casnewydd", "gwent"),
        ("Wrexham", "north_wales"),
        ("Ynys Môn", "north_wales"),
        ("aberystwyth", "dyfed_powys"),
        ("Carmarthen", "dyfed_powys"),
        ("Swindon", "wiltshire"),
        ("salisbury", "wiltshire"),
        ("Bournemouth", "dorset"),
        ("poole", "dorset"),
        ("dyfed-powys", "dyfed_powys"),
        ("North Wales", "north_wales"),
        ("London", "elsewhere"),
        ("uk", "elsewhere"),
    ],
)
def test_places_map_to_their_force(said, force):
    assert knowledge.force_for_place(said) == force


def test_an_unknown_place_is_not_guessed():
    assert knowledge.force_for_place("narnia") is None


def test_every_force_has_the_details_the_advice_needs():
    for force_id in knowledge.knowledge()["forces"]:
        details = knowledge.force_details(force_id)
        assert details["force_name"].endswith("Police")
        assert details["force_website"].startswith("https://")


def test_no_area_gives_the_national_route():
    assert knowledge.force_details(None)["force_name"] == "your local police"
    assert knowledge.force_details("elsewhere")["force_website"] == "https://www.police.uk"


@pytest.mark.parametrize(
    ("said", "platform"),
    [
        ("insta", "instagram"),
        ("IG", "instagram"),
        ("it was on snap", "snapchat"),
        ("FB messenger", "messenger"),
        ("fb", "facebook"),
        ("POF", "plenty_of_fish"),
        ("whats app", "whatsapp"),
        ("omegle", "chat_site"),
        ("my hotmail", "email"),
        ("grindr", "grindr"),
        ("tik tok", "tiktok"),
    ],
)
def test_platform_slang_is_recognised(said, platform):
    assert knowledge.canonical_platform(said) == platform


def test_every_platform_has_a_reporting_route():
    for platform_id in knowledge.knowledge()["platforms"]:
        details = knowledge.platform_details(platform_id)
        assert details["platform_report"]


@pytest.mark.parametrize(
    ("said", "method"),
    [
        ("Western Union", "money_transfer_service"),
        ("itunes cards", "gift_cards"),
        ("bitcoin", "crypto"),
        ("bank transfer", "bank_transfer"),
    ],
)
def test_payment_methods(said, method):
    assert knowledge.canonical_payment_method(said) == method


@pytest.mark.parametrize(
    ("said", "amount"),
    [
        ("£200", 200),
        ("£1,500", 1500),
        ("2 grand", 2000),
        ("300 quid", 300),
        ("£2k", 2000),
        ("about 49.99", 49.99),
    ],
)
def test_amounts(said, amount):
    assert knowledge.parse_amount(said) == amount


def test_not_an_amount():
    assert knowledge.parse_amount("loads") is None


@pytest.mark.parametrize(
    ("said", "age"), [("I'm 15", 15), ("16 years old", 16), ("im 34", 34), ("no idea", None)]
)
def test_ages(said, age):
    assert knowledge.parse_age(said) == age


@pytest.mark.parametrize(
    "text",
    [
        "I sent her £200 by Western Union an hour ago",
        "i've already paid them",
        "I paid £50",
        "i transferred 300 quid",
    ],
)
def test_saying_money_was_paid(text):
    assert knowledge.says_money_was_paid(text)


@pytest.mark.parametrize(
    "text", ["they want £500", "he is asking for 200 pounds", "she demanded bitcoin"]
)
def test_a_demand_is_not_a_payment(text):
    assert not knowledge.says_money_was_paid(text)
