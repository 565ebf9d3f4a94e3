"""Which language to answer in: English or Welsh (Cymraeg).

The responses in domain.yml carry a Welsh variation selected by the ``language`` slot. Rasa
fills it from the ``language`` entity that ``addons/message_language.py`` adds to every user message
the language of which it can tell, in this order:

1. an explicit choice in the message metadata, ``{"language": "cy" | "en"}`` (bot/ sends the
   language it has settled on for the person, by the rules below, on every message, and puts it
   in a button's payload as an entity, since Rasa does not run the pipeline on payloads);
2. the person writing in Welsh (or clearly in English): ``detect_language``.

Otherwise the slot keeps the language already in use (English to begin with). bot/ settles the
language with two more steps between those and English: the language already in use, then a
door's first guess (Telegram's language_code, the widget's data-lang): ``choose_language``.

These helpers are pure: Rasa's pipeline and bot/ share them, so a Welsh speaker gets bot/'s own
safety message in Welsh even when Rasa is down. Doing this in the pipeline rather than in a
custom slot-mapping action saves an action-server call on every turn.
"""

from __future__ import annotations

import re
from typing import Any

ENGLISH, WELSH = "en", "cy"
LANGUAGES = (ENGLISH, WELSH)
# The slot that picks the responses' variation, and the entity that fills it.
SLOT = ENTITY = "language"

# Words that are Welsh and not English (nor place names, nor words English speakers in Wales
# drop into English: "diolch", "cariad", "tidy"). Contractions are whole tokens ("dw", "i'n").
WELSH_WORDS = frozenset(
    """
    dw dwi dwin rwy rwyf rydw ydw ydych ydy ydi ydyn ydynt yndw yndi wyt ych
    mae maen ma'n mae'n oedd roedd roeddwn o'n oeddwn bydd fydd bydda fydda byddan fyddan
    byddai fyddai wnes wnaeth wnaethon wnân nes i'n dwi'n rwy'n wi'n fi'n sy'n sydd sy ti'n
    chi'n nhw'n e'n hi'n fe'n fo'n o'r i'r a'r â'r gyda'r efo'r yng ngyda heb wrth
    fy dy ei eu ein eich ohona ohonof amdana wrtha ata iddyn iddo iddi gen gennych gennym
    sgen gyda efo hefo gan ond nid nad dydw dydy dydyn ddim sai sa na'n
    chi ti nhw fi chdi ni hwn hon hyn hynny hwnnw honno dyna dyma yma yna rŵan rwan nawr
    heddiw neithiwr ddoe wedyn eto rhagor mwy llawer ychydig achos oherwydd felly hefyd
    sut beth be pam pwy ble lle pryd faint ydw
    isio eisiau eisio isie ishe moyn angen gallu medru alla allwch gallwch galla ga ges
    cefais gefais gwneud neud wneud anfon anfonais anfonon yrru gyrrais gyrru postio rhannu
    talu dalu dalais thalu talais talodd dweud deud ddweud gwybod wybod siarad siarad ateb
    wedi yn ac neu os iawn oes naddo nac nag ie ia diolch plîs
    lluniau llun luniau fideo galwad alwad gwe-gamera we-gamera ngwe-gamera e-bost ebost
    cyfrif nghyfrif cyfrinair arian pres heddlu cymorth cyngor help-wch helpwch helpu
    blacmel blacmelio mlacmelio flacmelio blacmeliwr bygwth fygwth mygwth ofn ofnus
    trwbl trafferth noeth rhywun rywun rhywbeth rywbeth popeth pawb teulu nheulu ffrindiau
    byw marw lladd ladd hun hunan meddwl poeni teimlo crio cywilydd
    rydych dydych fyddwch byddwch pwyswch dewiswch ffoniwch peidiwch gallwch cadwch
    dywedwch riportiwch gwiriwch anfonwch gofynnwch siaradwch tynnwch pan barod nesaf
    eto dechrau iddyn gwybod ddiogel diogel perygl wybodaeth cyfeiriad enw rhif negeseuon
    nodyn fanylion manylion taliad gadael mynd cynorthwyydd does brys problem newid
    """.split()
)
# Phrases count once, like a word: a greeting alone does not switch the language.
WELSH_PHRASES = (
    "bore da",
    "prynhawn da",
    "noswaith dda",
    "nos da",
    "diolch yn fawr",
    "os gwelwch yn dda",
    "shwmae",
    "s'mae",
    "sut mae",
    "hwyl fawr",
)
# Common English words with no Welsh look-alike. "i", "a", "o", "am", "dim", "mam", "dad", "do",
# "na", "hi", "yr" and "ar" are left out of both lists: they are words in both languages.
ENGLISH_WORDS = frozenset(
    """
    the and is are was were my me you your they them their he she his her we our it its
    this that what when where why how who have has had not don't dont didn't didnt can't
    cant im i'm i've ive they're theyre with can could would should want wanted paid pay
    someone somebody please thanks thank yes yeah no nope hello help to of in on for from
    sent send said says if but just about be been will know think need got
    """.split()
)
_PHRASE_PATTERNS = tuple(re.compile(rf"(?<![\w']){phrase}(?![\w'])") for phrase in WELSH_PHRASES)
_TOKEN = re.compile(r"[a-zâêîôûŵŷäëïöüÿáéíóúàèìòù'’\-]+")
# A message that only asks for a language: "Cymraeg", "yn Gymraeg plis", "English please".
_ASK_WELSH = re.compile(
    r"^\W*(?:(?:can|could) (?:we|i) (?:speak|talk|do this) (?:in )?welsh|welsh|(?:yn )?[cg]ymraeg"
    r"|(?:ga i|gaf i|alla i|allwn ni) (?:siarad|sgwrsio)(?: yn)? [cg]ymraeg)"
    r"(?: (?:plis|please|os gwelwch yn dda|os gweli di'n dda|pls))?\W*$",
    re.IGNORECASE,
)
_ASK_ENGLISH = re.compile(
    r"^\W*(?:(?:can|could) (?:we|i) (?:speak|talk|do this) (?:in )?english|english|(?:yn )?saesneg"
    r"|(?:ga i|gaf i|alla i) (?:siarad|sgwrsio)(?: yn)? saesneg)"
    r"(?: (?:plis|please|os gwelwch yn dda|pls))?\W*$",
    re.IGNORECASE,
)


