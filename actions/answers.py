"""Reading a typed answer in the context of the question it answers, in English and Welsh.

The intent classifier sees a message without its question: "I don't think it's been collected"
looks like a yes, "I'm fine" like a greeting. These readers know the question. Each returns
the fact the answer states, ``UNKNOWN`` for "don't know" or "rather not say", or None when it
cannot tell (the form then asks once more, then moves on).

A yes/no answer is read from three things, strongest first: words about the question's own
subject ("safe", "collected", "paid", with any negation before them), a hedge ("I think so",
"probably not", "dw i ddim yn meddwl"), then a bare yes or no ("nah", "yep", "naddo", "ydw").
"""

from __future__ import annotations

import re
from datetime import date

from actions import knowledge

YES, NO, UNKNOWN = "yes", "no", knowledge.UNKNOWN

# Spelling as typed on a phone, to one form: "havent" -> "haven't", "im" -> "i'm".
_SPELLINGS = {
    "havent": "haven't", "hasnt": "hasn't", "hadnt": "hadn't", "didnt": "didn't",
    "dont": "don't", "doesnt": "doesn't", "isnt": "isn't", "wasnt": "wasn't", "arent": "aren't",
    "werent": "weren't", "wont": "won't", "cant": "can't", "aint": "ain't", "im": "i'm",
    "ive": "i've", "id": "i'd", "hes": "he's", "shes": "she's", "theyre": "they're",
    "theyve": "they've", "its": "it's", "u": "you", "r": "are", "ur": "your", "ya": "yeah",
    "havnt": "haven't", "hvnt": "haven't", "havn't": "haven't", "didn": "didn't",
    "dnt": "don't", "dunno": "don't know", "dno": "don't know", "idk": "i don't know",
    "idek": "i don't know", "nt": "not", "thnk": "think", "tink": "think", "fink": "think",
    "saf": "safe", "sfe": "safe", "siwr": "siŵr", "shwr": "siŵr", "sicr": "siŵr",
    "gwbod": "gwybod", "gwbo": "gwybod", "wbod": "wybod", "wbo": "wybod", "ok": "okay",
    "k": "okay", "kk": "okay", "oky": "okay", "okey": "okay", "ocê": "okay", "oce": "okay",
    "iawn": "iawn", "ddim": "ddim", "dim": "dim", "prob": "probably", "probs": "probably",
    "deffo": "definitely", "def": "definitely", "yh": "yeah", "yeh": "yeah", "yea": "yeah",
    "ye": "yeah", "yep": "yeah", "yup": "yeah", "yas": "yeah", "yess": "yes", "yesss": "yes",
    "noo": "no", "nooo": "no", "nop": "nope", "naa": "nah", "nahh": "nah", "na'": "na",
}  # fmt: skip
_WORD = re.compile(r"[a-zâêîôûŵŷäëïöüáéíóúàèìòù0-9£$€'.]+|,")


_PUNCTUATION = re.compile(r"(?<!\d)[.,;!?]+|[.,;!?]+(?!\d)")
# Said for emphasis, not meaning: "not gonna lie, yes" is a yes.
_FILLER = re.compile(
    r"\b(?:not gonna lie|not going to lie|ngl|tbh|to be honest|honestly|if i'm honest"
    r"|i mean|like i said|basically|jyst|a dweud y gwir|i fod yn onest)\b"
)
# Phrases that read as their parts wrongly: "dim ond" is "only", not "no".
_PHRASES = {"dim ond": "only", "ddim ond": "only"}


def normalise(text: str) -> str:
    """Lower case, one kind of apostrophe, commas for any clause break, common phone spellings
    mended."""
    lowered = (text or "").lower().replace("’", "'").replace("‘", "'")
    lowered = _FILLER.sub(" ", _PUNCTUATION.sub(" , ", lowered))
    for phrase, meaning in _PHRASES.items():
        lowered = re.sub(rf"\b{phrase}\b", meaning, lowered)
    words = []
    for word in _WORD.findall(lowered):
        if word == ",":
            if words and words[-1] != ",":
                words.append(word)
            continue
        word = word.strip("'.")
        if word:
            words.append(_SPELLINGS.get(word, word))
    return " ".join(words).strip(" ,")


def _any(patterns: str) -> re.Pattern[str]:
    """One pattern of many, one a line, each as whole words."""
    alternatives = [line.strip() for line in patterns.splitlines() if line.strip()]
    return re.compile(r"(?<![\w'])(?:" + "|".join(alternatives) + r")(?!\w)")


