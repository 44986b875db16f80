"""Follow-up questions: resolve what they point back to, and keep their own intent.

A follow-up's retrieval text is its own words plus what its pronouns, "there" and "that" refer to:
the names of the earlier question and, for a who/which question, of the answer it got ("Who is
Turkey's foreign minister?" -> "What did he accuse the Americans of?" searches with the minister's
name), and for "it", "they" or "there" the noun the earlier question asked about ("the force"). A bare
continuation ("What about Algeria?") asks the earlier question again of its new name; a continuation that
names its own subject and points back at nothing ("And who backed Libya Dawn?") searches with its own
words only; a reaction with nothing to react to ("How did the transitional council respond?", "What
happened next?") borrows the whole earlier question. The earlier question's other words are left out,
so they cannot outweigh the follow-up's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .analysis import STOPWORDS, question_type, without_continuation
from .answer_kinds import asks_for_someone
from .entities import find_spans
from .slots import is_place

# Openings that only make sense as a continuation ("And who...", "What about Qatar?").
CONTINUATION = re.compile(
    r"^\W*(and|but|also|so|what about|how about|what else|who else|anything else|"
    r"tell me more|more about|same for|what of|why( not)?\W*$|how come\W*$)\b",
    re.IGNORECASE,
)
# A continuation that names its new subject but borrows the earlier predicate ("And how many died?" asks anew).
BARE = re.compile(
    r"^\W*(?:and|but|what about|how about|same for|what of)\s+(?!(?:who|what|when|where|which|why|how)\b)"
    r"(?:the\s+)?[^\s?]+(?:\s+[^\s?]+){0,3}\W*$",
    re.IGNORECASE,
)
# A reaction with nothing to react to, or what came next: "How did the transitional council respond?"
# (dev f17, after "What did Ian Martin propose ...?") names its subject but borrows the earlier event.
REACTION = re.compile(
    r"\b(?:(?:respond|react|reply|retaliate)(?:ed)?(?:\s+(?:then|next|afterwards|later))?"
    r"|(?:happen(?:ed)?|do|did|done)\s+(?:then|next|afterwards|after\s+that|later))\W*$",
    re.IGNORECASE,
)
# Words that point back to something named earlier.
ANAPHOR = re.compile(r"\b(he|him|his|she|her|hers|they|them|their|it|its|this|that|these|those|there)\b", re.IGNORECASE)
PLURAL = re.compile(r"\b(they|them|their|theirs)\b", re.IGNORECASE)  # may mean a list of names
PERSONAL = re.compile(r"\b(he|him|his|she|her|hers)\b", re.IGNORECASE)
# A pronoun that ends the question (maybe before a preposition) has no antecedent inside it, even after
# a name: "When had Islamic State taken it?", "Who did Putin say this to?" ("there" may have one:
# "What is Niger's capital and how many people live there?").
TRAILING = re.compile(
    r"\b(?:it|them|him|her|this|that)(?:\s+(?:to|in|at|from|for|on|with|about|over))?\W*$", re.IGNORECASE
)
# A second question joined to a first that names its own subject: a pronoun ending it may mean that subject ("How
# long is the book about Doaa, and who wrote it?"; dev q552 was read as a follow-up after an unrelated question).
JOINED = re.compile(r"(?:,\s*|\s)and\s+(?:who|whom|what|when|where|which|why|how)\b", re.IGNORECASE)
# A possessive before the subject it means, named right after the verb: "How much of its territory has the
# Islamic State lost?" (dev q621).
CATAPHORIC = re.compile(
    r"\b(?:its|their|his|her)\b.*?\b(?:has|have|had|did|does|do|is|are|was|were)\s+(?:the\s+)?"
    r"(?-i:[A-Z])",
    re.IGNORECASE,
)
# Before a name, these point back; "this", "that" and the like are as often determiners or relatives there.
POINTING = re.compile(r"\b(he|him|his|she|her|hers|they|them|their|it|its|there)\b", re.IGNORECASE)
# ... unless "this" or "that" stands for something, not opening a clause: "Who said that for the UN, and when?"
DEMONSTRATIVE = re.compile(
    r"\b(?:this|that)\b(?=\s+(?:for|in|about|to|at|on|with|from|and|or)\b|\s*[,?.!])", re.IGNORECASE
)
# A capitalised word after the first one: the question names its own subject.
NAMED = re.compile(r"(?<!^)(?<![?.!] )\b(?!I\b)[A-Z][\w’'-]+")
# The thing an earlier question asks about, which "it", "they" or "there" may mean later: the noun after
# "which" or "what" ("Which warships did France sell?" -> "them"), else its first "the" noun ("How big is
# the force fighting for Mosul?" -> "Who is in it?"; "What happened to the school near Raqqa?" -> "How many
# died there?": a word after "what" ending in -ed is a verb). Dev follow-up hit@1 0.70 -> 0.74.
AUXILIARY = r"did|does|do|is|are|was|were|has|have|had"
FOCUS_WH = re.compile(
    rf"^\W*(?:which|what)\s+(?!(?:{AUXILIARY})\b)([a-z][\w’'-]*"
    rf"(?:\s+(?!(?:in|of|on|at|for|from|to|by|{AUXILIARY})\b)[a-z][\w’'-]*)?)",
    re.IGNORECASE,
)
# The noun after "the", with a hyphened name that says which one: "the Tobruk-based government" (f154: "its").
FOCUS_THE = re.compile(r"\bthe\s+((?:[A-Z][\w’']*-[\w’'-]+\s+)?[a-z][\w’'-]*)")
# "And how many were wounded?": a count whose noun is left out counts what the earlier question counted (f121).
ELLIPTIC_COUNT = re.compile(rf"\bhow\s+(?:many|much)\s+(?:{AUXILIARY}|will|would)\b", re.IGNORECASE)
COUNTED = re.compile(
    rf"\bhow\s+(?:many|much)\s+((?!(?:{AUXILIARY})\b)[\w’'-]+(?:\s+(?!(?:{AUXILIARY})\b)[a-z][\w’'-]*)?)", re.IGNORECASE
)
THING = re.compile(r"\b(it|its|they|them|their|these|those|there)\b", re.IGNORECASE)
# "It" that points at nothing: "Why was it unsurprising that ...", "Is it true that ...", "is it hard to",
# and the idiom "as Putin put it" or "as Orton calls it" (dev q83 was read as a follow-up after another question).
EXPLETIVE = re.compile(
    r"\b(?:(?:is|was|isn’t|isn't|wasn’t|wasn't)\s+it|it\s+(?:is|was|seems|seemed|appears))"
    r"\s+(?:(?:\w+\s+){1,2}?(?:that|whether)|(?:\w+(?<!ed)(?<!said)\s+){1,2}?to)\b"
    r"|\bas\s+(?:[\w’'-]+\s+){1,3}?(?:puts?|calls?|called|describe[sd]?|terms?|termed|sees|saw)"
    r"\s+it\b",
    re.IGNORECASE,
)  # "is it said to be loyal to" raises a real subject: not this
# "The other side" beside the side's name ("And who supported the other side, Libya Dawn?") points at the
# conversation, not at the text: a sentence about "both sides" would match its words (dev f57).
OTHER_SIDE = re.compile(r"\bthe\s+(?:other|opposing|rival)\s+(?:side|camp|party|faction)\b\W*", re.IGNORECASE)
# A person named by role, whom "he" or "she" later in the question may mean: "What did Libya's prime minister say
# he would do?" stands alone though it names only a place.
ROLE = re.compile(
    r"\b(?:president|minister|premier|leader|commander|general|colonel|spokes(?:man|woman|person)|"
    r"official|officer|envoy|ambassador|chancellor|king|emir|prince|chief|secretary|founder|author|"
    r"journalist|reporter|man|woman|boy|girl|soldier|fighter|refugee|perpetrator|suspect)s?\b",
    re.IGNORECASE,
)
COORDINATED = re.compile(r"\s*(?:,|and|,\s*and)\s*")  # what joins the names of one group: "France and Germany"
# "Which other dictator had done the same?", "How many other refugees were on board?": other than what the
# conversation named; a question naming its own subject is left alone (the check above returned for it).
OTHERS = re.compile(r"\b(?:other|else|another)\b|\bthe same\b", re.IGNORECASE)
# A plural noun, roughly: a word ending in one "s" ("terrorists", not "across", "this" or "crisis"), less the
# verbs and words that end so ("does", "says", "always").
PLURAL_NOUN = re.compile(r"\b[a-z]{3,}(?<![siu])s\b")
NOT_PLURAL = frozenset(
    {"does", "says", "goes", "gets", "makes", "takes", "seems", "means", "always", "perhaps", "whereas"}
)
MIN_CONTENT_WORDS = 3
MAX_REFERENTS = 3


@dataclass(frozen=True)
class Turn:
    """An earlier question, and the names its answer gave (its short answer), if any."""

    question: str
    answer_names: tuple[str, ...] = ()  # every name its best sentences mark; none when they list too many
    answer_shown: tuple[str, ...] = ()  # its short answer, a long list cut to its doers: "their" may mean them
    answer_source: str = ""  # the article its first quote came from


def without_expletive(question: str) -> str:
    """The question with an "it" that points at nothing taken out ("Why was unsurprising that ...")."""
    return EXPLETIVE.sub(lambda m: re.sub(r"\bit\b", "", m.group(0), flags=re.IGNORECASE), question)


def is_followup(question: str) -> bool:
    """True when the question leans on earlier turns.

    A continuation ("And ...", "What about X?") always does, and so does a pronoun that ends the
    question or comes before any name, "he" or "she" after two names ("How do Pack and Brody-Barre
    describe the army he leads?"), or "they" or "their" after a single name ("What did Haftar tell
    their citizens to do?": no plural, no "and", no list before it); otherwise a question that names
    its subject stands alone (so history cannot pollute it), and one that names nothing leans on the
    conversation when it has a pronoun or demonstrative or only one or two content words.
    """
    question = without_expletive(question.strip())
    if (
        CONTINUATION.search(question)
        or REACTION.search(question)
        or (TRAILING.search(question) and not _answers_inside(question))
    ):
        return True
    named, pointing = NAMED.search(question), POINTING.search(question) or DEMONSTRATIVE.search(question)
    if named and pointing and pointing.start() < named.start() and not _cataphoric(question, pointing.start()):
        return True  # "What did he accuse the Americans of?": the pronoun comes before any name
    personal = PERSONAL.search(question)
    if named and personal and re.search(r"\band\b", question[named.start() : personal.start()]):
        return True  # "How do Pack and Brody-Barre describe the army he leads?": two names are no "he"
    if personal and _only_places_before(question, personal.start()) and not ROLE.search(question[: personal.start()]):
        return True  # "Why hadn't Germany been able to deport him?": a country is no "him" (f133, f120)
    plural = PLURAL.search(question)
    if (
        named
        and plural
        and not (_plural_before(question, plural.start()) or re.search(r"\band\b|,", question[: plural.start()]))
    ):
        return True  # "What did Haftar tell their citizens to do?": one name, and "their" is not his
    if named:
        return False
    content = [w for w in re.findall(r"[A-Za-z’']+", question) if len(w) > 3]
    pointing_back = [m for m in ANAPHOR.finditer(question) if not _plural_inside(question, m)]
    return len(content) < MIN_CONTENT_WORDS or bool(pointing_back) or bool(OTHERS.search(question))


def _plural_inside(question: str, pronoun: re.Match[str]) -> bool:
    """True when a plural pronoun has a plural noun before it in the question: "Why did opposition politicians
    object to the law letting authorities keep convicted terrorists locked up after their sentences?"."""
    return PLURAL.fullmatch(pronoun.group(0)) is not None and _plural_before(question, pronoun.start())


def _plural_before(question: str, end: int) -> bool:
    """True when the question holds a plural noun before `end`."""
    return any(w.lower() not in NOT_PLURAL for w in PLURAL_NOUN.findall(question[:end]))


def _answers_inside(question: str) -> bool:
    """True when a pronoun ending the question closes a second question joined to a first that names something."""
    joined = JOINED.search(question)
    return joined is not None and NAMED.search(question[: joined.start()]) is not None


def _cataphoric(question: str, start: int) -> bool:
    """True when the possessive at `start` means the subject named right after the question's verb."""
    return CATAPHORIC.match(question, start) is not None


def _only_places_before(question: str, end: int) -> bool:
    """The question names something before `end`, and all it names there are places or peoples."""
    names = [question[s.start : s.end] for s in find_spans(question[:end]) if s.kind == "name"]
    return bool(names) and all(is_place(name) for name in names)


def question_names(question: str) -> list[str]:
    """The names, numbers and dates an earlier question mentions, in order."""
    return [question[s.start : s.end] for s in find_spans(question)]


def focus(question: str) -> list[str]:
    """The common noun an earlier question asks about ("warships", "force"), if it has one."""
    asked = FOCUS_WH.search(without_continuation(question))  # "And which warships ...?" asks about warships
    if asked and not asked.group(1).lower().endswith("ed"):  # "What happened at ...": a verb, not the thing
        return [asked.group(1)]
    return [m.group(1) for m in FOCUS_THE.finditer(question) if m.group(1).lower() not in STOPWORDS][:1]


def referents(question: str, turn: Turn) -> list[str]:
    """What the question's pronouns point to in the earlier turn, most likely first.

    A who/which/where question is about its answer, so "he" or "it" later means what it answered;
    otherwise they mean what the earlier question named. "It" and "they" may also mean the thing the
    earlier question asked about, which is no name ("the force"), so its noun comes last. "He" or "she"
    is never a place or a people (spaCy's entity recogniser: slots.is_place), and "its", "his" or "their"
    owns something, so it is never a figure or a date ("its spokesman"). A when or how-many question
    leaves out the earlier turn's dates or figures: it asks for another one.
    """
    asked = question_names(turn.question)
    # "What did Haftar tell their citizens to do?" after "And who backed Libya Dawn?": its first quote lists six
    # names, too many for "he" to point into, and its short answer's two doers are who "their" means (dev
    # f58); a single name shown is what "it" means when the quote listed too many to point into:
    # "When had Islamic State taken it?" after "Which airport did Iraqi forces capture ...?" (Mosul, dev f63)
    shown = list(turn.answer_shown) if PLURAL.search(question) or len(turn.answer_shown) == 1 else []
    answered = list(turn.answer_names) or shown
    if PERSONAL.search(question) and len(turn.answer_shown) == 1 and not is_place(turn.answer_shown[0]):
        # "What happened to him ...?" after "Who led the delegation ...?": him is the one person answered, not
        # every name its quote lists ("Saddam Hussein", "Salafi": dev f107)
        answered = list(turn.answer_shown)
    if (PERSONAL.search(question) and not THING.search(without_expletive(question))) or asks_for_someone(turn.question):
        # "When did he launch his operation?" after "Who backed Haftar?": he is Haftar, not Egypt or Saudi Arabia;
        # "When did the UN blacklist it?" after "Which Tunisian jihadist group ...?": the group, not Tunisia (f112)
        answered = [name for name in answered if not is_place(name)]
    ordered = answered + asked if question_type(turn.question) == "name" else asked + answered
    pronouns = {m.group(0).lower() for m in POINTING.finditer(without_expletive(question))}
    if pronouns and pronouns <= {"its", "his", "her", "their"}:  # "its spokesman": an owner is no figure or date
        ordered = [name for name in ordered if not any(s.kind in ("number", "time") for s in find_spans(name))]
    asking = question_type(question)
    if asking in ("time", "number"):  # "When had IS taken it?" after "... capture in February 2017?" (dev f63)
        ordered = [name for name in ordered if not any(s.kind == asking for s in find_spans(name))]
    seen: list[str] = []
    for name in ordered:
        if name.lower() not in (s.lower() for s in seen) and name.lower() not in question.lower():
            seen.append(name)
    things = focus(turn.question) if THING.search(without_expletive(question)) else []
    if ELLIPTIC_COUNT.search(question):
        things += [m.group(1) for m in COUNTED.finditer(turn.question)][:1]
    return seen[:MAX_REFERENTS] + [t for t in things if t.lower() not in " ".join([question, *seen]).lower()]


def in_place(continuation: str, earlier: str) -> str:
    """The earlier question asked of the continuation's new name: its last name (or group of names) swapped for it.

    "What about Algeria?" after "How has Libya's instability affected Tunisia?" asks how it affected
    Algeria; kept whole, the earlier question's "Tunisia" would pull the search back to Tunisia.
    """
    new = [continuation[s.start : s.end] for s in find_spans(continuation) if s.kind == "name"]
    old = [s for s in find_spans(earlier) if s.kind == "name"]
    if not new or not old:
        return earlier
    start = old[-1].start
    for before in reversed(old[:-1] if len(new) > 1 else []):  # "What about Germany and Norway?" after "Which
        if not COORDINATED.fullmatch(earlier[before.end : start]):  # planes will France and Germany buy?" (f139)
            break
        start = before.start
    return f"{earlier[:start]}{' and '.join(new)}{earlier[old[-1].end :]}"


def resolve(question: str, turns: list[Turn]) -> str:
    """The text retrieval uses: the question itself, or a follow-up with what it refers to spelled out."""
    return resolved(question, turns)[0]


def resolved(question: str, turns: list[Turn]) -> tuple[str, tuple[str, ...]]:
    """resolve's text, and the referents it spelled out, each apart (run together in the text, "TANDJA ISSOUFOU
    Mahamadou BAZOUM Mohamed" reads as one name)."""
    if NAMED.search(question):  # "the other side, Libya Dawn": the name says which side
        question = OTHER_SIDE.sub("", question)
    if not turns or not is_followup(question):
        return question, ()
    last = turns[-1]
    if len(turns) > 1 and is_followup(last.question):  # "Who is Haftar?" / "When did he ...?" / "Did he ...?"
        last = replace(last, question=resolve(last.question, turns[:-1]))  # its "he" is Haftar: so is this one's
    if BARE.match(question):  # "What about Qatar?", "And of its capital?": the earlier question says what about
        return f"{question} {in_place(question, last.question)}", ()
    if REACTION.search(question) and not ANAPHOR.search(question):  # "How did Egypt respond?": to the earlier turn
        return f"{question} {last.question}", ()
    if NAMED.search(question) and not ANAPHOR.search(question):  # "And who backed Libya Dawn?" names its subject:
        return question, ()  # the earlier answer's names would pull it back to the earlier subject
    named = referents(question, last)
    if not named and len(turns) > 1:  # a chain of follow-ups: look one turn further back
        named = referents(question, turns[-2])
    return (" ".join([question, *named]), tuple(named)) if named else (f"{question} {last.question}", ())


def search_query(question: str, history: list[str]) -> str:
    """The retrieval text for a question after earlier questions (their answers unknown)."""
    return resolve(question, [Turn(h) for h in history])
