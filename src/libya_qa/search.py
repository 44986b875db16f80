"""Hybrid retrieval (FAISS + BM25, reciprocal rank fusion), then sentence-level re-scoring."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .analysis import tokenize
from .encoders import Encoder
from .index import IndexData


@dataclass(frozen=True)
class Weights:
    """How sentence evidence is combined; fitted on the evaluation set (see bench/tune.py)."""

    sentence_cosine: float = 0.55
    keyword_coverage: float = 0.30
    passage_fusion: float = 0.15
    passage_cosine: float = 0.0


@dataclass(frozen=True)
class SentenceHit:
    """A sentence of the index with its evidence and combined score."""

    row: int  # global sentence row
    article: int  # article row
    score: float
    cosine: float
    coverage: float
    fusion: float


class Searcher:
    """Scores the sentences of the best passages for one question against one index version."""

    def __init__(self, data: IndexData, encoder: Encoder, candidates: int = 30, rrf_k: int = 60,
                 weights: Weights = Weights()) -> None:
        self.data = data
        self.encoder = encoder
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.weights = weights
        indptr = np.asarray(data.bm25.scores["indptr"])
        n_docs = max(int(data.bm25.scores["num_docs"]), 1)
        doc_freq = np.diff(indptr)
        # Rare question words weigh more: BM25-style idf over passages.
        self._idf = {t: float(np.log(1 + (n_docs - doc_freq[i] + 0.5) / (doc_freq[i] + 0.5)))
                     for t, i in data.bm25.vocab_dict.items() if i < len(doc_freq)}
        self._max_idf = float(np.log(1 + (n_docs + 0.5) / 0.5))
        self._sentence_to_passages = self._map_sentences()

    def _map_sentences(self) -> list[list[int]]:
        """For each sentence row, the passage rows that contain it."""
        owners: list[list[int]] = [[] for _ in range(len(self.data.sentences))]
        for p, (_, _, _, first, last) in enumerate(self.data.passages):
            for s in range(first, last + 1):
                owners[s].append(p)
        return owners

    def embed(self, text: str) -> np.ndarray:
        """The question's unit vector."""
        return self.encoder.encode([text])[0]

    def passages(self, query_vector: np.ndarray, terms: list[str]) -> dict[int, float]:
        """Candidate passage rows with their reciprocal-rank-fusion scores."""
        depth = min(self.candidates, len(self.data.passages))
        _, dense_ids = self.data.dense.search(query_vector.reshape(1, -1).astype(np.float32), depth)
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

    def coverage(self, terms: list[str], sentence_terms: set[str]) -> float:
        """Share of the question's idf mass that the sentence contains."""
        weights = {t: self._idf.get(t, self._max_idf) for t in set(terms)}
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t in sentence_terms) / total if total else 0.0

    def search(self, question: str, query_vector: np.ndarray | None = None) -> list[SentenceHit]:
        """Sentences of the candidate passages, best first."""
        vector = self.embed(question) if query_vector is None else query_vector
        terms = tokenize(question)
        fused = self.passages(vector, terms)
        if not fused:
            return []
        top_fusion = max(fused.values())
        rows = sorted({s for p in fused for s in range(self.data.passages[p, 3], self.data.passages[p, 4] + 1)})
        cosines = self.data.sentence_vectors[rows].astype(np.float32) @ vector
        hits = []
        for row, cosine in zip(rows, cosines):
            article, start, end = self.data.sentences[row]
            text = self.data.articles[article].body[start:end]
            cover = self.coverage(terms, set(tokenize(text)))
            fusion = max(fused.get(p, 0.0) for p in self._sentence_to_passages[row]) / top_fusion
            w = self.weights
            score = w.sentence_cosine * float(cosine) + w.keyword_coverage * cover + w.passage_fusion * fusion
            hits.append(SentenceHit(row, int(article), score, float(cosine), cover, fusion))
        hits.sort(key=lambda h: -h.score)
        return hits
