"""The index's row tables with their columns named in one place: sentences, passages, vectors, token ids.

Tables stay columnar (numpy) for speed; the sentence and passage rows are structured arrays, so code
reads `passages["first"]` rather than `passages[:, 3]`. Each article's rows are contiguous and in
reading order; articles need not be in any order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# One row per sentence: its article row and [start, end) in that article's body.
SENTENCE = np.dtype([("article", "<i4"), ("start", "<i4"), ("end", "<i4")])
# One row per passage: its article row, [start, end) in the body, and its first and last sentence rows (inclusive).
PASSAGE = np.dtype([("article", "<i4"), ("start", "<i4"), ("end", "<i4"), ("first", "<i4"), ("last", "<i4")])


def sentence_rows(rows: list[tuple[int, int, int]]) -> np.ndarray:
    """Sentence rows from (article, start, end) tuples."""
    return np.array(rows, dtype=SENTENCE)


def passage_rows(rows: list[tuple[int, int, int, int, int]]) -> np.ndarray:
    """Passage rows from (article, start, end, first, last) tuples."""
    return np.array(rows, dtype=PASSAGE)


def _gather(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Indices of the runs [starts[i], starts[i] + lengths[i]) laid end to end."""
    ends_before = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    return np.repeat(starts - ends_before, lengths) + np.arange(int(lengths.sum()))


@dataclass
class Tables:
    """The row tables of a whole index version, or of the articles one build embeds."""

    sentences: np.ndarray  # SENTENCE rows
    passages: np.ndarray  # PASSAGE rows; first/last are rows of `sentences`
    vectors: np.ndarray  # float16 unit rows, aligned with sentences
    tokens: np.ndarray  # int32 BM25 token ids of every passage, flattened
    offsets: np.ndarray  # int64: passage i's ids are tokens[offsets[i]:offsets[i + 1]]

    @classmethod
    def empty(cls, dimension: int) -> Tables:
        """Tables with no rows."""
        return cls(
            np.zeros(0, SENTENCE),
            np.zeros(0, PASSAGE),
            np.zeros((0, dimension), np.float16),
            np.zeros(0, np.int32),
            np.zeros(1, np.int64),
        )

    def passage_tokens(self, row: int) -> np.ndarray:
        """The token ids of one passage."""
        return self.tokens[self.offsets[row] : self.offsets[row + 1]]

    def join(self, other: Tables) -> Tables:
        """These rows followed by another table's (its sentence rows shift past ours)."""
        shifted = other.passages.copy()
        shifted["first"] += len(self.sentences)
        shifted["last"] += len(self.sentences)
        return Tables(
            np.concatenate([self.sentences, other.sentences]),
            np.concatenate([self.passages, shifted]),
            np.vstack([self.vectors, other.vectors]),
            np.concatenate([self.tokens, other.tokens]),
            np.concatenate([self.offsets, other.offsets[1:] + self.offsets[-1]]),
        )

    def keep(self, article_map: np.ndarray) -> Tables:
        """The rows of articles that `article_map` keeps (old article row -> new row, -1 drops), renumbered."""
        keep_sentence = article_map[self.sentences["article"]] >= 0
        kept_passages = np.flatnonzero(article_map[self.passages["article"]] >= 0)
        new_row = np.cumsum(keep_sentence) - 1  # old sentence row -> row among the kept ones
        sentences = self.sentences[keep_sentence]
        sentences["article"] = article_map[sentences["article"]]
        passages = self.passages[kept_passages]
        passages["article"] = article_map[passages["article"]]
        passages["first"], passages["last"] = new_row[passages["first"]], new_row[passages["last"]]
        lengths = np.diff(self.offsets)[kept_passages]
        tokens = self.tokens[_gather(self.offsets[kept_passages], lengths)]
        return Tables(
            sentences,
            passages,
            self.vectors[keep_sentence],
            tokens,
            np.concatenate(([0], np.cumsum(lengths))).astype(np.int64),
        )

    def passage_vectors(self, rows: np.ndarray | None = None, block: int = 20_000) -> np.ndarray:
        """Unit vectors of passages (all, or `rows`): the normalised mean of their sentences' vectors."""
        passages = self.passages if rows is None else self.passages[rows]
        out = np.zeros((len(passages), self.vectors.shape[1]), dtype=np.float32)
        for lo in range(0, len(passages), block):  # blocks bound the temporary copy
            part = passages[lo : lo + block]
            counts = part["last"] - part["first"] + 1
            members = _gather(part["first"], counts)
            starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
            out[lo : lo + block] = np.add.reduceat(self.vectors[members].astype(np.float32), starts)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

    def lead_passages(self) -> np.ndarray:
        """The row of each article's first passage, ordered by article row."""
        order = np.lexsort((self.passages["start"], self.passages["article"]))  # by article, then start
        owners = self.passages["article"][order]
        return order[np.r_[True, np.diff(owners) != 0]] if len(order) else order

    def passage_counts(self, n_articles: int) -> np.ndarray:
        """How many passages each article row has."""
        return np.bincount(self.passages["article"], minlength=n_articles)


@dataclass(frozen=True)
class Embedded:
    """What a build made of its new or changed articles: rows (sentence rows numbered from 0), vectors, stems."""

    sentences: np.ndarray  # SENTENCE rows; article = the article's row in the build's article list
    passages: np.ndarray  # PASSAGE rows; first/last count from this table's first sentence
    vectors: np.ndarray  # float16 unit rows, aligned with sentences
    terms: list[list[str]]  # each passage's BM25 stems, in order
