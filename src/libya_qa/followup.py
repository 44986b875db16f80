"""Follow-up questions: lean on the conversation only when the question cannot stand alone."""

from __future__ import annotations

import re

# Words that point back into the conversation.
ANAPHORA = re.compile(
    r"\b(he|him|his|she|her|they|them|their|theirs|it|its|that|this|those|these|there|then|"
    r"the same|the group|the militia|the country|the article|the author)\b",
    re.IGNORECASE,
)
# Openings that only make sense as a continuation ("And who...", "What about Qatar?").
CONTINUATION = re.compile(
    r"^\s*(and|but|also|so|what about|how about|and what about|what else|why|why not|how come|"
    r"who else|anything else|more on|tell me more|same for|what of)\b",
    re.IGNORECASE,
)
CONTENT_WORDS_TO_STAND_ALONE = 4


def is_followup(question: str) -> bool:
    """True when the question leans on earlier turns (pronouns, continuations, or very short)."""
    content = [w for w in re.findall(r"[A-Za-z’']+", question) if len(w) > 3]
    return bool(CONTINUATION.search(question) or ANAPHORA.search(question)
                or len(content) < CONTENT_WORDS_TO_STAND_ALONE - 1)


def search_query(question: str, history: list[str]) -> str:
    """The text retrieval should use: the question, preceded by the last turn when it is a follow-up."""
    if not history or not is_followup(question):
        return question
    return f"{history[-1]} {question}"
