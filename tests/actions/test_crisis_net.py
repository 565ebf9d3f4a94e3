import pytest
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from addons.crisis import CrisisSafetyNet, mentions_risk_to_life


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


def test_a_crisis_stays_a_crisis_when_the_classifier_was_sure_of_something_else():
    """DIET took "honestly i just want to end it all" for affirm at 0.98: with the crisis forced
    to 1.0 beside it, the fallback's ambiguity margin (config.yml) turned it into nlu_fallback."""
    message = Message(
        data={
            TEXT: "honestly i just want to end it all",
            INTENT: {"name": "affirm", "confidence": 0.977},
            INTENT_RANKING_KEY: [
                {"name": "affirm", "confidence": 0.977},
                {"name": "crisis", "confidence": 0.01},
            ],
        }
    )
    net = CrisisSafetyNet.create({}, None, None, None)
    fallback = FallbackClassifier.create(
        {**FallbackClassifier.get_default_config(), "threshold": 0.55, "ambiguity_threshold": 0.05},
        None,
        None,
        None,
    )
    [message] = fallback.process(net.process([message]))
    assert message.get(INTENT)["name"] == "crisis"
