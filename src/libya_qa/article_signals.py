"""Whole-article evidence: BM25 over whole articles, each article's lead vector and lead keywords.

Derived at load from the tables a version already stores (no extra files, no rebuild), before the
version serves, so the first question pays nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .keywords import bm25_from_token_docs
from .tables import Tables


def _release_freed_memory() -> None:
    """Hand freed heap pages back to the OS (glibc only; elsewhere a no-op).

    Building the article BM25 allocates ~140 MB of numpy temporaries at 100,000 passages; glibc
    keeps such freed blocks in the heap, so a serving process would hold them for good.
    """
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


class ArticleSignals:
    """Per article row: keyword evidence of the whole text, and what its first passage says."""

    def __init__(self, tables: Tables, n_articles: int, vocab: dict[str, int]) -> None:
        self.vocab = vocab
        self.n_articles = n_articles
        self.bm25 = self._article_bm25(tables, n_articles, vocab)
        leads = tables.lead_passages()
        self.lead_vectors = self._lead_vectors(tables, leads, n_articles)
        self.lead_ptr, self.lead_holders = self._lead_terms(tables, leads, n_articles, len(vocab))

    @staticmethod
    def _article_bm25(tables: Tables, n_articles: int, vocab: dict[str, int]) -> Any:
        """BM25 over whole articles from their passages' token ids (an overlap sentence counts twice)."""
        owner = np.repeat(tables.passages["article"], np.diff(tables.offsets))  # the article of each token
        # The passages' vocabulary as it is: token ids must stay dense (its "" entry may sit mid-range).
        model = bm25_from_token_docs(tables.tokens, owner, n_articles, vocab)
        del owner
        _release_freed_memory()
        return model

    @staticmethod
    def _lead_vectors(tables: Tables, leads: np.ndarray, n_articles: int) -> np.ndarray:
        """Per article, the unit mean vector of its first passage: what a headline usually summarises."""
        vectors = np.zeros((n_articles, tables.vectors.shape[1]), dtype=np.float32)
        vectors[tables.passages["article"][leads]] = tables.passage_vectors(leads)
        return vectors

    @staticmethod
    def _lead_terms(tables: Tables, leads: np.ndarray, n_articles: int, n_vocab: int) -> tuple[np.ndarray, np.ndarray]:
        """Which articles' first passages hold each token id, as CSR arrays (indptr, article rows)."""
        tokens = [tables.passage_tokens(row) for row in leads]
        flat = np.concatenate(tokens) if tokens else np.zeros(0, np.int32)
        owners = np.repeat(tables.passages["article"][leads], [len(t) for t in tokens])
        width = max(n_articles, 1)
        pairs = np.unique(flat.astype(np.int64) * width + owners)  # each (term, article) once
        terms, articles = pairs // width, pairs % width
        counts = np.bincount(terms, minlength=n_vocab)  # one slot per token id
        return np.concatenate(([0], np.cumsum(counts))).astype(np.int64), articles.astype(np.int32)

    def keywords(self, terms: list[str]) -> np.ndarray:
        """Whole-article BM25 of the terms per article row, relative to the best article."""
        if not terms:
            return np.zeros(self.n_articles)
        scores = np.asarray(self.bm25.get_scores(terms), dtype=np.float64)
        top = scores.max(initial=0.0)
        return scores / top if top > 0 else scores

    def coverage(self, weights: dict[str, float]) -> np.ndarray:
        """Per article row, the share of the weighted terms that occur anywhere in its text."""
        covered = np.zeros(self.n_articles)
        total = sum(weights.values())
        indptr, holders = self.bm25.scores["indptr"], self.bm25.scores["indices"]
        for term, weight in weights.items():
            token = self.vocab.get(term)
            if token is not None and token + 1 < len(indptr):
                covered[holders[indptr[token] : indptr[token + 1]]] += weight
        return covered / total if total else covered

    def lead_coverage(self, weights: dict[str, float]) -> np.ndarray:
        """Per article row, the share of the weighted terms that its first passage contains."""
        covered = np.zeros(self.n_articles)
        total = sum(weights.values())
        for term, weight in weights.items():
            token = self.vocab.get(term)
            if token is not None and token + 1 < len(self.lead_ptr):
                covered[self.lead_holders[self.lead_ptr[token] : self.lead_ptr[token + 1]]] += weight
        return covered / total if total else covered
