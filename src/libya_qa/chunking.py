"""Split an article body into sentences and overlapping passages, keeping exact character offsets."""

from __future__ import annotations

import re
from collections.abc import Iterator

from .layout import POST_END, SHARE_BAR, glued_heading, related_links, sign_offs, teaser_dates
from .schema import Passage, Sentence

# Tokens ending in a period that do not end a sentence (titles, months, Latin, dotted acronyms).
ABBREVIATIONS = frozenset(
    """mr mrs ms dr gen col lt sgt capt maj adm gov sen rep pres prof st jr sr no vs etc al e.g i.e
    a.k.a jan feb mar apr jun jul aug sep sept oct nov dec inc ltd co corp u.s u.n u.k u.a.e i.s
    d.c p.m a.m p.o.w p.o.w.s c.i.a f.b.i op""".split()
)
# A candidate boundary: sentence punctuation, optional closing quotes/brackets, then whitespace, or a dash some
# news feeds put where a paragraph broke ("... for another 45 days.- Hussein, an Egyptian ...").
BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+|-\s*[\"“A-Z])")
DOTTED = re.compile(r"(?:^|[\s(\"“‘'])(?:[A-Za-z]\.)*[A-Za-z]?$")  # "E.U" of "E.U.-Turkey": an initialism, not an end
OPENING = re.compile(r"[\"'“‘(\[]*[A-Z0-9]|#[A-Za-z]")  # "... forces. #Raqqa photos ...": a pasted post starts
BULLET = re.compile(r"(?:[-*•]|\d+[.)])\s+")  # .match(text, pos) anchors at pos


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the period at `dot` closes a known abbreviation or an initial (e.g. 'M.')."""
    start = dot
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in "(\"“‘'":
        start -= 1
    token = text[start:dot].lower()
    return token in ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def _line_sentences(text: str, line_start: int, line_end: int) -> Iterator[tuple[int, int]]:
    """Sentence spans within one line (a paragraph or a bullet item); a share bar, a pasted post's link and
    attribution, a pasted link to another story, an editors' sign-off or a teaser's date inside it is one of
    its own, so the story's sentences are not glued to it."""
    start = line_start
    bullet = BULLET.match(text, line_start, line_end)
    if bullet:
        start = bullet.end()  # the marker is layout, not words
    cuts = sorted(
        [
            *((m.start(), m.end()) for m in SHARE_BAR.finditer(text, start, line_end)),
            *((m.start(), m.end()) for m in POST_END.finditer(text, start, line_end)),
            *related_links(text, start, line_end),
            *sign_offs(text, start, line_end),
            *teaser_dates(text, start, line_end),
        ]
    )
    for cut_start, cut_end in cuts:
        if cut_start < start:
            continue  # inside the one before (never seen: a share bar holds no post link)
        yield from _unglued(text, _segment_sentences(text, start, cut_start))
        yield cut_start, cut_end
        start = cut_end
    yield from _unglued(text, _segment_sentences(text, start, line_end))


def _unglued(text: str, spans: Iterator[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """The sentence spans with a subheading run into the front of one made a sentence of its own."""
    for start, end in spans:
        heading_end = glued_heading(text, start, end)
        if heading_end is not None:
            yield start, heading_end
            start = heading_end + len(text[heading_end:end]) - len(text[heading_end:end].lstrip())
        yield start, end


def _segment_sentences(text: str, start: int, line_end: int) -> Iterator[tuple[int, int]]:
    """Sentence spans of text[start:line_end], a line or the part of one between share bars."""
    while start < line_end and text[start].isspace():
        start += 1
    while line_end > start and text[line_end - 1].isspace():
        line_end -= 1
    if line_end - start > 1 and text[line_end - 1] == "-" and text[line_end - 2] in '.!?"”’)':
        line_end -= 1  # "... a trip.-" before a cut sign-off: the dash broke the paragraph, it ends no words
    for match in BOUNDARY.finditer(text, start, line_end):
        end = match.end()
        rest = end
        if rest < line_end and text[rest] == "-":  # the dash of a paragraph break is neither sentence's
            if DOTTED.search(text, max(start, match.start() - 12), match.start()):
                continue
            rest += 1
        while rest < line_end and text[rest].isspace():
            rest += 1
        if rest >= line_end or not OPENING.match(text, rest):
            continue
        if match.group(0)[0] == "." and len(match.group(0)) == 1 and _is_abbreviation(text, match.start()):
            continue
        if end > start:
            yield start, end
        start = rest
    if start < line_end:
        yield start, line_end


def split_sentences(article_id: str, body: str) -> list[Sentence]:
    """All sentences of a body; paragraphs and list items never share a sentence."""
    sentences: list[Sentence] = []
    for line in re.finditer(r"[^\n]+", body):
        left, right = line.start(), line.end()
        while left < right and body[left].isspace():
            left += 1
        while right > left and body[right - 1].isspace():
            right -= 1
        for start, end in _line_sentences(body, left, right):
            sentences.append(Sentence(article_id, start, end, ordinal=len(sentences)))
    return sentences


def _paragraph_ids(body: str, sentences: list[Sentence]) -> list[int]:
    """Which line (paragraph or list item) each sentence belongs to."""
    ids, line, cursor = [], 0, 0
    for sentence in sentences:
        line += body.count("\n", cursor, sentence.start)
        cursor = sentence.start
        ids.append(line)
    return ids


def make_passages(article_id: str, body: str, sentences: list[Sentence], max_words: int, overlap: int) -> list[Passage]:
    """Group consecutive sentences into passages of about `max_words` words.

    A passage closes early at a paragraph break once it is half full (so passages follow the
    author's structure); a passage that closes mid-paragraph overlaps the next by `overlap`
    sentences so no answer is cut in two.
    """
    words = [len(body[s.start : s.end].split()) for s in sentences]
    para = _paragraph_ids(body, sentences)
    passages: list[Passage] = []
    i, n = 0, len(sentences)
    while i < n:
        j, total = i, 0
        while j < n and (j == i or total + words[j] <= max_words):
            total += words[j]
            j += 1
            if j < n and para[j] != para[j - 1] and total >= max_words // 2:
                break
        first, last = sentences[i], sentences[j - 1]
        passages.append(Passage(article_id, first.start, last.end, first_sentence=i, last_sentence=j - 1))
        if j >= n:
            break
        i = j if para[j] != para[j - 1] else max(j - overlap, i + 1)
    return passages
