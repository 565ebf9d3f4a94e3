"""A safety net in the NLU pipeline: clear risk-to-life phrases always become the `crisis` intent.

A learned classifier can miss a crisis message that also talks about the blackmail
("they posted it, I want to die"). Missing it is the worst error this assistant can make, so
these phrases override whatever the classifier predicted.
"""

from __future__ import annotations

import re

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from addons.components import StatelessComponent

CRISIS_INTENT = "crisis"

_PHRASES = [
    r"kill(?:ing)? my ?self",
    r"end(?:ing)? (?:my|it) (?:life|all)",
    r"end it all",
    r"take my (?:own )?life",
    r"suicid\w*",
    r"(?:want|wanna|going|gonna) (?:to )?die",
    r"(?:rather|better off) (?:be )?dead",
    r"better off without me",
    r"no (?:reason|point) (?:to|in) (?:live|living|go on|going on)",
    r"can'?t (?:go on|carry on|live with)",
    r"don'?t want to (?:live|be alive|be here)",
    r"not want(?:ing)? to (?:live|be alive|be here)",
    r"self[- ]?harm\w*",
    r"hurt(?:ing)? my ?self",
    r"cut(?:ting)? my ?self",
    r"(?:took|taken|take|swallowed) (?:an? )?(?:overdose|pills|tablets)",
    r"(?:took|taken|swallowed) (?:a load of |loads of |all (?:of )?my |a whole packet of )?"
    r"(?:paracetamol|ibuprofen|co-?codamol|antidepressants|sleeping pills)",
    r"not (?:going to|gonna) be (?:here|around) (?:tomorrow|much longer|anymore|any more)",
    r"better without me",
    r"can'?t (?:do|take) (?:this|it) any ?more",
    r"end(?:ing)? it (?:tonight|now|today)",
    r"(?:had enough of|done with) (?:life|living)",
    r"nobody (?:will|would) miss me",
    r"(?:written|wrote|writing) (?:a|my) (?:suicide )?note",
    r"overdos\w*",
    r"hang(?:ing)? my ?self",
    r"jump (?:off|in front)",
]
# The same in Welsh, with the mutated forms people type ("ladd fy hun", "eisiau marw", "isio
# marw", "moyn marw"); see i18n/GLOSSARY.md. Written for tests/welsh/test_crisis_cy.py.
_PHRASES_CY = [
    r"l?ladd fy hun(?:an)?",
    r"l?ladd ei hun(?:an)?",
    r"hunan-?laddiad\w*",
    r"hunan-?leiddiol",
    r"(?:eisiau|isio|isie|ishe|eisio|moyn|mo'yn|am) (?:marw|farw)",
    r"(?:well|gwell) (?:gen i|gyda fi|gennyf) (?:fod yn farw|farw|marw)",
    r"(?:well|gwell) (?:eu|ei) byd heb(?:dda| fi)",
    r"well (?:heb|hebdda) (?:fi|i)\b",
    r"(?:ddim|dim) (?:eisiau|isio|isie|moyn|mo'yn|eisio) (?:byw|bod yn fyw|bod yma)",
    r"(?:sai|sa i) (?:moyn|mo'yn|isie|eisiau) (?:byw|bod yma)",
    r"(?:dim|does dim) (?:pwynt|rheswm) (?:byw|i fyw|mewn byw|bod yn fyw)",
    r"(?:methu|alla i ddim|galla i ddim|fedra i ddim)"
    r" (?:mynd ymlaen|cario ymlaen|cario mlaen|byw efo|byw gyda)",
    r"hunan-? ?niweidio",
    r"(?:niweidio|anafu|brifo|torri|crogi) fy hun(?:an)?",
    r"(?:cymryd|cymerais|llyncu|llyncais) (?:gorddos|tabledi|pils)",
    r"g?orddos\w*",
    r"(?:rhoi diwedd ar|rhoi terfyn ar|gorffen|diweddu|cymryd) fy (?:mywyd|mywyd fy hun)",
    r"d?dod (?:â|a)['’]?r cyfan i ben",
    r"neidio (?:oddi ar|o flaen)",
]
CRISIS_PATTERN = re.compile(r"\b(?:" + "|".join(_PHRASES + _PHRASES_CY) + r")", re.IGNORECASE)


def mentions_risk_to_life(text: str) -> bool:
    return bool(text) and CRISIS_PATTERN.search(text) is not None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class CrisisSafetyNet(StatelessComponent):
    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if mentions_risk_to_life(message.get(TEXT) or ""):
                message.set(INTENT, {"name": CRISIS_INTENT, "confidence": 1.0}, add_to_output=True)
                # The others keep their order at no confidence: left as they were, one the
                # classifier was sure of ("honestly..." as affirm, 0.98) would sit within the
                # fallback's ambiguity margin of the crisis, and the message would become
                # nlu_fallback.
                ranking = [
                    {**entry, "confidence": 0.0}
                    for entry in message.get(INTENT_RANKING_KEY) or []
                    if entry.get("name") != CRISIS_INTENT
                ]
                message.set(
                    INTENT_RANKING_KEY,
                    [{"name": CRISIS_INTENT, "confidence": 1.0}, *ranking],
                    add_to_output=True,
                )
        return messages