# --- "I don't know" and "what should I do?" -----------------------------------------------------
_DONT_KNOW = _any(
    r"""
    (?:i )?don't know
    do not know
    (?:ganddo fo|ganddi hi|gynno fo|gynni hi|gyda fe|gyda hi|'da fe|'da hi) ddim syniad
    sa i moyn (?:gweud|dweud)
    sai moyn (?:gweud|dweud)
    (?:sa i|sai|dw i ddim|dwi ddim|heb|ddim) (?:wedi )?(?:tsiecio|checio|tshecio|edrych|gwirio)
    (?:ddim|dim) ffordd o wybod
    no way of knowing
    (?:she|he|they) won't tell (?:us|me) (?:exactly )?(?:what|how)
    won't tell (?:me|us) how
    (?:don't|doesn't|didn't|do not|does not) know (?:if|whether)
    (?:not sure|no idea) (?:if|whether)
    ddim yn (?:gwybod|siŵr) (?:a|os|os ydy|a ydy)
    couldn't tell you
    keep (?:that|it) (?:to myself|private|between)
    can't tell you
    haven't (?:dared )?(?:look|looked|checked)
    not checked
    didn't check
    either way
    looking into it
    investigating
    can't get hold of (?:him|her|them)
    not (?:really |totally |too |entirely |a hundred percent )?sure
    (?:i )?don't (?:really )?want to (?:go into|talk about|get into|say)
    (?:i'd |i would )?(?:rather|sooner|prefer) not(?: to)?(?: say| answer| go into it| get into it)?
    dinnae ken
    dinna ken
    dunnae
    can't mind
    cannae mind
    canna mind
    (?:dyw|dydy|dydi|nid yw|sdim) (?:e|o|hi|nhw|fe|fo) (?:ddim )?(?:wedi )?(?:dweud|deud|gweud)
    (?:dwi'm|dw i'm|dim) yn (?:gwybod|siŵr|sicr|cofio)
    (?:sai'n|sa i'n|dw i ddim yn|dwi ddim yn) (?:moyn|eisiau|isio|isie) (?:gweud|dweud|deud)
    (?:gen i|gynnon ni|gennym ni|gynna i|gyda fi|gen ti|'da fi|da fi|gyda ni|'da ni) ddim syniad
    (?:sai'n|sa i'n|dw i ddim yn|dwi ddim yn|ddim yn|dwi'm yn|dw i'm yn) cofio
    cofio'n (?:iawn|union)
    cofio dim
    (?:g)?well gen i (?:beidio|peidio)(?: (?:deud|dweud))?
    ddim yn fodlon (?:deud|dweud)(?: wrtha i)?
    (?:hasn't|haven't|didn't) (?:told|tell) me
    (?:ddim|heb) (?:wedi )?(?:deud|dweud|ddeud|ddweud) wrtha i
    anodd (?:deud|dweud)
    hard to tell
    lost (?:track|count)
    forgot
    forget
    can't recall
    not sure
    unsure
    no idea
    no clue
    not a clue
    haven't a clue
    haven't got a clue
    can't remember
    can't say
    (?:i'd )?rather not (?:say|answer)
    prefer not to (?:say|answer)
    not saying
    skip(?: it| this| that)?
    pass
    no comment
    who knows
    hard to say
    maybe
    might (?:have|be)
    not certain
    can't tell
    not telling
    no way of knowing
    don't wanna say
    don't want to say
    (?:dw i |dwi |dw |sa i |sai |sa'i )?ddim yn (?:gwybod|siŵr|sicr|cofio)
    sai(?:'n| yn) (?:gwybod|siŵr)
    sa i(?:'n| yn) (?:gwybod|siŵr)
    dwn i(?: ddim|'m)
    dwn im
    dim syniad
    dim clem
    sgen i(?:'m| ddim) syniad
    does gen i ddim syniad
    heb syniad
    falle
    efallai
    hwyrach
    pwy a ŵyr
    gwell gen i (?:beidio|peidio)
    byddai'n well gen i beidio
    hepgor
    ddim isio deud
    ddim eisiau dweud
    ddim yn siwr
    """
)
# Said with a don't-know, these still lean one way: "not sure, I think it's gone".
_LEANING = _any(
    r"""
    i think
    i reckon
    i believe (?:so|it|that|she|he|they)
    probably
    most likely
    looks like
    seems
    i guess
    dw i'n meddwl
    dwi'n meddwl
    dw i'n credu
    dwi'n credu
    siŵr o fod
    mwy na thebyg
    """
)
_FORWARD = _any(
    r"""
    what (?:should|do|can|shall|would) (?:i|we) do(?: now| next)?
    what (?:now|next|do i do now)
    what happens (?:now|next)
    help(?: me)?(?: please)?
    what do you (?:suggest|recommend|think i should do)
    what are my options
    just tell me what to do
    tell me what to do
    move on
    next question
    carry on
    go on
    keep going
    continue
    beth (?:ddylwn|ddylen|dylwn|ydw|dw|wna|alla) (?:i|ni)(?: ei)? (?:wneud|neud|gwneud)
    beth (?:nawr|rŵan|rwan|nesaf|nesa)
    be (?:nawr|rŵan|rwan|nesa|wna i)
    be ddylwn i (?:wneud|neud)
    helpa fi
    helpwch fi
    help plis
    help pls
    symud ymlaen
    cario ymlaen
    ewch ymlaen
    dos ymlaen
    cer ymlaen
    """
)


_QUESTION_WORD = re.compile(
    r"^\s*(?:what|why|how|will|would|can|could|should|is|are|am|do|does|did|who|where|when|has"
    r"|have|beth|be|pam|sut|fydd|fyddan|alla|ga i|ydy|ydw|ydyn|ydi|oes|pwy|ble|lle|pryd|wnân"
    r"|ddylwn|dylwn|allan)\b",
    re.IGNORECASE,
)


def is_question(text: str) -> bool:
    """A question the person asks ("ydy hyn yn sgam?"), not an answer that starts like one."""
    if "?" not in (text or ""):
        return False
    first = re.match(r"[^.,;!?]*[.,;!?]?", (text or "").strip()).group(0)
    if _QUESTION_WORD.search(first):
        return True
    return first.endswith("?") and len(normalise(first).split()) >= 4


