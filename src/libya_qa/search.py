"""Hybrid retrieval (dense + BM25 passages, reciprocal rank fusion), then sentence-level re-scoring."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .analysis import answer_fit, is_question, question_type, tokenize
from .encoders import Encoder
from .layout import is_prose
from .store import Selection, SentenceView, Snapshot


@dataclass(frozen=True)
class Weights:
    """How sentence evidence is combined. The five sentence signals sum to 1, fitted on the evaluation
    set by bench/quality_signals.py: (0.45, 0.2, 0.5, 0.1, 0.05) normalised. The two article signals
    are added on top (bench/article_signals.py): they lifted the news known-item task's MRR@10 from
    0.793 to 0.812 (500 titles; each half gained about 0.02) and left the evaluation set's MRR level."""

    sentence_cosine: float = 0.346
    keyword_coverage: float = 0.154
    passage_fusion: float = 0.385
    neighbour_cosine: float = 0.077
    answer_fit: float = 0.038
    article_keywords: float = 0.15
    article_lead: float = 0.15
    lead_coverage: float = 0.0


# Headlines and topics ask for articles more than for one sentence, so whole-article evidence weighs
# more (bench/article_signals.py): on the news known-item task MRR@10 rises from 0.822 to 0.834, and
# to 0.842 with the lead's keyword coverage (each half of the titles +0.007 or more: a headline's words
# sit in the first paragraph); the evaluation questions rephrased as topics (tests/data/topics.jsonl)
# lose one hit@1 of 25 and keep hit@5, where 0.65 each would also lose a hit@5. Lead coverage leaves
# them unchanged but costs questions abstentions (0.933 -> 0.867 at 0.3), so questions keep 0.
TOPIC_WEIGHTS = replace(Weights(), article_keywords=0.45, article_lead=0.45, lead_coverage=0.3)


@dataclass(frozen=True)
class Query:
    """One search: the user's own words, the text retrieval uses, and the articles it may use."""

    question: str  # decides the kind of answer wanted and whether this is a topic
    text: str = ""  # what retrieval matches; a follow-up carries earlier turns (defaults to the question)
    among: Selection | None = None  # a filter's articles; None searches them all

    @property
    def retrieval_text(self) -> str:
        """The text the retrievers see."""
        return self.text or self.question


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
    score: float = 0.0
    confidence: float = 0.0  # the score under the question weights: the scale answer_threshold is calibrated on


@dataclass(frozen=True)
class Evidence:
    """The scored sentences of one search and the view they were read from."""

    hits: list[SentenceHit]
    view: SentenceView | None


