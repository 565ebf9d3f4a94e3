"""Facts a message states whatever was asked: "I haven't paid", "my 14 year old son", "on insta".

Read from every message in the triage, the first included, so that no question is asked
whose answer was already given, and a correction ("actually I did pay", "sorry, I'm 16")
changes the fact. Only statements count here; bare answers ("yes", "15") need their question
(actions/answers.py).
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from typing import Any

from actions import knowledge
from actions.answers import (
    NO,
    YES,
    age_in,
    amount_as_written,
    normalise,
    read_yes_no,
    says_adult,
)

INCIDENT_INTENTS = {
    "report_webcam": "webcam",
    "report_images": "images",
    "report_phishing": "phishing",
    "report_known_person": "known_person",
    "report_other": "other",
}
# What happened, from the words, when the classifier named no kind: "... is blackmailing him
# with photos". The first that matches, in this order.
_ACTOR = (
    r"(?:ex|wife|husband|boyfriend|girlfriend|partner|boss|colleague|teacher|coach|cousin|uncle"
    r"|stepdad|step-dad|classmate|flatmate|housemate|mate|friend|brother|sister|neighbour)"
)
_INCIDENT_WORDS = (
    (
        "phishing",
        r"(?:e[- ]?mail|e[- ]?bost|ebost|text|message|msg|neges)\b.*\b(?:hack|hacio|password"
        r"|pasword|cyfrinair|gyfrinair|nghyfrinair|recorded you|recordio|ffilmio|filmed|film"
        r"|camera|webcam|malware|virus|spyware|porn|bitcoin|btc|wallet|secret)"
        r"|\b(?:password|pasword|cyfrinair|gyfrinair|nghyfrinair)\b.*\b(?:e[- ]?bost|ebost"
        r"|e[- ]?mail|neges|message|text)\b"
        r"|\b(?:hacked|hacio|hacked into) (?:my|your|fy|eich|ei|her|his|their) (?:phone |ffôn )?"
        r"(?:webcam|camera|laptop|phone|device|computer|pc|gwe-?gamera|nghamera|nyfais|ffôn"
        r"|ngliniadur|nghyfrifiadur|gyfrifiadur|gliniadur)|\b(?:phone|laptop|webcam|camera"
        r"|computer|pc|ffôn|gwe-?gamera|gyfrifiadur|cyfrifiadur|ngliniadur|gliniadur)"
        r" (?:was |has been |got |wedi(?:'i)? )(?:been |cael ei )?(?:hacked|hacio)",
    ),
    (
        "other",
        r"\b(?:my|fy) (?:face|wyneb)\b|\bfake\b(?! (?:account|profile|acc|page))"
        r"|\bdeep ?fake|\bai\b|\bedited|\bphotoshop|\bolygu|\bgolygu"
        r"|\bface ?swap|(?<!cyfrif )(?<!gyfrif )(?<!proffil )\bffug"
        r"|\bnot (?:about |over )?(?:the )?(?:pictures|pics|photos|images)"
        r"|\bno (?:pictures|pics|photos|images)\b|\bdim lluniau|\bdoes dim lluniau"
        r"|\bpretending to be me|\bimpersonat|\besgus bod yn fi"
        r"|\bfel (?:tasa|petai|tase) (?:fo|e|hi)'n fi",
    ),
    (
        "known_person",
        rf"\b(?:my|his|her|their|our|yr|the|a) (?:old |former )?{_ACTOR}(?:(?:'s|s) (?:older "
        r"|younger |big "
        rf"|little )?{_ACTOR})?\b(?: \w+){{0,4}}? (?:is threatening|threatens|threatened|keeps"
        r"|says|said"
        r"|filmed|recorded|screenshotted|has (?:got )?(?:pics|photos|pictures|videos|nudes"
        r"|a video)|will|wants|is going|is gonna|got hold)"
        r"|\b(?:my|his|her|their|yr|the) ex\b|\b(?:cyn|gyn|chyn|nghyn)[- ]?(?:bartner|partner"
        r"|gariad|cariad)|\b(?:dw i|dwi|rwy|wi|ni)'n (?:ei |eu )?nabod|\bo'r gwaith|\bfrom work"
        r"|\bat work|\bex[- ](?:boyfriend|girlfriend|partner|husband|wife)|\bmy former"
        r"|\bsomeone (?:i|he|she|they) (?:know|work)|\b(?:i|he|she) work with"
        r"|\b(?:lad|boy|girl|guy|someone|kid|man|woman) (?:\w+ )?(?:in|from|at) (?:my|his|her|their"
        r"|our) (?:year|class|school|work|college|office|team|club)"
        r"|\b(?:hogyn|bachgen|boi|merch|hogan|rhywun|dyn|ffrind) (?:arall )?(?:o'r|yn ei|yn fy"
        r"|yn eu|yn yr|o|o'i|o'u|o'n|o fy) (?:ysgol|dosbarth|gwaith|coleg|flwyddyn|mlwyddyn|clwb)"
        r"|\bblaenorol\b|\b(?:fy|ei) (?:mhartner|nghariad|ngŵr|ngwraig|gŵr|gwraig|gariad)\b.{0,40}"
        r"\b(?:bygwth|postio|rhannu|recordio|ffilmio|'n deud|'n dweud)",
    ),
    (
        "webcam",
        r"\b[gn]?(?:alwad|galwad|ngalwad) fideo|\bar (?:y )?(?:camera|gamera|cam)\b|\bffilmio"
        r"|\brecordiad|\bvideo ?call|\bvideo chat|\bfacetime|\bskype|\bwebcam|\bon cam\b"
        r"|\brecorded|\bscreen ?record|\brecordio|\bgwe-?gamera|\bon video\b|\ba recording"
        r"|\brecording of",
    ),
    (
        "images",
        r"\bnudes?\b|\bpics?\b|\bpictures?\b|\bphotos?\b|\bimages?\b|\bvideos?\b|\bsnaps\b"
        r"|\bsexting|\blluniau|\bllunia\b|\bluniau|\blunia\b|\blunie\b|\bllunie\b|\bllun\b"
        r"|\blun\b|\bfideos?\b|\bnoeth|\bscreenshot|\bsgrinlun|\b(?:stuff|things|what) i sent"
        r"|\bsent in private",
    ),
    (
        "other",
        r"\b(?:got into|hacked|broke into|took over|into) (?:my|his|her) (?:account|facebook"
        r"|instagram|insta|snap|snapchat|tiktok)|\bhacio (?:fy|ei|eu) (?:nghyfrif|cyfrif|gyfrif)"
        r"|\b(?:tell|telling|dweud wrth) (?:my|his|her|fy|ei) (?:family|parents|wife|husband"
        r"|nheulu|teulu|rhieni)|\bowes?\b|\bin debt",
    ),
)
# Words so plain that they outrank the classifier: a hacked-device email, a fake, an ex.
_DECISIVE_WORDS = ("phishing", "other", "known_person")
_RELATION = (
    r"(?:son|daughter|child|kid|boy|girl|teenager|stepson|stepdaughter|nephew|niece|grandson"
    r"|granddaughter|brother|sister|friend|mate|pupil|student|partner|boyfriend|girlfriend"
    r"|husband|wife|client|young person)"
)
_FOR_SOMEONE_ELSE = re.compile(
    rf"^(?:.{{0,40}}\b)?(?:my|our) (?:\d{{1,2}} ?(?:year|yr)s?[ -]old )?{_RELATION}s?\b"
    r"(?:'s| is| was| has| have| had| got| been| being| says| said| received| sent| told"
    r"|.*\b(?:him|her|them|he|she|they|his)\b)"
    rf"|\b(?:for|about|on behalf of) (?:my|our|a) {_RELATION}\b"
    r"|\b(?:fy|ein) (?:mab|merch|mhlentyn|plentyn|ffrind|mrawd|chwaer|disgybl|myfyriwr|partner)\b"
    r"|\b(?:mab|merch|plentyn) (?:i|ni)\b"
)
_NOT_FOR_SOMEONE_ELSE = re.compile(r"\b(?:tell|told|telling|ask|asked|dweud wrth)\b")

_NOT_PAID = re.compile(
    r"\b(?:i|we|he|she|they|you)(?: have|'ve| has|'s| had|'d)? ?(?:not|n't|never)"
    r" (?:yet )?(?:paid|pay|sent (?:them |him |her )?(?:any )?(?:money|anything|a penny|cash))\b"
    r"|\b(?:haven't|hasn't|didn't|did not|have not|has not|never|won't|will not|not|refused to"
    r"|refuse to) (?:yet )?(?:paid|pay|paying)\b|\bnot paid\b|\bnot a penny\b"
    r"|\b(?:heb|ddim wedi|dim wedi|sai wedi|sa i wedi|so i wedi|smo i wedi|sai 'di|sai di)"
    r" (?:dalu|talu|anfon (?:dim )?arian)\b"
    r"|\b(?:nes|wnes|naeth|wnaeth|nath) (?:i|o|e|hi|nhw) ddim (?:talu|dalu)\b"
    r"|\bthal(?:ais|es|odd|ish) (?:i |o |e |hi )?ddim\b",
)
_COLLECTION_WORDS = re.compile(
    r"\b(?:collected|picked up|withdrawn|withdrew|cashed|redeemed|casglu|gasglu|chasglu"
    r"|pending|left (?:the|my) account|gone through|went through)\b"
)
_PLACE_CUE = re.compile(
    r"\b(?:live|living|lives|based|from|in|near|around|outside|nr|area|byw|yn|ger|o|ardal"
    r"|agos at|nghanol|ngogledd|nghymru)\s+(?:the |y |yr )?"
    r"([a-zâêîôûŵŷ'\-]+(?:[ -][a-zâêîôûŵŷ'\-]+){0,3})"
)
# Short aliases ("sc", "wa", "ig") and everyday words ("mail", "teams") name a platform only
# when they answer the platform question.
_SHORT = 3
_DATING_APPS = {"tinder", "bumble", "grindr", "hinge", "plenty_of_fish"}
_MISSPELT_MIN = 5
_MISSPELT_CUTOFF = 0.85
# Words after which a short name is a platform: "on snap", "ar sc", "on x".
_CUE_WORDS = ("on", "via", "through", "over", "using", "from", "ar", "drwy", "trwy", "dros")
_PLATFORM_CUE = "(?:{})".format("|".join(rf"(?<=\b{word} )" for word in _CUE_WORDS))
_EVERYDAY_ALIASES = {
    "mail", "teams", "inbox", "other", "transfer", "transferred", "card", "bank", "cash", "wise",
    "ria", "snap", "voucher", "vouchers", "wu", "xbox",
}  # fmt: skip


def incident_type_from(intent: str | None, text: str) -> str | None:
    said = normalise(text)
    by_words = next((kind for kind, pattern in _INCIDENT_WORDS if re.search(pattern, said)), None)
    if by_words in _DECISIVE_WORDS:
        return by_words
    return INCIDENT_INTENTS.get(intent or "") or by_words


def _everyday(alias: str) -> bool:
    return len(alias) < _SHORT or alias in _EVERYDAY_ALIASES


@lru_cache(maxsize=2)
def _platform_pattern(answering: bool) -> re.Pattern[str]:
    index = knowledge.platform_aliases()
    if answering:
        return knowledge.names_pattern(index)
    # "on snap", "ar sc": a short or everyday name counts after a word that names a place.
    plain = knowledge.names_pattern(alias for alias in index if not _everyday(alias))
    cued = knowledge.names_pattern((alias for alias in index if _everyday(alias)), _PLATFORM_CUE)
    return re.compile(f"{plain.pattern}|{cued.pattern}")


@lru_cache(maxsize=2)
def _payment_pattern(answering: bool) -> re.Pattern[str]:
    index = knowledge.payment_aliases()
    return knowledge.names_pattern(alias for alias in index if answering or not _everyday(alias))


# "x" is X only as the whole answer or after "on": not the kiss at the end of "thanks x".
_LETTER_ALIASES = {"x"}
_LETTER_CUE = re.compile(rf"\b(?:{'|'.join(_CUE_WORDS)})\s$")


def _letter_is_a_name(said: str, start: int) -> bool:
    return said.strip() == said[start : start + 1] or bool(_LETTER_CUE.search(said[:start]))


def platforms_in(text: str, *, answering: bool = False) -> list[str]:
    """Every platform a message names, in order, once each."""
    said = normalise(text).replace(" dot com", ".com")
    index = knowledge.platform_aliases()
    platforms: list[str] = []
    for match in _platform_pattern(answering).finditer(said):
        if match.group(0) in _LETTER_ALIASES and not _letter_is_a_name(said, match.start()):
            continue
        if index[match.group(0)] not in platforms:
            platforms.append(index[match.group(0)])
    if answering and not platforms:
        misspelt = _misspelt(said, index)
        platforms = [misspelt] if misspelt else []
    if "dating_app" in platforms and set(platforms) & _DATING_APPS:
        platforms.remove("dating_app")  # "a dating app, Tinder" is Tinder
    if not answering and "video_call" in platforms:
        # "recorded on a video call" says what happened, not where: the question asks that.
        platforms.remove("video_call")
    return platforms


def payment_method_in(text: str, *, answering: bool = False) -> str | None:
    said = normalise(text)
    index = knowledge.payment_aliases()
    found = [match.group(0) for match in _payment_pattern(answering).finditer(said)]
    if found:
        return index[max(found, key=len)]
    return _misspelt(said, index) if answering else None


def _misspelt(said: str, index: dict[str, str]) -> str | None:
    """A name typed with a slip ("paypall", "snapchta"), answering the question that asks for
    it: the closest name of five letters or more, if it is close."""
    names = [alias for alias in index if len(alias) >= _MISSPELT_MIN]
    for word in said.split():
        if len(word) >= _MISSPELT_MIN:
            close = difflib.get_close_matches(word, names, n=1, cutoff=_MISSPELT_CUTOFF)
            if close:
                return index[close[0]]
    return None


def place_in(text: str) -> str | None:
    """A force (or ``elsewhere``) for a place the message says the person is in or near, or
    that the message is no more than ("Swansea", "north wales")."""
    said = normalise(text)
    if len(said.split()) <= 3:
        alone = knowledge.force_for_place(said)
        if alone and knowledge.force_for_place(said) == knowledge.force_for_place(text):
            return alone
    for match in _PLACE_CUE.finditer(said):
        words = match.group(1).split()
        for length in range(len(words), 0, -1):
            force = knowledge.force_for_place(" ".join(words[:length]))
            if force:
                return force
    return None


_DID_PAY = re.compile(r"\b(?:i|we|he|she|they) (?:did|do|actually) (?:actually )?(?:pay|paid)\b")


def paid_from(text: str) -> str | None:
    said = normalise(text)
    if _NOT_PAID.search(said):
        return NO
    if knowledge.says_money_was_paid(text) or _DID_PAY.search(said):
        return YES
    return None


# Clauses, a decimal point left whole: "I sent them 0.01 bitcoin, they want more".
_PAID_CLAUSES = re.compile(r"(?<!\d)[.,]|[.,](?!\d)|[;!?\n]|\b(?:and|but|then|so|ond|ac|wedyn)\b")


def _paid_clause(text: str) -> str:
    """The part of a message that says money was paid: where its amount is."""
    for clause in _PAID_CLAUSES.split(text):
        if paid_from(clause) == YES:
            return clause
    return ""


_DEMAND = re.compile(
    r"\b(?:wants?|wanted|asking|asked|demand\w*|eisiau|isio|isie|ishe|moyn|gofyn|more|mwy)\b"
)


def _only_amount(text: str) -> str | None:
    """ "I paid in bitcoin, about £500": the one amount of a message that asks for none."""
    said = normalise(text)
    if _DEMAND.search(said):
        return None
    return amount_as_written(text, bare_numbers=False)


def for_someone_else(text: str) -> bool:
    said = normalise(text)
    match = _FOR_SOMEONE_ELSE.search(said)
    return bool(match) and not _NOT_FOR_SOMEONE_ELSE.search(said[: match.start() + 1])


def stated_facts(text: str, intent: str | None, known: dict[str, Any]) -> dict[str, Any]:
    """The triage facts a message states, as slot values, new or corrected."""
    facts: dict[str, Any] = {}
    if not text or text.lstrip().startswith("/"):
        return facts
    kind = incident_type_from(intent, text)
    if kind and known.get("incident_type") in (None, knowledge.UNKNOWN):
        facts["incident_type"] = kind
    platforms = platforms_in(text)
    if platforms:
        already = [p for p in known.get("platforms") or [] if p not in (knowledge.UNKNOWN,)]
        facts["platforms"] = already + [p for p in platforms if p not in already]
    paid = paid_from(text)
    if paid:
        facts["paid"] = paid
    if (facts.get("paid") or known.get("paid")) == YES:
        method = payment_method_in(_paid_clause(text) or text)
        if method:
            facts["payment_method"] = method
        amount = amount_as_written(_paid_clause(text)) or _only_amount(text)
        if amount:
            facts["amount"] = amount
        if _COLLECTION_WORDS.search(normalise(text)):
            collected = read_yes_no("collected", text)
            if collected in (YES, NO):
                facts["collected"] = collected
    age = age_in(text)
    if age is not None:
        facts["under_18"] = YES if age < 18 else NO
    elif re.search(r"\b(?:i'm|i am|he's|she's|they're|dw i|dwi|mae e|mae hi) (?:under 18|a minor"
                   r"|dan 18|o dan 18)\b", normalise(text)):  # fmt: skip
        facts["under_18"] = YES
    elif says_adult(text):
        facts["under_18"] = NO
    place = place_in(text)
    if place:
        facts["force_area"] = place
    if for_someone_else(text) and not known.get("asking_for"):
        facts["asking_for"] = "someone_else"
    return facts


def new_facts(text: str, intent: str | None, known: dict[str, Any]) -> dict[str, Any]:
    """What a message states that the triage does not know yet, or knew otherwise."""
    stated = stated_facts(text, intent, known)
    return {slot: value for slot, value in stated.items() if known.get(slot) != value}