# What someone else does not know or will not say: the answer when nothing else is said ("she
# doesn't know"), not when something is ("he paid, his dad doesn't know yet").
_THEY_DONT_SAY = _any(
    r"""
    (?:doesn't|does not|didn't|did not) know
    (?:hasn't|has not|haven't|didn't|won't|wouldn't) (?:said|say|told|tell)(?: me| us)?
    won't say
    won't tell (?:me|us)(?: exactly)?
    (?:doesn't|does not) want to (?:say|tell)
    ddim yn fodlon (?:deud|dweud)(?: wrtha i)?
    """
)
_MAYBE = _any(
    r"""
    might have
    might've
    may have
    may've
    could have
    could've
    possibly
    perhaps
    maybe
    """
)


# "I don't know what to do": not an answer of "don't know" but a person asking for help.
_AT_A_LOSS = re.compile(
    r"(?:don't know|dunno|no idea|ddim yn gwybod|dim syniad|ddim syniad|dwn i ddim) (?:what|be"
    r"|beth|how|sut) (?:else |arall )?(?:to do|i neud|i wneud|i'w wneud|i'w neud|to cope)"
)


def they_dont_say(text: str) -> bool:
    """ "She won't say", "he doesn't know": someone else keeps the answer."""
    return bool(_THEY_DONT_SAY.search(normalise(text)))


def says_dont_know(text: str) -> bool:
    said = _AT_A_LOSS.sub(" ", normalise(text))
    return bool(_DONT_KNOW.search(said)) and not _LEANING.search(said)


_MOVE_ON_ALONE = re.compile(r"^(?:next|nxt|skip|pass|nesa|nesaf|hepgor|ymlaen|go|move on)$")


def asks_to_move_on(text: str) -> bool:
    """ "What should I do?", "help", "what now?", "next": the person wants to move forward."""
    said = normalise(text)
    return bool(_FORWARD.search(said) or _MOVE_ON_ALONE.match(said))


