import pytest

from addons.crisis import mentions_risk_to_life


@pytest.mark.parametrize(
    "text",
    [
        "i've taken a load of paracetamol",
        "i swallowed all my antidepressants",
        "i'm not going to be here tomorrow",
        "everyone would be better without me",
        "i can't take this any more",
        "i'm ending it tonight",
        "i've had enough of life",
        "nobody will miss me",
        "i've written a note",
        "i want to kill myself",
    ],
)
def test_risk_to_life_is_caught_whatever_the_classifier_says(text):
    assert mentions_risk_to_life(text)


@pytest.mark.parametrize(
    "text",
    [
        "they want £200 or they'll post it",
        "will they really post it?",
        "i'm not going to pay them",
        "i took screenshots of everything",
        "i wrote down the username",
        "i can't believe this happened",
    ],
)
def test_ordinary_messages_are_not_taken_for_a_crisis(text):
    assert not mentions_risk_to_life(text)
