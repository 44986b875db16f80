"""Hybrid retrieval (FAISS + BM25, reciprocal rank fusion), then sentence-level re-scoring."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .analysis import answer_fit, is_question, question_type, tokenize
from .encoders import Encoder
from .index import IndexData


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
class SentenceHit:
    """A sentence of the index with its evidence and combined score."""

    row: int  # global sentence row
    article: int  # article row
    score: float
    cosine: float
    coverage: float
    fusion: float
    neighbour: float = 0.0  # best cosine of the adjacent sentences (answers often span two)
    fit: float = 0.0  # holds the kind of words the question asks for (names, numbers, dates)
    article_keywords: float = 0.0  # whole-article BM25 of the question, relative to the best article
    article_lead: float = 0.0  # cosine of the question with the article's first passage
    lead_coverage: float = 0.0  # share of the question's idf mass in the article's first passage
    confidence: float = 0.0  # the score under the question weights: the scale answer_threshold is calibrated on


def _sentence_owners(passages: np.ndarray, n_sentences: int) -> tuple[np.ndarray, np.ndarray]:
    """For each sentence row, the passages that contain it, as CSR arrays (indptr, passage rows)."""
    lengths = passages[:, 4] - passages[:, 3] + 1
    owner = np.repeat(np.arange(len(passages), dtype=np.int32), lengths)
    sentence = np.repeat(passages[:, 3] - np.cumsum(np.r_[0, lengths[:-1]]), lengths) + np.arange(lengths.sum())
    order = np.argsort(sentence, kind="stable")
    indptr = np.zeros(n_sentences + 1, dtype=np.int64)
    np.add.at(indptr, sentence + 1, 1)
    return np.cumsum(indptr), owner[order]


class Searcher:
    """Scores the sentences of the best passages for one question against one index version."""

    def __init__(self, data: IndexData, encoder: Encoder, candidates: int = 30, rrf_k: int = 60,
                 weights: Weights = Weights(), topic_weights: Weights = TOPIC_WEIGHTS) -> None:
        self.data = data
        self.encoder = encoder
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.weights = weights
        self.topic_weights = topic_weights
        df = np.diff(np.asarray(data.bm25.scores["indptr"]))
        n_docs = max(int(data.bm25.scores["num_docs"]), 1)
        # Rare question words weigh more: BM25-style idf over passages, an array indexed by token id.
        self._idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        self._max_idf = float(np.log1p((n_docs + 0.5) / 0.5))
        self._owners_ptr, self._owners = _sentence_owners(data.passages, len(data.sentences))
        # Built here, not on the first question, so a new version is warm before it serves.
        self._article_bm25, self._lead_vectors = data.article_bm25, data.lead_vectors
        self._lead_terms_ptr, self._lead_terms = data.lead_terms
        self._terms: dict[int, frozenset[str]] = {}  # sentence row -> stems, filled as questions touch them

    def sentence_terms(self, row: int) -> frozenset[str]:
        """The stems of one sentence (cached: the corpus does not change under a searcher)."""
        terms = self._terms.get(row)
        if terms is None:
            article, start, end = self.data.sentences[row]
            terms = self._terms[row] = frozenset(tokenize(self.data.articles[article].body[start:end]))
        return terms

    def embed(self, text: str) -> np.ndarray:
        """The question's unit vector."""
        return self.encoder.encode([text])[0]

    def passages(self, query_vector: np.ndarray, terms: list[str]) -> dict[int, float]:
        """Candidate passage rows with their reciprocal-rank-fusion scores."""
        depth = min(self.candidates, len(self.data.passages))
        dense_ids = self.data.dense_search(query_vector.reshape(1, -1).astype(np.float32), depth)
        fused: dict[int, float] = {}
        for rank, row in enumerate(r for r in dense_ids[0] if r >= 0):
            fused[int(row)] = 1.0 / (self.rrf_k + rank + 1)
        if terms:
            scores = self.data.bm25.get_scores(terms)
            top = np.argpartition(-scores, depth - 1)[:depth] if depth < len(scores) else np.arange(len(scores))
            top = top[np.argsort(-scores[top])]
            for rank, row in enumerate(int(r) for r in top if scores[r] > 0):
                fused[row] = fused.get(row, 0.0) + 1.0 / (self.rrf_k + rank + 1)
        return fused

    def article_keywords(self, terms: list[str]) -> np.ndarray:
        """Whole-article BM25 of the question per article row, relative to the best article."""
        if not terms:
            return np.zeros(len(self.data.articles))
        scores = np.asarray(self._article_bm25.get_scores(terms), dtype=np.float64)
        top = scores.max(initial=0.0)
        return scores / top if top > 0 else scores

    def lead_coverage(self, weights: dict[str, float]) -> np.ndarray:
        """Per article row, the share of the question's idf mass that its first passage contains."""
        covered = np.zeros(len(self.data.articles))
        vocab, total = self.data.bm25.vocab_dict, sum(weights.values())
        for term, weight in weights.items():
            token = vocab.get(term)
            if token is not None:  # every vocabulary id has a slot in the lead-term lists
                covered[self._lead_terms[self._lead_terms_ptr[token]:self._lead_terms_ptr[token + 1]]] += weight
        return covered / total if total else covered

    def term_weights(self, terms: list[str]) -> dict[str, float]:
        """Each distinct question stem with its idf (unknown words weigh the most)."""
        vocab = self.data.bm25.vocab_dict
        return {t: float(self._idf[vocab[t]]) if t in vocab and vocab[t] < len(self._idf) else self._max_idf
                for t in set(terms)}

    @staticmethod
    def coverage(weights: dict[str, float], sentence_terms: frozenset[str]) -> float:
        """Share of the question's idf mass that the sentence contains."""
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t in sentence_terms) / total if total else 0.0

    def search(self, question: str, query_vector: np.ndarray | None = None,
               topic: bool | None = None) -> list[SentenceHit]:
        """Sentences of the candidate passages, best first; a topic (not a question) ranks by topic weights.

        `topic` defaults to whether the text reads as a headline or topic rather than a question.
        """
        hits = self.features(question, query_vector)
        topic = not is_question(question) if topic is None else topic
        return self.rank(hits, self.topic_weights) if topic else self.rank(hits)

    def features(self, question: str, query_vector: np.ndarray | None = None) -> list[SentenceHit]:
        """Every sentence of the candidate passages with its evidence (score not yet combined)."""
        vector = self.embed(question) if query_vector is None else query_vector
        terms = tokenize(question)
        fused = self.passages(vector, terms)
        if not fused:
            return []
        top_fusion = max(fused.values())
        data = self.data
        kind, weights, question_terms = question_type(question), self.term_weights(terms), set(terms)
        article_keywords, lead_coverage = self.article_keywords(terms), self.lead_coverage(weights)
        rows = sorted({s for p in fused for s in range(data.passages[p, 3], data.passages[p, 4] + 1)})
        cosines = data.sentence_vectors[rows].astype(np.float32) @ vector
        cosine_of = dict(zip(rows, (float(c) for c in cosines)))
        hits = []
        lead_of = {int(a): float(self._lead_vectors[a] @ vector) for a in np.unique(data.sentences[rows, 0])}
        for row in rows:
            article, start, end = data.sentences[row]
            text, stems = data.articles[article].body[start:end], self.sentence_terms(row)
            cover = self.coverage(weights, stems)
            owners = self._owners[self._owners_ptr[row]:self._owners_ptr[row + 1]]
            fusion = max(fused.get(int(p), 0.0) for p in owners) / top_fusion
            neighbours = [cosine_of.get(r, -1.0) for r in (row - 1, row + 1)
                          if 0 <= r < len(data.sentences) and data.sentences[r, 0] == article]
            hits.append(SentenceHit(row, int(article), 0.0, cosine_of[row], cover, fusion,
                                    max(neighbours, default=0.0),
                                    answer_fit(question, kind, text, stems, question_terms),
                                    float(article_keywords[article]), lead_of[int(article)],
                                    float(lead_coverage[article])))
        return hits

    def rank(self, hits: list[SentenceHit], weights: Weights | None = None) -> list[SentenceHit]:
        """Combine each sentence's evidence into one score (and its confidence) and sort, best first."""
        w = weights or self.weights
        scored = [replace(h, score=combine(h, w), confidence=combine(h, self.weights)) for h in hits]
        scored.sort(key=lambda h: -h.score)
        return scored


def combine(h: SentenceHit, w: Weights) -> float:
    """One sentence's evidence weighted into a score."""
    return (w.sentence_cosine * h.cosine + w.keyword_coverage * h.coverage + w.passage_fusion * h.fusion
            + w.neighbour_cosine * max(h.neighbour, 0.0) + w.answer_fit * h.fit
            + w.article_keywords * h.article_keywords + w.article_lead * max(h.article_lead, 0.0)
            + w.lead_coverage * h.lead_coverage)