# --- yes and no ---------------------------------------------------------------------------------
_NEGATORS = {
    "not", "never", "neither", "nor", "hardly", "barely", "ddim", "heb", "nid", "nad", "byth",
    "chwaith", "without", "doubt", "nobody", "noone",
}  # fmt: skip
# These negate only the word right after them: "no money", but not "no, I'm fine".
_NEGATORS_NEXT = {"no", "nothing", "none", "nowhere", "zero", "dim", "na", "nac", "nag"}
# A clause boundary ends a negation's reach: "no, I'm safe" is not "not safe".
_BOUNDARIES = {
    ",", "but", "though", "although", "ond", "just", "only", "and", "so", "because", "cos",
}  # fmt: skip
_THINK_NOT = re.compile(
    r"(?<![\w'])(?:(?:i|we) (?:don't|do not|didn't) (?:think|believe|reckon)|i doubt"
    r"|(?:dw i |dwi |dw |sa i |sai )?ddim yn (?:meddwl|credu)|sai'n (?:meddwl|credu))(?![\w'])"
)
_HEDGE_YES = _any(
    r"""
    i think so
    i believe so
    i reckon so
    i guess so
    probably
    think so
    most likely
    likely
    definitely
    of course
    sort of
    kind of
    kinda
    sorta
    a bit
    partly
    siŵr o fod
    mwy na thebyg
    (?:dw i|dwi|rwy|wi)'n (?:meddwl|credu) (?:bod|fod|felly)
    yn bendant
    wrth gwrs
    """
)
_HEDGE_NO = _any(
    r"""
    probably not
    likely not
    unlikely
    doubt it
    i doubt
    don't think so
    don't believe so
    don't reckon
    not really
    not as far as i know
    not that i know(?: of)?
    not that i'm aware
    definitely not
    of course not
    absolutely not
    no way
    not at all
    ddim felly
    dim felly
    (?:dw i |dwi )?ddim yn meddwl(?: felly)?
    (?:dw i |dwi )?ddim yn credu(?: felly)?
    sai'n meddwl
    sai'n credu
    dim o gwbl
    ddim o gwbl
    ddim rili
    dim rili
    ddim go iawn
    """
)
_YES_WORDS = {
    "yes", "yeah", "yep", "aye", "sure", "correct", "right", "true", "affirmative", "totally",
    "absolutely", "indeed", "yess", "ie", "ia", "ydw", "yndw", "ydy", "yndi", "ydi", "ydyn",
    "ydan", "ydym", "oes", "wyf", "ydynt", "cywir", "uh-huh",
}  # fmt: skip
_NO_WORDS = {
    "no", "nope", "nah", "nay", "naw", "negative", "never", "naddo", "nadw", "nadi", "nac",
    "nag", "na", "nothing", "none", "nada", "nix", "nagw", "nagyw", "smo", "nae",
}  # fmt: skip
# Welsh words that answer only at the start: "do" ("yes, I did"), "dim" / "ddim" ("not").
_YES_FIRST, _NO_FIRST = {"do"}, {"dim", "ddim"}
# "i have", "he did", "they are" and their negatives, in English (answers by auxiliary).
_AUX_ANSWER = re.compile(
    r"^(?:yes |yeah |no |nope |nah )?(?:i|he|she|they|we|it)(?: (?:have|has|did|am|is|are|was"
    r"|were|had)|'s|'re|'m|'ve)( not|n't)?$"
)
_AUX_NEG = re.compile(
    r"^(?:no |nope |nah )?(?:i|he|she|they|we|it) (?:haven't|hasn't|didn't|isn't|aren't|wasn't"
    r"|weren't|hadn't|ain't)$|^(?:no |nah |nope )?(?:i'm|he's|she's|they're|it's) not$"
)
# Each question's own subject, and what it means: a word for "yes" negated reads as "no".
_SUBJECT_YES: dict[str, re.Pattern[str]] = {
    "paid": _any(
        r"""
    paid
    bought
    prynu
    brynu
    prynais
    brynais
    prynodd
    brynodd
    pay(?:ed)?
    sent (?:it|them|him|her|money|the money|cash|£|\$|€)
    sent
    transferred
    gave (?:it|them|him|her) (?:the )?(?:money|cash|£|\$|€|\d)
    handed over
    talu
    dalu
    thalu
    talais
    dalais
    thalais
    talish
    dalish
    tales
    dales
    talodd
    dalodd
    anfon(?:ais|es|odd)?
    yrru
    gyrru
    trosglwyddo
    drosglwyddo
    """
    ),
    "collected": _any(
        r"""
    collected
    went(?: straight)?(?: away)?
    redeem\w*
    symud
    wedi'i symud
    cael yr arian
    wedi cael yr arian
    completed?
    paid out
    picked (?:it |the money )?up
    £0(?:\.00)?
    0\.00
    nothing left
    no balance
    cwblhau
    wedi'i gwblhau
    wedi'i chwblhau
    moved(?: out| on)?
    cashed out
    zero
    empty
    emptied
    drained
    used up
    it went
    gone
    taken
    took it
    withdrawn
    withdrew
    picked up
    cashed(?: out| in)?
    cleared
    left
    went through
    gone through
    gone out
    come out
    came out
    redeemed
    used
    spent
    claimed
    received
    got it
    got the money
    has it
    have it
    processed
    casglu
    gasglu
    chasglu
    wedi mynd
    di mynd
    wedi gadael
    wedi'i gymryd
    cymryd
    gymryd
    tynnu allan
    wedi'i dynnu
    wedi diflannu
    mynd drwodd
    wedi mynd drwodd
    defnyddio
    ddefnyddio
    """
    ),
    "safe_now": _any(
        r"""
    safe
    fine
    okay
    alright
    all right
    good
    grand
    sound
    all good
    at home
    home
    secure
    not in danger
    in no danger
    ok
    cool
    well
    better
    sorted
    saff
    diogel
    ddiogel
    iawn
    olreit
    yn iawn
    'n iawn
    adref
    adra
    gartref
    gartre
    champion
    cysgu
    cadw llygad
    keeping an eye
    asleep
    sleeping
    nobody can (?:get in|hurt me|get to me|get me)
    no one can (?:get in|hurt me|get to me)
    locked (?:the|my|our) (?:bedroom |front )?door
    looking after (?:me|her|him|them)
    at (?:my |a )?(?:friend's|friends|mate's|mates|nan's|gran's) (?:house|place)?
    (?:is|are) with (?:her|him|them|me)
    in school
    yn yr ysgol
    wedi cloi'r drws
    efo fi
    gyda fi
    in my (?:room|bedroom)
    with (?:my|his|her|their) \w+
    (?:parents|mum|dad|family) (?:are |is )?(?:here|home|downstairs|with me)
    at (?:my )?(?:mum's|dad's|nan's|school|work|a friend's)
    with me
    with us
    here with me
    gyda fi
    efo fi
    hefo fi
    gyda ni
    efo ni
    tidy
    bril
    lush
    """
    ),
    "under_18": _any(
        r"""
    under 18
    tgau
    primary
    cynradd
    s[1-6]
    transition year
    first year of sixth form
    not an adult
    not (?:over|above) 18
    ddim yn oedolyn
    not 18 yet
    ddim yn 18 eto
    under eighteen
    minor
    a child
    a kid
    child
    kid
    teenager
    teen
    at school
    in school
    school
    secondary
    high school
    sixth form
    gcses?
    a levels?
    dan 18
    o dan 18
    dan ddeunaw
    plentyn
    yn yr ysgol
    ysgol
    chweched dosbarth
    arddegau
    yn ei arddegau
    yn ei harddegau
    """
    ),
}
_SUBJECT_NO: dict[str, re.Pattern[str]] = {
    "paid": _any(
        r"""
    not a (?:single )?(?:penny|pound|thing)
    (?:mynd i|am) (?:dalu|talu)
    bron (?:a|â) (?:thalu|talu|dalu)
    stopio fi
    (?:does gen i|sgen i|sgin i|gen i) ddim (?:\w+ )?(?:pres|arian|bres)
    don't have (?:the|that kind of|that|any) money
    ddim ceiniog
    na roddodd
    na thalodd
    na dalodd
    not one (?:single )?(?:penny|pound|cent|thing)
    about to
    going to pay
    gonna pay
    will pay
    planning to pay
    saving up
    (?:haven't|hasn't|didn't|never) (?:given|sent|paid) (?:them |him |her )?(?:a thing|anything)
    (?:haven't|hasn't|didn't|never) (?:given|sent|paid) (?:them |him |her )?(?:a penny|nothing)
    (?:haven't|hasn't|didn't|never) (?:given|sent|paid) (?:them |him |her )?(?:any money|a cent)
    never (?:actually |even )?(?:sent|paid) (?:them |him |her )?(?:any )?(?:money|cash|anything)
    not a (?:bean|sausage|cent|dime|brass farthing)
    nowt
    nothing at all
    (?:was|were) going to
    (?:talked|talk) (?:me|him|her) out of it
    decided not to
    stopped myself
    almost did
    nearly did
    never sent (?:him |them |her )?(?:the )?(?:codes?|money|it|cash)
    (?:didn't|did not) send (?:him |them |her )?(?:the )?(?:codes?|money|it|cash)
    (?:wnes|nes|nath|wnaeth|naethon) (?:i|ni|e|o|hi|nhw) ddim
    (?:dw i|dwi|rwy|wi|mae e|mae hi|ma fe|ma hi|dyw e|dyw hi|maen nhw|ni|fi) heb
    (?:doesn't|didn't|don't|never|isn't|wasn't|not) (?:even )?(?:want|wanted|after) (?:any )?money
    (?:doesn't|didn't|don't|never|isn't|wasn't|not) (?:even )?(?:ask|asked|asking) (?:me )?for money
    (?:doesn't|didn't|don't|never|isn't|wasn't|not) (?:even )?(?:demand|demanded|demanding) money
    not (?:about|after|asking for) (?:the )?money
    no money (?:involved|asked|wanted|demanded)
    (?:ddim|dim) (?:yn )?(?:eisiau|isio|isie|ishe|moyn|gofyn am) (?:arian|pres|dim arian)
    (?:doesn't|does not|don't) want (?:anything|nothing)
    nothing
    no money
    refused
    won't pay
    not paying
    not going to pay
    not gonna pay
    ignored (?:it|them|him|her)
    blocked
    dim ceiniog
    dim byd
    dim arian
    gwrthod
    heb dalu
    heb ei dalu
    not yet
    ddim eto
    dim eto
    heb eto
    """
    ),
    "collected": _any(
        r"""
    pending
    wrthdroi
    gwrthdroi
    ad daliad
    ad-daliad
    refund\w*
    stopio
    wedi stopio
    atal
    wedi'i atal
    processing
    available for (?:pick ?up|collection)
    ready (?:to collect|for collection)
    prosesu
    yn prosesu
    dal i brosesu
    cancel(?:led)?(?: it)?
    managed to (?:cancel|stop)
    in time
    froze
    freeze
    waiting
    still waiting
    before it went
    rhewi
    rewi
    wedi rhewi
    yn aros
    still there
    still in
    still pending
    still showing
    not yet
    not collected
    cancelled
    stopped
    on hold
    frozen
    got it back
    refunded
    reversed
    bounced
    hasn't gone
    ddim eto
    dim eto
    heb eto
    heb ei gasglu
    heb gasglu
    yno o hyd
    dal yno
    dal yn y cyfrif
    dal yn yr
    wedi'i atal
    wedi'i ganslo
    canslo
    ganslo
    yn yr arfaeth
    """
    ),
    "safe_now": _any(
        r"""
    danger
    dim go iawn
    ddim go iawn
    (?:gwneud|wneud|neud) rhywbeth i (?:fi )?fy hun
    tu allan i'r tŷ
    tu fas i'r tŷ
    outside (?:the|my) (?:house|door)
    allan ar ben fy hun
    dod draw
    dod yma
    dod rownd
    coming round
    coming over
    ending it
    end it all
    something stupid
    what i might do
    (?:hurt|harm|kill) (?:myself|herself|himself|themselves)
    wants? to die
    don't want to (?:be here|live)
    take my (?:own )?life
    suicid\w*
    (?:lladd|brifo|niweidio) (?:fy|ei) hun
    gwneud rhywbeth i fi fy hun
    (?:isio|eisiau|moyn) marw
    dod â'r cyfan i ben
    anniogel
    run off
    ran away
    gone missing
    missing
    can't find (?:him|her|them)
    left the house
    ddim yn ateb
    wedi rhedeg i ffwrdd
    unsafe
    not safe
    scared for my life
    threatened to hurt
    outside my house
    outside
    coming (?:round|over|here|to my house)
    hurt me
    he's here
    she's here
    they're here
    kill myself
    end it
    don't want to live
    want to die
    perygl
    peryg
    mewn perygl
    ddim yn saff
    ddim yn ddiogel
    ddim yn iawn
    ofn am fy mywyd
    terrified
    panicking
    not okay
    not ok
    not fine
    not good
    not great
    not really
    help me
    """
    ),
    "under_18": _any(
        r"""
    adult
    (?:mae gen i|sgen i|gen i|sgin i) (?:\w+ )?(?:o )?blant
    (?:kids|children) of my own
    my own (?:kids|children)
    got (?:kids|children|grandkids)
    plant fy hun
    blant fy hun
    working (?:for|since)
    been working
    ers blynyddoedd
    (?:fam|mam|dad|tad) i (?:ddau|dri|un|bedwar|blant)
    (?:a |i'm a )?(?:mum|dad|mam|father|mother|grandad|grandma|nan) of
    brifysgol
    mhrifysgol
    ugeinia
    pensioner
    retired
    nain
    taid
    mam-gu
    tad-cu
    grown (?:man|woman|adult)
    grown up
    grown-up
    over 18
    over eighteen
    18 or over
    uni
    university
    at work
    i work
    retired
    my twenties
    my thirties
    my forties
    my fifties
    oedolyn
    prifysgol
    coleg prifysgol
    dros 18
    dros ddeunaw
    gweithio
    wedi ymddeol
    mum
    dad
    married
    my wife
    my husband
    ugeiniau
    tridegau
    """
    ),
}
_NOT_YET_MEANS_NO = {"paid", "collected"}
# Questions about a state, where a "no" word negated is a yes ("not in danger"); a payment's
# double negative is still a no ("I ain't paid nothing").
_STATES = {"safe_now", "under_18", "collected"}


