"""Keyword analysis shared by BM25 and sentence scoring: words, stop words, stems."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

WORD = re.compile(r"[A-Za-z0-9\u00C0-\u024F]+(?:['’][A-Za-z]+)?")

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me more
    most my myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves did does tell say said according article articles author
    authors describe described explain explains mention mentioned mentions give gives many much one
    ones get got please know known happen happened us whose way ways kind sort thing things else
    did whether""".split()
)


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    """The Snowball English stemmer (PyStemmer), created once."""
    import Stemmer

    return Stemmer.Stemmer("english")


def _fold(word: str) -> str:
    """Lowercase, strip accents and possessives so 'Haftar’s' and 'haftar' meet."""
    word = unicodedata.normalize("NFKD", word.lower())
    word = "".join(c for c in word if not unicodedata.combining(c))
    for suffix in ("'s", "’s"):
        if word.endswith(suffix):
            word = word[: -len(suffix)]
    return word.replace("’", "'")


def tokenize(text: str) -> list[str]:
    """Stemmed content words of a text, in order (stop words dropped)."""
    words = [_fold(m.group(0)) for m in WORD.finditer(text)]
    words = [w for w in words if w not in STOPWORDS]
    return list(_stemmer().stemWords(words)) if words else []


def tokenize_many(texts: list[str]) -> list[list[str]]:
    """tokenize() over a list."""
    return [tokenize(text) for text in texts]
