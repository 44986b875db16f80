"""Other spellings of a name: "Hifter" for Haftar, "Misurata" for Misrata, "Tubruq" for Tobruk.

Arabic names reach English in several transliterations, and a question may spell a name otherwise than
the corpus does. A stem the corpus lacks is matched to a corpus stem with the same consonant skeleton
(first letter kept, vowels and "h" dropped, doubled letters merged, q read as k, ph and v as f) and at most two edits
apart, so "Hifter" meets "haftar" while "Bashagha" does not meet "besieg" (same skeleton, five edits).
Skeletons of fewer than four letters are left alone: too many words share them ("Salam", "Salim").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MIN_LETTERS = 5  # shorter stems have skeletons too common to tell names apart
MIN_SKELETON = 4  # "Salam" and "Salim", "Mitiga" and "mitig(ate)" share three-letter skeletons
MAX_EDITS = 2
DROPPED = re.compile(r"[aeiouyh]")
DOUBLED = re.compile(r"(.)\1+")

Skeletons = Mapping[str, tuple[str, ...]]  # consonant skeleton -> the corpus stems that have it


def skeleton(stem: str) -> str:
    """The consonant skeleton of a lowercase stem ("haftar" and "hifter" -> "hftr"; "stephen", "steven" -> "stfn")."""
    stem = stem.replace("q", "k").replace("ph", "f").replace("v", "f")
    return DOUBLED.sub(r"\1", stem[:1] + DROPPED.sub("", stem[1:]))


def skeleton_index(stems: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The corpus stems long enough to compare, by skeleton."""
    index: dict[str, list[str]] = {}
    for stem in stems:
        if len(stem) >= MIN_LETTERS and stem.isalpha():
            index.setdefault(skeleton(stem), []).append(stem)
    return {key: tuple(sorted(found)) for key, found in index.items()}


def respellings(stem: str, skeletons: Skeletons) -> list[str]:
    """Corpus stems that may spell the same name as this one, closest first (none for a short stem)."""
    if len(stem) < MIN_LETTERS or not stem.isalpha() or len(skeleton(stem)) < MIN_SKELETON:
        return []
    near = [(edits(stem, other), other) for other in skeletons.get(skeleton(stem), ()) if other != stem]
    return [other for distance, other in sorted(near) if distance <= MAX_EDITS]


def edits(a: str, b: str) -> int:
    """Levenshtein distance (stems are short: a plain dynamic programme)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]