def _words_before(said: str, start: int, reach: int = 4) -> list[str]:
    words = said[:start].split()[-reach:]
    kept: list[str] = []
    for word in reversed(words):
        if word in _BOUNDARIES:
            break
        kept.append(word)
    return kept


def _negated(said: str, start: int) -> bool:
    before = _words_before(said, start)
    if before and before[0] in _NEGATORS_NEXT:
        return True
    return any(word in _NEGATORS or word.endswith("n't") for word in before)


def _subject_polarity(question: str, said: str) -> str | None:
    """YES or NO from the words about the question's subject, negations applied."""
    votes: list[str] = []
    no_pattern = _SUBJECT_NO.get(question)
    covered: list[tuple[int, int]] = []
    if no_pattern:
        for match in no_pattern.finditer(said):
            # "dw i ddim yn anniogel", "i'm not in danger": a "no" word negated is a yes.
            before = _words_before(said, match.start())
            strong = question in _STATES and any(
                word in _NEGATORS or word.endswith("n't") for word in before
            )
            votes.append(YES if strong else NO)
            covered.append(match.span())
    yes_pattern = _SUBJECT_YES.get(question)
    if yes_pattern:
        for match in yes_pattern.finditer(said):
            if any(a <= match.start() < b for a, b in covered):
                continue
            votes.append(NO if _negated(said, match.start()) else YES)
    if not votes:
        return None
    # "I haven't paid yet, but they keep asking": the first statement answers the question.
    return votes[0] if votes.count(votes[0]) >= votes.count(_other(votes[0])) else _other(votes[0])


