"""A hard-wrapped text or Markdown file is read back as paragraphs, and its sentences are quoted whole."""

from __future__ import annotations

import textwrap
from pathlib import Path

from support import make_settings

from libya_qa.build import build_index
from libya_qa.encoders import HashingEncoder
from libya_qa.ingest import read_bytes
from libya_qa.qa import QA
from libya_qa.unwrap import unwrap

PARAGRAPHS = [
    "Yesterday morning in Libya, it was announced that militias from Misrata were moving into Sirte to "
    "combat the Islamic State (I.S.). The militias preparing to fight I.S. are drawn from Libya Dawn, the "
    "Islamist coalition that ousted the internationally-recognised government in August 2014.",
    "The legally-elected government is now ensconced in Tobruk in the far east of Libya. The actual power "
    "of the Tobruk-based government is provided by Khalifa Haftar, whose forces have received assistance, "
    "including airstrikes, from Egypt and the United Arab Emirates.",
]


def wrapped(width: int = 72) -> str:
    return "\n\n".join(textwrap.fill(p, width) for p in PARAGRAPHS)


def test_wrapped_paragraphs_come_back_whole_at_any_usual_width() -> None:
    for width in (60, 72, 80):
        assert unwrap(wrapped(width)) == "\n\n".join(PARAGRAPHS)
    assert unwrap("\n\n".join(PARAGRAPHS)) == "\n\n".join(PARAGRAPHS)  # one line a paragraph: unchanged


def test_lines_an_author_broke_keep_their_breaks() -> None:
    kept = [
        "Capital: Tripoli\nPopulation: 7 million\nArea: 1,759,540 sq km",  # short lines
        "## A heading long enough to look like a line of wrapped prose text\nThe paragraph.",
        "- The first item of a list, long enough to look like wrapped prose\n- The second item",
        "    code = 'indented lines are code and are never joined to each other'\n    more = 1",
    ]
    for text in kept:
        assert unwrap(text) == text
    item = "1. A point long enough to have been wrapped by the editor at the\n   margin of the page\n2. Next"
    assert (
        unwrap(item) == "1. A point long enough to have been wrapped by the editor at the margin of the page\n2. Next"
    )
    assert unwrap("Haftar's forces are under the banner of the Tobruk-\nbased government") == (
        "Haftar's forces are under the banner of the Tobruk-based government"
    )


def test_a_hard_wrapped_text_file_is_quoted_in_whole_sentences(tmp_path: Path) -> None:
    article = read_bytes(wrapped().encode("utf-8"), "orton-notes.txt").article
    assert article.body == "\n\n".join(PARAGRAPHS)
    settings = make_settings(tmp_path, model="hashing-test-encoder", answer_threshold=0.0)
    build_index(settings, HashingEncoder(), [article])
    answer = QA(settings, HashingEncoder()).ask("Which coalition are the militias preparing to fight I.S. drawn from?")
    sentence = (
        "The militias preparing to fight I.S. are drawn from Libya Dawn, the Islamist coalition that ousted "
        "the internationally-recognised government in August 2014."
    )
    assert any(sentence in e.quote for e in answer.excerpts)  # one sentence, not the fragments between line breaks
    assert all(article.body[e.start : e.end] == e.quote for e in answer.excerpts)