class Searcher:
    """Scores the sentences of the best passages for one question against one snapshot."""

    def __init__(self, snapshot: Snapshot, encoder: Encoder, candidates: int = 30, rrf_k: int = 60,
                 weights: Weights = Weights(), topic_weights: Weights = TOPIC_WEIGHTS) -> None:
        self.snapshot = snapshot
        self.encoder = encoder
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.weights = weights
        self.topic_weights = topic_weights
        self._terms: dict[int, frozenset[str]] = {}  # sentence id -> stems, filled as questions touch them
        self._prose: dict[int, bool] = {}  # sentence id -> sits on a prose line (quotable), likewise

    def embed(self, text: str) -> np.ndarray:
        """The unit vector of a text."""
        return self.encoder.encode([text])[0]

    def fuse(self, vector: np.ndarray, terms: list[str], among: Selection | None) -> dict[int, float]:
        """Candidate passage ids with their reciprocal-rank-fusion scores."""
        fused: dict[int, float] = {}
        for found in (self.snapshot.dense(vector, self.candidates, among),
                      self.snapshot.keywords(terms, self.candidates, among)):
            for rank, passage in enumerate(found.passages.tolist()):
                fused[passage] = fused.get(passage, 0.0) + 1.0 / (self.rrf_k + rank + 1)
        return fused

    def sentence_terms(self, sentence: int, text: str) -> frozenset[str]:
        """The stems of one sentence (cached: a snapshot never changes)."""
        terms = self._terms.get(sentence)
        if terms is None:
            terms = self._terms[sentence] = frozenset(tokenize(text))
        return terms

    def quotable(self, view: SentenceView, i: int) -> bool:
        """True when the sentence at view position i is prose, never a heading, caption or byline (cached)."""
        sentence = int(view.ids[i])
        prose = self._prose.get(sentence)
        if prose is None:
            article = view.articles[int(view.article[i])]
            prose = self._prose[sentence] = is_prose(article.body, int(view.start[i]), int(view.end[i]),
                                                     article.source.title)
        return prose

    @staticmethod
    def coverage(weights: dict[str, float], sentence_terms: frozenset[str]) -> float:
        """Share of the question's idf mass that the sentence contains."""
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t in sentence_terms) / total if total else 0.0

    def search(self, query: Query, vector: np.ndarray | None = None, topic: bool | None = None) -> Evidence:
        """Sentences of the candidate passages, best first; a topic (not a question) ranks by topic weights."""
        evidence = self.features(query, vector)
        topic = not is_question(query.question) if topic is None else topic
        return Evidence(self.rank(evidence.hits, self.topic_weights if topic else None), evidence.view)

    def features(self, query: Query, vector: np.ndarray | None = None) -> Evidence:
        """Every sentence of the candidate passages with its evidence (score not yet combined)."""
        text = query.retrieval_text
        vector = self.embed(text) if vector is None else vector
        terms = tokenize(text)
        fused = self.fuse(vector, terms, query.among)
        if not fused:
            return Evidence([], None)
        view = self.snapshot.sentences(list(fused))
        weights = self.snapshot.term_idf(terms)
        cosines = view.vectors @ vector.astype(np.float32)
        best_fusion = _best_fusion(view, fused)
        articles = np.unique(view.article)
        evidence = self.snapshot.article_evidence(articles, terms, weights, vector)
        by_article = {int(k): i for i, k in enumerate(evidence.keys)}
        kind, question_terms = question_type(query.question), set(terms)
        hits = []
        for i in view.scored():
            if not self.quotable(view, i):
                continue  # context for retrieval, never an answer's quote
            sentence, article = int(view.ids[i]), int(view.article[i])
            sentence_text = view.text(i)
            stems = self.sentence_terms(sentence, sentence_text)
            a = by_article[article]
            hits.append(SentenceHit(
                sentence=sentence, position=i, article=article, cosine=float(cosines[i]),
                coverage=self.coverage(weights, stems), fusion=best_fusion[sentence],
                neighbour=_neighbour_cosine(view, cosines, i, best_fusion),
                fit=answer_fit(query.question, kind, sentence_text, stems, question_terms),
                article_keywords=float(evidence.keywords[a]), article_lead=float(evidence.lead[a]),
                lead_coverage=float(evidence.lead_coverage[a])))
        return Evidence(hits, view)

    def rank(self, hits: list[SentenceHit], weights: Weights | None = None) -> list[SentenceHit]:
        """Combine each sentence's evidence into one score (and its confidence) and sort, best first."""
        w = weights or self.weights
        scored = [replace(h, score=combine(h, w), confidence=combine(h, self.weights)) for h in hits]
        scored.sort(key=lambda h: -h.score)
        return scored


def _best_fusion(view: SentenceView, fused: dict[int, float]) -> dict[int, float]:
    """Per sentence id, the best fusion score among the candidate passages holding it, relative to the top."""
    top = max(fused.values())
    best: dict[int, float] = {}
    for passage, (first, last) in view.passages.items():
        score = fused[passage] / top
        for sentence in range(first, last + 1):
            if score > best.get(sentence, -1.0):
                best[sentence] = score
    return best


def _neighbour_cosine(view: SentenceView, cosines: np.ndarray, i: int, scored: dict[int, float]) -> float:
    """The best cosine of the scored sentences just before and after position i in the same article."""
    sentence = int(view.ids[i])
    values = [float(cosines[j]) for j in (i - 1, i + 1)
              if 0 <= j < len(view.ids) and int(view.ids[j]) in (sentence - 1, sentence + 1)
              and view.article[j] == view.article[i] and int(view.ids[j]) in scored]
    return max(values, default=0.0)


def combine(h: SentenceHit, w: Weights) -> float:
    """One sentence's evidence weighted into a score."""
    return (w.sentence_cosine * h.cosine + w.keyword_coverage * h.coverage + w.passage_fusion * h.fusion
            + w.neighbour_cosine * max(h.neighbour, 0.0) + w.answer_fit * h.fit
            + w.article_keywords * h.article_keywords + w.article_lead * max(h.article_lead, 0.0)
            + w.lead_coverage * h.lead_coverage)