def _other(answer: str) -> str:
    return NO if answer == YES else YES


_WELSH_NO_CLAUSE = re.compile(
    r"^(?:dydw i ddim|dw i ddim|dwi ddim|nac ydw|nadw|nagw|na|naddo|nes i ddim|wnes i ddim"
    r"|dyw e ddim|dyw hi ddim|dydy o ddim|dydy hi ddim|dydyn nhw ddim)$"
)
_WELSH_YES_CLAUSE = re.compile(
    r"^(?:\w+ )?(?:nes|wnes|naethon|nath|wnaeth) (?:i|ni|o|e|hi|nhw)$|^(?:dw i|dwi|rwy) wedi$"
)
_CLAUSE = re.compile(r"[,.;:!?\n]+|\s(?:but|and|so|though|ond|ac)\s")


def _clause_answers(text: str) -> str | None:
    """ "i have, im so embarrassed", "i was going to but i didnt": a clause that is only a
    subject and an auxiliary answers the question."""
    for clause in _CLAUSE.split((text or "").lower()):
        said = normalise(clause)
        said = re.sub(r"^(?:she|he|they) (?:says?|said|told me|reckons?) ", "", said)
        if _AUX_NEG.match(said) or _WELSH_NO_CLAUSE.match(said):
            return NO
        if _WELSH_YES_CLAUSE.match(said):
            return YES
        aux = _AUX_ANSWER.match(said)
        if aux:
            return NO if aux.group(1) else YES
    return None


def _particle(said: str) -> str | None:
    """A bare yes or no among the first three words."""
    for index, word in enumerate(said.split()[:3]):
        if word in _NO_WORDS or (index == 0 and word in _NO_FIRST):
            return NO
        if word in _YES_WORDS or (index == 0 and word in _YES_FIRST):
            return YES
    return None


# "Ydych chi'n gwybod a ydy'r arian wedi cael ei gasglu?" asks whether they know: "nac ydw" is
# "I don't know".
_WELSH_I_DONT_KNOW = re.compile(r"^(?:nac ydw|nag ydw|nadw|nagw|na dw i ddim|dw i ddim)$")


def read_yes_no(question: str, text: str) -> str | None:
    """YES, NO or UNKNOWN for a yes/no question (paid, collected, safe_now, under_18)."""
    said = normalise(text)
    if not said:
        return None
    if question == "collected" and _WELSH_I_DONT_KNOW.match(said):
        return UNKNOWN
    echo = re.match(r"^\s*\w+\?\s*(\S.*)$", text or "")
    if echo:  # "paid? no.", "talu? naddo": the question said back, then the answer
        text = echo.group(1)
        said = normalise(text)
    if said in ("yes", "y", "yeah", "no", "n", "nope", "nah"):
        return YES if said[0] == "y" else NO
    if says_dont_know(text):
        return UNKNOWN  # "don't think so? not sure": the doubt is the answer
    thinks_not = _THINK_NOT.search(said)
    subject = _subject_polarity(question, said)
    if subject:
        # "I don't think it's been collected": the doubt negates what follows it.
        return NO if thinks_not else subject
    if _MAYBE.search(said):
        return UNKNOWN
    if _HEDGE_NO.search(said) or thinks_not:
        return NO
    if question in _NOT_YET_MEANS_NO and re.search(r"\b(?:not yet|ddim eto|dim eto)\b", said):
        return NO
    if _HEDGE_YES.search(said):
        return YES
    answer = _clause_answers(text) or _particle(said)
    if answer is None and _THEY_DONT_SAY.search(said):
        return UNKNOWN
    return answer


