"""Facts from data/knowledge.yml and the small parsers that turn what people type into them."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from aic_shared.knowledge import KNOWLEDGE_FILE, load_knowledge

KNOWLEDGE_PATH = Path(
    os.environ.get("AIC_KNOWLEDGE_FILE", Path(__file__).resolve().parent.parent / KNOWLEDGE_FILE)
)
ELSEWHERE = "elsewhere"
UNKNOWN = "unknown"


@lru_cache(maxsize=1)
def knowledge() -> dict[str, Any]:
    return load_knowledge(KNOWLEDGE_PATH)


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s\-'.()]", " ", text.lower())).strip()


_PLAIN_LETTERS = str.maketrans("âêîôûŵŷäëïöüáéíóú", "aeiouwyaeiouaeiou")


def plain_spelling(text: str) -> str:
    """Without accents, hyphens as spaces: "Pont-y-pŵl" and "pont y pwl" are one place."""
    return text.translate(_PLAIN_LETTERS).replace("-", " ")


@lru_cache(maxsize=1)
def _place_index() -> dict[str, str]:
    index = {place: ELSEWHERE for place in knowledge()["elsewhere_places"]}
    index["elsewhere"] = ELSEWHERE
    for force_id, force in knowledge()["forces"].items():
        index[force_id.replace("_", " ")] = force_id
        for place in force["places"]:
            index[place] = force_id
    return {**{plain_spelling(place): force for place, force in index.items()}, **index}


def names_pattern(names: Iterable[str], before: str = "") -> re.Pattern[str]:
    """One pattern for many names, each as whole words, the longest tried first at each place;
    ``before`` is a lookbehind every match must follow."""
    ordered = sorted((name for name in names if name), key=len, reverse=True)
    return re.compile(rf"{before}(?<![\w])(?:{'|'.join(map(re.escape, ordered))})(?![\w])")


# One compiled pattern per index (the indexes are built once): a pattern per alias, compiled
# on each message, overflowed re's cache and cost the action server 15 ms a turn.
_INDEX_PATTERNS: dict[int, re.Pattern[str]] = {}


def _find_in_text(text: str, index: dict[str, str]) -> str | None:
    """The value of the longest alias that appears as whole words in `text`."""
    normalised = _normalise(text)
    if normalised in index:
        return index[normalised]
    pattern = _INDEX_PATTERNS.get(id(index))
    if pattern is None:
        pattern = _INDEX_PATTERNS[id(index)] = names_pattern(index)
    found = [match.group(0) for match in pattern.finditer(normalised)]
    return index[max(found, key=len)] if found else None


def force_for_place(text: str) -> str | None:
    """A force id, `elsewhere` for the rest of the UK, or None when the place is not known."""
    return _find_in_text(text, _place_index()) or _find_in_text(
        plain_spelling(_normalise(text)), _place_index()
    )


def force_details(force_id: str | None) -> dict[str, str]:
    forces = knowledge()["forces"]
    if force_id in forces:
        force = forces[force_id]
        return {
            "force_name": force["name"],
            "force_extra": force.get("extra", ""),
            "force_website": force["website"],
            # The Welsh twins, for the Welsh variations in the domain.
            "force_name_cy": force.get("name_cy", force["name"]),
            "force_extra_cy": force.get("extra_cy", ""),
            "fraud_note": "",
            "fraud_note_cy": "",
        }
    national = knowledge()["national_police"]
    return {
        "force_name": national["name"],
        "force_extra": "",
        "force_website": national["website"],
        "force_name_cy": national.get("name_cy", national["name"]),
        "force_extra_cy": "",
        # Somewhere in the UK, maybe Scotland, where Report Fraud does not take reports.
        "fraud_note": national.get("fraud_note", ""),
        "fraud_note_cy": national.get("fraud_note_cy", ""),
    }


@lru_cache(maxsize=1)
def platform_aliases() -> dict[str, str]:
    """Every name a platform goes by -> its id."""
    return {
        alias: platform_id
        for platform_id, platform in knowledge()["platforms"].items()
        for alias in [*platform["aliases"], platform_id.replace("_", " ")]
    }


def canonical_platform(text: str) -> str | None:
    return _find_in_text(text, platform_aliases())


# What deactivating an account does on a platform (`deactivating` in data/knowledge.yml).
PAUSES = "pauses"
STARTS_DELETION = "starts_deletion"
NOT_OFFERED = "not_offered"


@dataclass(frozen=True)
class PlatformRisks:
    """What on a platform can cost the person their evidence."""

    closed: bool
    deactivating: str
    reporting_deletes_chat: bool


def platform_risks(platform_id: str) -> PlatformRisks:
    platforms = knowledge()["platforms"]
    platform = platforms.get(platform_id, platforms["other"])
    return PlatformRisks(
        closed=bool(platform.get("closed")),
        deactivating=platform.get("deactivating", PAUSES),
        reporting_deletes_chat=bool(platform.get("reporting_deletes_chat")),
    )


def platform_details(platform_id: str) -> dict[str, str]:
    platforms = knowledge()["platforms"]
    platform = platforms.get(platform_id, platforms["other"])
    help_link = f"Their help pages: {platform['help']}" if platform["help"] else ""
    help_link_cy = f"Eu tudalennau cymorth: {platform['help']}" if platform["help"] else ""
    return {
        "platform_name": platform["name"],
        "platform_report": platform["report"],
        "platform_help": help_link,
        "platform_name_cy": platform.get("name_cy", platform["name"]),
        "platform_report_cy": platform.get("report_cy", platform["report"]),
        "platform_help_cy": help_link_cy,
        "platform_moved_to": platform.get("moved_to", ""),
    }


@lru_cache(maxsize=1)
def payment_aliases() -> dict[str, str]:
    """Every name a way of paying goes by -> its id."""
    return {
        alias: method_id
        for method_id, method in knowledge()["payment_methods"].items()
        for alias in [*method["aliases"], method_id.replace("_", " ")]
    }


def canonical_payment_method(text: str) -> str | None:
    return _find_in_text(text, payment_aliases())


def payment_details(method_id: str | None) -> dict[str, str]:
    methods = knowledge()["payment_methods"]
    method = methods.get(method_id or "", methods["other"])
    return {
        "payment_cancel": method["cancel"],
        "payment_evidence": method["evidence"],
        "payment_cancel_cy": method.get("cancel_cy", method["cancel"]),
        "payment_evidence_cy": method.get("evidence_cy", method["evidence"]),
    }


def service_links() -> dict[str, str]:
    services = knowledge()["services"]
    return {
        "ceop_website": services["ceop"]["website"],
        "childline_website": services["childline"]["website"],
        "report_remove_website": services["report_remove"]["website"],
        "take_it_down_website": services["take_it_down"]["website"],
        "stopncii_website": services["stopncii"]["website"],
        "hibp_website": services["have_i_been_pwned"]["website"],
        "report_fraud_website": services["report_fraud"]["website"],
    }


_AMOUNT = re.compile(r"(\d[\d,]*(?:\.\d{1,2})?)\s*(k|grand|thousand)?\b", re.IGNORECASE)


def parse_amount(text: str) -> float | None:
    """Pounds (or whatever currency) as a number: "£1,500" -> 1500, "2 grand" -> 2000."""
    match = _AMOUNT.search(text or "")
    if not match:
        return None
    value = float(match.group(1).replace(",", ""))
    if match.group(2):
        value *= 1000
    return value


_AGE = re.compile(r"\b(\d{1,2})\b")


# Ages written as words, the ones that matter for "under 18": English, and Welsh in both the
# traditional ("pymtheg", "un ar bymtheg") and the decimal ("un deg pump") counting.
_AGE_WORDS = {
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "un ar ddeg": 11, "deuddeg": 12, "tri ar ddeg": 13, "pedwar ar ddeg": 14,
    "pymtheg": 15, "pymtheng": 15, "un ar bymtheg": 16, "dau ar bymtheg": 17, "deunaw": 18,
    "pedwar ar bymtheg": 19, "ugain": 20, "un deg un": 11, "un deg dau": 12, "un deg tri": 13,
    "un deg pedwar": 14, "un deg pump": 15, "un deg pum": 15, "un deg chwech": 16,
    "un deg saith": 17, "un deg wyth": 18, "un deg naw": 19, "dau ddeg": 20,
    # soft mutation after "yn" / "dan" / "dros": "dw i'n bymtheg", "o dan ddeunaw"
    "ddeuddeg": 12, "dri ar ddeg": 13, "bedwar ar ddeg": 14, "bymtheg": 15, "bymtheng": 15,
    "ddau ar bymtheg": 17, "ddeunaw": 18, "bedwar ar bymtheg": 19, "ddau ddeg": 20,
    # feminine forms: "mae hi'n dair ar ddeg"
    "tair ar ddeg": 13, "dair ar ddeg": 13, "pedair ar ddeg": 14, "bedair ar ddeg": 14,
    "dwy ar bymtheg": 17, "ddwy ar bymtheg": 17, "pedair ar bymtheg": 19, "bedair ar bymtheg": 19,
}  # fmt: skip
_AGE_WORD = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, _AGE_WORDS), key=len, reverse=True)) + r")\b"
)


def parse_age(text: str) -> int | None:
    match = _AGE.search(text or "")
    if match:
        age = int(match.group(1))
        return age if 5 <= age <= 99 else None
    word = _AGE_WORD.search((text or "").lower())
    return _AGE_WORDS[word.group(1)] if word else None


# "under 18" is not an age of 18: a bound, in English or Welsh ("o dan 18", "dros 18").
_UNDER = re.compile(r"\b(?:under|below|less than|younger than|dan|llai na|iau na)\s?(.*)")
_OVER = re.compile(r"\b(?:over|above|more than|older than|dros|mwy na|hŷn na|hyn na)\s?(.*)")
_OR_OVER = re.compile(r"(.*?)(?:\s?\+|\s(?:or|neu) (?:over|older|more|hŷn|hyn|drosodd)\b)")


def age_bound(text: str) -> tuple[str, int] | None:
    """("under", 18) for "I'm under 18" / "o dan ddeunaw", ("over", 18) for "over 18" / "18+"."""
    lowered = (text or "").lower()
    for kind, pattern in (("under", _UNDER), ("over", _OVER), ("over", _OR_OVER)):
        match = pattern.search(lowered)
        if match:
            age = parse_age(match.group(1))
            if age is not None:
                return kind, age
    return None


# Did the person say they paid (not only that money was asked for)? English and Welsh.
# A verb that means paying on its own ("I've paid", "dw i wedi talu", "talais i"), or a verb of
# sending or giving with money in the same clause ("I sent her £200", "anfonais i arian"), so that
# "I sent him nudes" or "they want me to pay" does not count. Negatives have no match: "I haven't
# paid", "dw i ddim wedi talu", "nes i ddim talu", "heb dalu", "thalais i ddim".
_WELSH_PERFECT = (
    r"(?:dw i|dwi|dw|rydw i|rwy|rwyf|rw i|wi|ydw i|fi|ni|rydyn ni|dan ni|da ni|ŷn ni|yn ni"
    r"|o'n i|ro'n i|roeddwn i|oeddwn i)['’]?\s?(?:wedi|['’]?di)"
)
_NOT_AFTER = r"(?!\s(?:i\s|ni\s)?ddim\b)"
_NOT_BEFORE = r"(?<!n't )(?<!nt )(?<!not )(?<!never )"
_PAID_ALONE = re.compile(
    r"\b(?:i|we)(?:['’]ve| have| had|['’]d)? (?:already |just |then |also |finally |even )?"
    r"(?:paid|transferred)\b"
    r"|\b(?:he|she)(?:['’]s| has| had)? (?:already |just )?paid (?:them|him|her|it|£|\$|€|\d)"
    rf"|\b(?:already|have|has|had) paid\b|{_NOT_BEFORE}\bpaid (?:them|him|her|it)\b"
    r"|(?<!ddim )(?<!dim )(?<!byth )(?<!sai )(?<!sa i )(?<!so i )(?<!smo i )"
    r"\b(?:wedi|['’]?di) (?:talu|dalu|trosglwyddo|drosglwyddo)\b"
    rf"|\b(?:mi |fe )?(?:talais|tales|dalais|dales|talon|dalon|talodd|dalodd|trosglwyddais"
    rf"|trosglwyddes|drosglwyddais|drosglwyddes){_NOT_AFTER}\b"
    r"|\b(?:mi |fe )?(?:w?nes|w?naeth|w?naethon|nath|nathon|gwnes) (?:i|ni|o|e|hi) "
    r"(?:dalu|drosglwyddo)\b",
    re.IGNORECASE,
)
_SENT = re.compile(
    r"\b(?:i|we)(?:['’]ve| have| had|['’]d)? (?:already |just |then |also |finally |even )?"
    r"(?:sent|given|gave|bought|wired)\b"
    # Someone else who paid: "she's already given them £50", not "he sent me a message".
    r"|\b(?:he|she|they)(?:['’]s|['’]ve| has| have| had)? (?:already |just |then |also |even )?"
    r"(?:sent|given|gave|bought|wired)\b(?! (?:me|us|my|you)\b)"
    r"|\b(?:made|forced|got) (?:me|him|her|them|us) (?:to )?(?:send|pay)\b"
    r"|\b(?:i|we|he|she|they) (?:had to|ended up) (?:send|sending|pay|paying)\b"
    rf"|{_NOT_BEFORE}\bsent (?:them|him|her)\b"
    rf"|\b{_WELSH_PERFECT} (?:anfon|gyrru|yrru|rhoi|roi|prynu|brynu)\b"
    rf"|\b(?:mi |fe )?(?:anfonais|anfones|anfonon|gyrrais|yrrais|gyrres|yrres|rhoddais|roddais"
    rf"|rhoes|rhois|roies|rois|prynais|prynes|brynais|brynes){_NOT_AFTER}\b"
    r"|\b(?:mi |fe )?(?:w?nes|w?naethon|nathon|gwnes) (?:i|ni) (?:anfon|yrru|roi|brynu)\b",
    re.IGNORECASE,
)
_MONEY = re.compile(
    r"\b(?:hundred|thousand|grand|quid|pounds|canpunt|ganpunt|bunnoedd|bunnau|punnoedd)\b"
    r"|[£$€]\s?\d|\b\d[\d,.]*\s?(?:k|grand|thousand|quid|pounds?|gbp|dollars?|euros?|bucks"
    r"|punt|bunt|bunnoedd|punnoedd|o bunnoedd)\b"
    r"|\b(?:money|cash|payment|the amount|what they (?:asked|wanted)|arian|pres|taliad)\b"
    r"|\b(?:gift ?cards?|vouchers?|bitcoin|btc|crypto|usdt|western union|moneygram|paypal"
    r"|cardiau rhodd|cerdyn rhodd|talebau|taleb)\b",
    re.IGNORECASE,
)
# Clauses: "I sent him pics and now he wants £500" is not a payment. Welsh "a" (and) only before
# the words that start a new clause, since "a" is also the English article.
_CLAUSES = re.compile(
    r"(?<!\d)[.,]|[.,](?!\d)|[;!?\n]|\b(?:and|but|then|so|because|cos|ond|ac|wedyn|felly|achos)\b"
    r"|\ba (?=nawr|rŵan|rwan|wedyn|mae|maen|ma|dyma|rwyf|dw|roedd|oedd)",
    re.IGNORECASE,
)


def says_money_was_paid(text: str) -> bool:
    """True when a message says the person paid ("I sent her £200", "talais i £200 iddo"), not
    only that money was asked for ("they want £500", "maen nhw eisiau £500")."""
    for clause in _CLAUSES.split(text or ""):
        if _PAID_ALONE.search(clause):
            return True
        sent = _SENT.search(clause)
        if sent and _MONEY.search(clause[sent.start() :]):
            return True
    return False
