"""Fact sheets: reference text (a country profile) that writes most of its lines as labelled values.

Such a sheet answers "What is the population of Niger?" in the row its label names ("Population: total:
27,322,555 ..."), not in its neighbours that share the words ("Population distribution: ..."), and it
speaks only of its subject: Libya's "Exchange rates:" row says nothing of the Egyptian pound. The search
reads both of each candidate sentence (ranking.FIELD_BONUS puts the named row first; confidence caps a
quote from a sheet about something else), and the marks read a named row's first figure.
"""

from __future__ import annotations

import re

from .analysis import tokenize
from .layout import LABELLED
from .signals import ShortNames, names_any, names_every

# A fact sheet writes most of its lines as labelled values ("Coastline: 1,148 km"); news writes a few
# ("Analysis: ...", a list of militias) among its prose.
MIN_FACT_SHEET_ROWS = 20
# A labelled value, as reference text writes its rows ("Population: total: 11,962,995 (2025 est.)").
FIELD = re.compile(r"^\s*([A-Z][^:\n]{0,40}?)\s*:\s+\S")


def is_fact_sheet(body: str) -> bool:
    """True for a body whose lines are mostly labelled values, at least MIN_FACT_SHEET_ROWS of them."""
    lines = [line for line in body.splitlines() if line.strip()]
    rows = sum(1 for line in lines if LABELLED.match(line.strip()))
    return rows >= MIN_FACT_SHEET_ROWS and 2 * rows >= len(lines)


def names_the_field(sentence: str, question_terms: frozenset[str]) -> bool:
    """True for a labelled row whose label's every word the question asks ("What is the population of Niger?"
    -> "Population: total: 27,322,555", not "Population distribution: ...")."""
    match = FIELD.match(sentence)
    label = frozenset(tokenize(match.group(1))) if match else frozenset()
    return bool(label) and label <= question_terms


def asked_row(sentence: str, title: str, asked: frozenset[str], subjects: ShortNames) -> bool:
    """True for a sheet's row whose label the question asks for, in the sheet of what it names.

    The sheet's title and the row must write every name the search gives (the sheet's subject): Niger's
    "Population:" row does not answer "What is the population of Mali?"; and every word of the question:
    Tunisia's "Coal:" row, with no proven reserves in it, does not answer "What are Tunisia's proven coal
    reserves?".
    """
    return names_the_field(sentence, asked) and (not subjects or names_every(subjects, f"{title}\n{sentence}")) \
        and asked <= frozenset(tokenize(f"{title} {sentence}"))


def of_another_subject(sentence: str, title: str, subjects: ShortNames) -> bool:
    """True for a sheet's sentence when neither it nor the sheet's title names what the search names: Libya's
    "Exchange rates:" row says nothing of "the Egyptian pound" (dev: such first quotes answered none of 16)."""
    return bool(subjects) and not names_any(subjects, f"{title}\n{sentence}")