# --- ages ---------------------------------------------------------------------------------------
_SCOTTISH_YEAR = re.compile(r"\b(?:in )?s([1-6])\b")
_SCHOOL_YEAR = re.compile(r"\b(?:year|yr|blwyddyn|flwyddyn|mlwyddyn|bl)\s?(\d{1,2})\b")
_AGE_RANGE = re.compile(
    r"\b(?:between |rhwng )?(\d{1,2}) (?:and|a|ac|or|neu|to|i) (\d{1,2})\b(?! (?:quid|pounds))"
)
_ADULT_DECADES = re.compile(
    r"\b(?:thirty|forty|fifty|sixty|seventy|deugain|ddeugain|(?:tri|dri|pedwar|bedwar|pum|bum"
    r"|chwe) deg|hanner cant|trigain|dri deg)\b"
)
_STATED_AGE = re.compile(
    r"(?:\b(?:i'm|i am|i's|he's|he is|she's|she is|they're|they are|she|he|turned|aged|age"
    r"|only|just|dw i'n|dwi'n|rwy'n|rydw i'n|wi'n|fi'n|mae e'n|mae o'n|mae hi'n|ma fe'n"
    r"|ma hi'n|ma o'n|mae'n|ma'n|sy'n|yn|droi'n|troi'n) (?:actually |really |only |just |now )?"
    r"(\d{1,2})\b(?! (?:mins?|minutes?|hours?|days?|weeks?|months?|pounds?|quid|grand|k|times?"
    r"|messages?|pics?|photos?|videos?|%))"
    r"|\b(\d{1,2}) ?(?:years? old|yrs? old|yr old|y/o|yo|year-old|oed|mlwydd oed|blwydd|ers)\b"
    r"|\bmy (\d{1,2}) ?(?:year|yr)s?[ -]old"
    r"|\b(?:son|daughter|child|kid|boy|girl|brother|sister|friend|nephew|niece|grandson"
    r"|granddaughter|pupil|student|stepson|stepdaughter)(?: is|'s| was| who is| who's|, )"
    r" ?(?:only |just )?(\d{1,2})\b"
    r"|\b(?:mab|merch|plentyn|mhlentyn|mrawd|chwaer|ffrind|wyres|ŵyr|nith|nai)(?: i| ni)?"
    r"(?:'n| yn) (?:ddim ond )?(\d{1,2})\b"
    r"|\b(\d{1,2}) (?:yw|ydy|ydi|oed yw|oed ydy) (?:e|o|hi|fe|fo|hwn|hon))"
)
# Not that age yet: "nearly 18", "he'll be 17 in march", "18 next month", "fydda i'n ddeunaw".
_NOT_YET_PREFIX = (
    r"\b(?:nearly|almost|be|turning|turn|not yet|ddim yn|bron yn|bron|bydda i'n|fydda i'n"
    r"|bydd e'n|bydd hi'n|fydd e'n|fydd hi'n|bydd o'n|fydd o'n) "
)
_ALMOST_AGE = re.compile(
    rf"{_NOT_YET_PREFIX}(\d{{1,2}})\b"
    r"|\b(\d{1,2}) (?:in (?:a (?:couple of |few )?)?(?:weeks?|months?|days?)\b|in (?:jan|feb|mar"
    r"|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*|next (?:week"
    r"|month|year|birthday)|on my (?:next )?birthday|this (?:year|summer|month)|mis nesa"
    r"|wythnos nesa|ar (?:ôl|ol)|flwyddyn nesa)"
)
_ALMOST_WORD = re.compile(_NOT_YET_PREFIX + r"(.+)")
_DATE = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-]((?:19|20)\d\d)\b")
_BORN = re.compile(
    r"\bborn(?: \w+){0,4}? ((?:19|20)\d\d)\b|\bgan(?:wyd|ed)(?: \w+){0,4}? ((?:19|20)\d\d)\b"
)


def age_in(text: str) -> int | None:
    """The youngest age a message states ("I'm 15", "my 14 year old son", "mae hi'n 15",
    "year 10", "18 next month"), or None. The youngest: "I'm 16 and he's 30" is a child."""
    said = normalise(text)
    ages = []
    for match in _STATED_AGE.finditer(said):
        ages.append(int(next(group for group in match.groups() if group)))
    for match in _ALMOST_AGE.finditer(said):
        ages.append(int(next(group for group in match.groups() if group)) - 1)
    almost_word = _ALMOST_WORD.search(said)
    if almost_word and _word_age(almost_word.group(1)):
        ages.append((_word_age(almost_word.group(1)) or 0) - 1)
    for match in _BORN.finditer(said):
        ages.append(date.today().year - int(next(group for group in match.groups() if group)))
    for day, month, year in _DATE.findall(text or ""):
        today = date.today()
        if 1 <= int(month) <= 12:
            ages.append(
                today.year - int(year) - ((today.month, today.day) < (int(month), int(day)))
            )
    for match in _SCHOOL_YEAR.finditer(said):
        year = int(match.group(1))
        if 1 <= year <= 13:
            ages.append(min(year + 5, 17))
    for match in _SCOTTISH_YEAR.finditer(said):
        ages.append(int(match.group(1)) + 11)
    word_age = _word_age(said)
    if word_age and re.search(
        r"\b(?:i'm|i am|he's|she's|turned|aged|'n|yn|oed|years? old)\b", said
    ):
        ages.append(word_age)
    ages = [age for age in ages if 5 <= age <= 99]
    return min(ages) if ages else None


