"""Whether a text tells someone to keep, save or copy an image: the checker the advice's tests
(tests/actions/test_advice_content.py, on the domain) and the typed conversations
(tests/e2e/test_typed_advice.py, on what the assistant sent) both use. Its own cases, that it
can fail as well as pass, are in test_advice_content.py."""

from __future__ import annotations

import re

# Not "video chat site" or "galwad fideo": the app, not a video.
_IMAGE = re.compile(
    r"\b(?:pictures?|photos?|images?|pics?|nudes?|footage|recordings?"
    r"|videos?(?! (?:chat|call|calls|app|site)\b)"
    r"|llun|lluniau|luniau|delwedd|delweddau|ddelwedd|ddelweddau"
    r"|(?<!sgwrsio )(?<!galwad )(?<!galwadau )fideos?)\b",
    re.IGNORECASE,
)
# "keep threatening you" is not keeping anything.
_KEEP = re.compile(
    r"\b(?:keep(?! \w+ing\b)|save|screenshot|forward|copy|download|store"
    r"|cadw|gadw|chadw|cadwch|sgrinlun|sgrinluniau|anfon ymlaen|anfonwch ymlaen|copïo|gopïo"
    r"|chopïo|lawrlwytho)\b",
    re.IGNORECASE,
)
_NOT = re.compile(
    r"\b(?:never|don't|do not|not|nobody|no one|without|peidiwch|byth|ddim|heb|na|nac|neb)\b",
    re.IGNORECASE,
)
# "copying one is against the law" says what not to do.
_FORBIDDEN = re.compile(r"against the law|illegal|yn erbyn y gyfraith|anghyfreithlon", re.I)
# A negation reaches to the end of its sentence unless a new clause turns it round.
_SCOPE_BREAK = re.compile(r"\bbut\b|\bthen\b|\bond\b|\bwedyn\b|[;:]", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_WHATEVER = re.compile(
    r"^\W*(?:\w+\s+)?(?:whatever|everything|anything|all of it|it all|beth bynnag|popeth"
    r"|unrhyw beth)\b",
    re.IGNORECASE,
)
_PRONOUN = re.compile(r"^\W*(?:them|it|nhw|hi|e(?![-\w]))\b|^['’]u\b", re.IGNORECASE)


def tells_to_keep_an_image(text: str) -> str | None:
    """The part of `text` that tells someone to keep, save, screenshot, forward or copy an image
    (or "whatever is left", or "them" in a text about pictures), or None."""
    about_images = bool(_IMAGE.search(text))
    for sentence in _SENTENCE.split(text):
        for part in _SCOPE_BREAK.split(sentence):
            for verb in _KEEP.finditer(part):
                if _NOT.search(part[: verb.start()]) or _FORBIDDEN.search(part):
                    continue
                after = part[verb.end() :]
                if (
                    _IMAGE.search(after)
                    or _WHATEVER.search(after)
                    or (about_images and _PRONOUN.search(after))
                ):
                    return part.strip()
    return None
