"""Follow-up questions: lean on the conversation only when the question cannot stand alone."""

from __future__ import annotations

import re

# Openings that only make sense as a continuation ("And who...", "What about Qatar?").
CONTINUATION = re.compile(
    r"^\W*(and|but|also|so|what about|how about|what else|who else|anything else|"
    r"tell me more|more about|same for|what of|why( not)?\W*$|how come\W*$)\b",
    re.IGNORECASE,
)
# Words that point back to something named earlier.
ANAPHOR = re.compile(r"\b(he|him|his|she|her|they|them|their|it|its|this|that|these|those)\b", re.IGNORECASE)
# A capitalised word after the first one: the question names its own subject.
NAMED = re.compile(r"(?<!^)(?<![?.!] )\b(?!I\b)[A-Z][\w’'-]+")
MIN_CONTENT_WORDS = 3
CONTEXT_CHARS = 300  # how much earlier text a follow-up carries (the last turn or two)


def is_followup(question: str) -> bool:
    """True when the question leans on earlier turns.

    A continuation ("And ...", "What about X?") always does; otherwise a question that names its
    subject stands alone (so history cannot pollute it), and one that names nothing leans on the
    conversation when it has a pronoun or demonstrative or only one or two content words.
    """
    question = question.strip()
    if CONTINUATION.search(question):
        return True
    if NAMED.search(question):
        return False
    content = [w for w in re.findall(r"[A-Za-z’']+", question) if len(w) > 3]
    return len(content) < MIN_CONTENT_WORDS or bool(ANAPHOR.search(question))


def search_query(question: str, history: list[str]) -> str:
    """The text retrieval uses: the question, carrying the context of earlier turns when it is a follow-up."""
    context = ""
    for turn in history:  # each earlier turn resolved the same way, so chains of follow-ups work
        context = f"{context[-CONTEXT_CHARS:]} {turn}".strip() if context and is_followup(turn) else turn
    if not context or not is_followup(question):
        return question
    return f"{context[-CONTEXT_CHARS:]} {question}"