def _word_age(said: str) -> int | None:
    return knowledge.parse_age(re.sub(r"\d", " ", said))


def speaks_of(question: str, text: str) -> bool:
    """Whether a message says something about a yes/no question's own subject: "safe", "paid"."""
    return _subject_polarity(question, normalise(text)) is not None


# Over 18 without an age: "I'm a grown man", "I'm an adult", "a bloke in my 40s", "dw i'n oedolyn".
_ADULT = re.compile(
    r"\b(?:i'm|im|i am|he's|she's|he is|she is|they're) (?:a |an )?(?:grown[- ]?(?:up|man|woman"
    r"|adult)|adult)\b|\bgrown (?:man|woman|adult)\b"
    r"|\bin (?:my|his|her|their) (?:late |early |mid )?(?:[2-9]0['’]?s|twenties|thirties|forties"
    r"|fifties|sixties|seventies|eighties)\b"
    r"|\b(?:dw i'n|dwi'n|rwy'n|rydw i'n|wi'n|mae e'n|mae o'n|mae hi'n) oedolyn\b"
)


def says_adult(text: str) -> bool:
    return bool(_ADULT.search(normalise(text)))


def states_age(text: str) -> bool:
    """Whether a message says how old someone is, in any form: an age, a bound, "an adult"."""
    said = normalise(text)
    return age_in(text) is not None or knowledge.age_bound(said) is not None or says_adult(text)


def read_under_18(text: str) -> str | None:
    """The answer to "Are you (or they) under 18?": an age, a school year, a bound or yes/no."""
    said = normalise(text)
    if not said:
        return None
    if re.search(r"\bnot (?:over|above|older than) 18\b|\bnot (?:yet )?(?:an adult|18)\b", said):
        return YES
    bound = knowledge.age_bound(said)
    if bound:
        kind, limit = bound
        if kind == "under" and limit <= 18:
            return YES
        if kind == "over" and limit >= 17:
            return NO
        return None  # "over 12" says nothing either way
    spread = _AGE_RANGE.search(said)
    if spread and int(spread.group(1)) < 18 <= int(spread.group(2)):
        return UNKNOWN
    age = age_in(text)
    if age is None and (_ADULT_DECADES.search(said) or says_adult(text)):
        return NO
    if age is None:
        # At the age question, the one number of a short answer is the age: "does 17 count".
        numbers = re.findall(
            r"(?<![£$€])\b(\d{1,2})\b(?! ?(?:quid|pounds|%|mins?|minutes?|hours?|days?|weeks?"
            r"|months?|years?|times?|k\b|grand))",
            said,
        )
        age = int(numbers[0]) if len(numbers) == 1 and len(said.split()) <= 14 else None
        if age is None and len(said.split()) <= 4:
            age = _word_age(said)
    if age is not None and 5 <= age <= 99:
        return YES if age < 18 else NO
    if re.search(r"\b(?:twenties|thirties|forties|fifties|sixties|ugeiniau|tridegau)\b", said):
        return NO
    return read_yes_no("under_18", text)


# --- amounts, as written ------------------------------------------------------------------------
_NUMBER_WORDS = (
    r"(?:a |one |two |three |four |five |six |seven |eight |nine |ten |twenty |thirty |forty "
    r"|fifty |sixty |seventy |eighty |ninety |a couple of |a couple |couple of |couple |a few "
    r"|few |several |un |dau |dwy |tri |tair |pedwar |pump |pum |chwe |chwech |saith |wyth "
    r"|naw |deg |ugain |hanner |rhyw |tua |ddau |ddwy |dri |bedwar |bum |bump |ddeg |around "
    r"|about |over |nearly |almost )+"
)
_AMOUNT_AS_WRITTEN = re.compile(
    r"[£$€]\s?\d[\d,.]*\s?(?:k|grand|thousand|hundred|m)?"
    r"|\b\d[\d,.]*\s?(?:k|grand|thousand|hundred|quid|pounds?|gbp|usd|dollars?|euros?|eur|bucks"
    r"|btc|bitcoins?|eth|usdt|ethereum|crypto|punt|bunt|bunnoedd|punnoedd|bunnau|punnau"
    r"|o bunnoedd|o bunnau|o bunnau)\b"
    rf"|\b(?:{_NUMBER_WORDS})?(?:hundred|thousand|grand|ton|quid|pounds?|cant|gant|chant|canpunt"
    r"|ganpunt|mil|fil|punt|bunt|bunnoedd|bunnau|tenner|fiver|grand)"
    r"(?: (?:and |a )?(?:[a-z]+ )?(?:quid|pounds?"
    r"|dollars?|euros?|o bunnoedd|o bunnau|o bunnoedd|punt|bunt|bunnoedd|bunnau))?\b",
    re.IGNORECASE,
)
_BARE_NUMBER = re.compile(r"\b\d[\d,.]*\b")


def amount_as_written(text: str, *, bare_numbers: bool = True) -> str | None:
    """The amount a message names, as the person wrote it ("0.01 bitcoin", "two hundred quid"),
    or None when it names none. A bare number counts only where an amount was asked for."""
    match = _AMOUNT_AS_WRITTEN.search(text or "") or (
        _BARE_NUMBER.search(text or "") if bare_numbers else None
    )
    if not match:
        return None
    written = match.group(0).strip(" ,.")
    return written or None
