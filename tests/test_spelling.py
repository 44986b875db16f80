"""Names spelled otherwise than the corpus spells them: matched by consonant skeleton and a few edits."""

from __future__ import annotations

import pytest

from libya_qa.analysis import tokenize
from libya_qa.spelling import respellings, skeleton, skeleton_index

CORPUS = skeleton_index(tokenize("Haftar Misrata Tobruk Zintan besieged mitigate Salim Sarraj Stephens"))


@pytest.mark.parametrize(
    "asked, corpus",
    [("Hifter", "haftar"), ("Misurata", "misrata"), ("Tubruq", "tobruk"), ("Zentan", "zintan"), ("Stevens", "stephen")],
)
def test_a_transliteration_meets_the_corpus_spelling(asked: str, corpus: str) -> None:
    assert respellings(tokenize(asked)[0], CORPUS) == [corpus]


@pytest.mark.parametrize("asked", ["Bashagha", "Mitiga", "Salam", "Serraj", "Kobler", "Haftar"])
def test_other_names_short_skeletons_and_the_corpus_own_spelling_meet_nothing(asked: str) -> None:
    # Bashagha shares "besieg"'s skeleton but is five edits away; Mitiga/mitig(ate), Salam/Salim and
    # Serraj/Sarraj have three-letter skeletons, which too many words share to tell names apart
    assert respellings(tokenize(asked)[0], CORPUS) == []


def test_the_skeleton_keeps_the_first_letter_and_the_consonants_once() -> None:
    assert skeleton("haftar") == skeleton("hifter") == "hftr" and skeleton("tubruq") == "tbrk"
    # "ph" and "v" sound as "f": the founding corpus writes "Ambassador Chris Stephens" for Stevens
    assert skeleton("stephen") == skeleton("steven") == "stfn"
