"""How a sentence's evidence becomes one score: the evidence fields, their weights, and per-question ranks.

The weights are fitted on the dev half of the evaluation set by bench/fit_ranking.py (a pairwise
logistic regression: an answering sentence against a non-answering one of the same question).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from importlib.resources import files
from typing import Any

import numpy as np


@dataclass(frozen=True)
class SentenceHit:
    """A sentence of the index with its evidence and combined score."""

    sentence: int  # sentence id in the snapshot
    position: int  # its position in the search's SentenceView
    article: int  # article key
    cosine: float
    coverage: float
    fusion: float
    neighbour: float = 0.0  # best cosine of the adjacent sentences (answers often span two)
    fit: float = 0.0  # holds the kind of words the question asks for (names, numbers, dates)
    article_keywords: float = 0.0  # whole-article BM25 of the question, relative to the best article
    article_lead: float = 0.0  # cosine of the question with the article's first passage
    lead_coverage: float = 0.0  # share of the question's idf mass in the article's first passage
    context_coverage: float = 0.0  # coverage by the sentence with its article's title and section heading
    dense_rank: float = 0.0  # 1 / (1 + rank) of the best dense passage holding it
    keyword_rank: float = 0.0  # 1 / (1 + rank) of the best BM25 passage holding it
    cosine_gap: float = 0.0  # its cosine minus the best cosine among the candidates (0 for the best)
    opening: float = 0.0  # 1.0 in an article's first paragraph (a lead or a dateline often restates the topic)
    length: float = 0.0  # log2 of its words, over 6 (a one-clause sentence rarely answers alone)
    typed_answer: float = 0.0  # holds a name/number/date of the asked kind that the question lacks
    typed_near: float = 0.0  # ... within a few words of one of the question's words
    window_cosine: float = 0.0  # cosine with the sentence and its neighbours in the paragraph
    passage_cosine: float = 0.0  # best dense similarity of a candidate passage holding it
    # Within the question's candidates: 1 / (1 + rank) by cosine, coverage, context coverage, window cosine.
    cosine_rank: float = 0.0
    coverage_rank: float = 0.0
    context_rank: float = 0.0
    window_rank: float = 0.0
    cosine_context: float = 0.0  # cosine x context coverage: both at once is stronger than either
    article_coverage: float = 0.0  # share of the question's idf mass anywhere in its article
    best_article_coverage: float = 0.0  # the highest such share of any article (the same for every hit)
    sentence_bm25: float = 0.0  # BM25 of the question over the sentence alone, as a share of the most possible
    soft_coverage: float = 0.0  # context coverage with a word's other forms matched by their first letters
    field: float = 0.0  # a labelled row whose label the question asks for ("Population: ...")
    other_subject: float = 0.0  # 1.0 in a fact sheet that, with this sentence, names nothing the search names
    own_gain: float = 0.0  # a follow-up's cosine with its own words alone, less that with its search text (else 0)
    previous_source: float = 0.0  # 1.0 in the article a follow-up's previous answer quoted first
    score: float = 0.0
    confidence: float = 0.0  # the score under the question weights, whatever the query (confidence.py reads it)


HIT_FIELDS = frozenset(f.name for f in fields(SentenceHit))


@dataclass(frozen=True)
class Weights:
    """How sentence evidence is combined: one weight per evidence field of SentenceHit (a linear score).

    The weights in use are FITTED's (fitted.json); a bare Weights() weighs nothing.
    """

    sentence_cosine: float = 0.0
    keyword_coverage: float = 0.0
    passage_fusion: float = 0.0
    neighbour_cosine: float = 0.0
    answer_fit: float = 0.0
    article_keywords: float = 0.0
    article_lead: float = 0.0
    lead_coverage: float = 0.0
    context_coverage: float = 0.0
    dense_rank: float = 0.0
    keyword_rank: float = 0.0
    cosine_gap: float = 0.0
    opening: float = 0.0
    length: float = 0.0
    typed_answer: float = 0.0
    typed_near: float = 0.0
    window_cosine: float = 0.0
    passage_cosine: float = 0.0
    cosine_rank: float = 0.0
    coverage_rank: float = 0.0
    context_rank: float = 0.0
    window_rank: float = 0.0
    cosine_context: float = 0.0
    article_coverage: float = 0.0
    sentence_bm25: float = 0.0
    soft_coverage: float = 0.0


# Weights field -> SentenceHit field: the evidence each weight multiplies.
FEATURES = {
    "sentence_cosine": "cosine",
    "keyword_coverage": "coverage",
    "passage_fusion": "fusion",
    "neighbour_cosine": "neighbour",
    "answer_fit": "fit",
    "article_keywords": "article_keywords",
    "article_lead": "article_lead",
    "lead_coverage": "lead_coverage",
    "context_coverage": "context_coverage",
    "dense_rank": "dense_rank",
    "keyword_rank": "keyword_rank",
    "cosine_gap": "cosine_gap",
    "opening": "opening",
    "length": "length",
    "typed_answer": "typed_answer",
    "typed_near": "typed_near",
    "window_cosine": "window_cosine",
    "passage_cosine": "passage_cosine",
    "cosine_rank": "cosine_rank",
    "coverage_rank": "coverage_rank",
    "context_rank": "context_rank",
    "window_rank": "window_rank",
    "cosine_context": "cosine_context",
    "article_coverage": "article_coverage",
    "sentence_bm25": "sentence_bm25",
    "soft_coverage": "soft_coverage",
}


def _fitted() -> dict[str, Any]:
    """fitted.json: the ranking weights, topic extras and confidence model fitted on the dev half, with provenance."""
    return json.loads(files("libya_qa").joinpath("fitted.json").read_text("utf-8"))


FITTED = _fitted()
QUESTION_WEIGHTS = Weights(**FITTED["ranking"])
# Headlines and topics ask for articles more than for one sentence, so whole-article evidence weighs
# more for them: the question weights plus fitted.json's topic extras (checked on the news known-item
# task by bench/retrieval_quality.py; reserved articles excluded).
TOPIC_WEIGHTS = replace(
    QUESTION_WEIGHTS, **{name: getattr(QUESTION_WEIGHTS, name) + extra for name, extra in FITTED["topic_extra"].items()}
)

# A fact sheet's row whose label the question asks for ("What is the population of Niger?" -> "Population:
# total: 27,322,555 ...") goes before its neighbours ("Population distribution: ...", "Net migration rate:
# ... population"), which share its words and outscore it on similarity. Added to the score, on its scale,
# after the fit. Chosen on dev (hit@1 q157, q169; abstained u33): 1 and 2 gain fewer, 3 gains all three and
# loses nothing, 4 and 5 answer unanswerable questions ("Natural gas:" for "How large are Niger's proven
# natural gas reserves?") and 5 loses a right answer.
FIELD_BONUS = 3.0
# A follow-up's search text adds what it points back to ("Lake Chad Toby Lanzer"), and those names can outweigh
# its own words ("Which countries would he like to see join the effort?"). Its ranking (not its confidence,
# which the model reads on the search text's scale) also weighs the cosine with its own words alone, at this
# share of the cosine's weight. Chosen on the 148 dev follow-ups: 0.5 gains f139 and loses none; 1 also
# turns an answer to not found; 2 and 3 trade as many as they gain.
OWN_WORDS_SHARE = 0.5
# A conversation mostly stays in the article that answered its previous turn: of the 170 dev follow-ups, 147
# are answered from it, and 7 of those put another article's sentence first with the answer ranked 2 to 5.
# A follow-up's sentences in that article gain this much on the score (ranking only, like the above). Chosen on
# dev: follow-up hit@1 139 / 141 / 142 / 142 / 142 / 142 / 140 of 170 at 0 / 0.5 / 0.75 / 1 / 1.25 / 1.5 / 2.
PREVIOUS_SOURCE_BONUS = 1.0


def evidence_matrix(hits: list[SentenceHit]) -> np.ndarray:
    """One row per hit, one column per weighted evidence field (FEATURES' order)."""
    fields = list(FEATURES.values())
    return np.array([[getattr(h, f) for f in fields] for h in hits], dtype=np.float64).reshape(len(hits), len(fields))


def vector_of(weights: Weights) -> np.ndarray:
    """The weights in FEATURES' order."""
    return np.array([getattr(weights, name) for name in FEATURES], dtype=np.float64)


def amended(hit: SentenceHit, **changes: float) -> SentenceHit:
    """A copy of the hit with some fields changed. dataclasses.replace re-runs __init__ over every field, and a
    question amends each of its ~150 candidates twice: that was a seventh of a question's time on a slow CPU."""
    if not changes.keys() <= HIT_FIELDS:
        raise TypeError(f"SentenceHit has no field {sorted(changes.keys() - HIT_FIELDS)}")
    copy = object.__new__(SentenceHit)
    copy.__dict__.update(hit.__dict__, **changes)  # frozen forbids setattr, not filling a new instance's dict
    return copy


RANKED = {
    "cosine_rank": "cosine",
    "coverage_rank": "coverage",
    "context_rank": "context_coverage",
    "window_rank": "window_cosine",
}


def with_ranks(hits: list[SentenceHit]) -> list[SentenceHit]:
    """The hits with their ranks among the question's candidates, and the cosine x context interaction."""
    if not hits:
        return hits
    ranks = {}
    for field, source in RANKED.items():
        values = np.array([getattr(h, source) for h in hits])
        ranks[field] = 1.0 / (1.0 + np.argsort(np.argsort(-values, kind="stable")))
    return [
        amended(h, cosine_context=h.cosine * h.context_coverage, **{field: float(ranks[field][n]) for field in RANKED})
        for n, h in enumerate(hits)
    ]