def normalise(value: Any) -> str | None:
    """``"cy"``/``"en"`` from what a door or user sent ("cy-GB", "CY", "welsh"), else None."""
    if not isinstance(value, str):
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    if code in ("cy", "cym", "wel", "welsh", "cymraeg"):
        return WELSH
    if code in ("en", "eng", "english", "saesneg"):
        return ENGLISH
    return None


def language_scores(text: str) -> tuple[int, int]:
    """How many Welsh and English marker words ``text`` has (each distinct word once)."""
    lowered = (text or "").lower().replace("’", "'")
    welsh = sum(1 for pattern in _PHRASE_PATTERNS if pattern.search(lowered))
    for phrase in WELSH_PHRASES:
        lowered = lowered.replace(phrase, " ")
    tokens = {token.strip("'-") for token in _TOKEN.findall(lowered)}
    welsh += len(tokens & WELSH_WORDS)
    english = len(tokens & ENGLISH_WORDS)
    return welsh, english


def detect_language(text: str | None) -> str | None:
    """``"cy"`` when the message is written in Welsh, ``"en"`` when clearly in English, None when
    it cannot tell (one word, a place name, an answer like "ok" or "£200", a button payload).

    Welsh needs at least two Welsh words and more Welsh than English ones; English needs at
    least two English words and none Welsh, so a Welsh sentence with an app name or an English
    word in it stays Welsh.
    """
    if not text or text.lstrip().startswith("/"):
        return None
    if _ASK_WELSH.match(text):
        return WELSH
    if _ASK_ENGLISH.match(text):
        return ENGLISH
    welsh, english = language_scores(text)
    if welsh >= 2 and welsh > english:
        return WELSH
    if english >= 2 and welsh == 0:
        return ENGLISH
    return None


def choose_language(
    *,
    explicit: Any = None,
    text: str | None = None,
    current: Any = None,
    hint: Any = None,
    written: str | None = None,
) -> str:
    """bot/'s choice of language for a turn (see the module docstring for the order).
    ``written`` is ``detect_language(text)`` when the caller has it already."""
    return (
        normalise(explicit)
        or written
        or detect_language(text)
        or normalise(current)
        or normalise(hint)
        or ENGLISH
    )


def message_language(metadata: Any, text: str | None) -> str | None:
    """The language a single message settles, if any: the metadata's explicit choice, else what
    it is written in. None leaves the language in use unchanged."""
    explicit = metadata.get("language") if isinstance(metadata, dict) else None
    return normalise(explicit) or detect_language(text)
