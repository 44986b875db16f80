"""Hybrid retrieval (dense + BM25 passages, reciprocal rank fusion), then sentence-level re-scoring."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .analysis import answer_fit, is_question, question_type, tokenize
from .encoders import Encoder
from .fact_sheets import asked_row, is_fact_sheet, labels_asked, of_another_subject, sheet_subject
from .figures import asked_figure
from .layout import headings, is_prose, section_heading
from .ranking import (
    FIELD_BONUS,
    OWN_WORDS_SHARE,
    PREVIOUS_SOURCE_BONUS,
    QUESTION_WEIGHTS,
    TOPIC_WEIGHTS,
    SentenceHit,
    Weights,
    amended,
    evidence_matrix,
    vector_of,
    with_ranks,
)
from .schema import Article, Filters
from .signals import (
    ShortNames,
    as_written,
    credited_relations,
    initials_written,
    named_in_full,
    names_any,
    names_by_last_word,
    sentence_bm25,
    soft_coverage,
    typed_answer,
    window_cosines,
)
from .store import Candidates, Selection, SentenceView, Snapshot

# Passages read from a fact sheet the question names, by its own words within it: every sheet writes the same
# labels, and the subject's name is the sheet's title, not its rows' words ("What religions are practised in Niger?").
SHEET_ROWS = 2


@dataclass(frozen=True)
class Query:
    """One search: the user's own words, the text retrieval uses, and the articles it may use."""

    question: str  # decides the kind of answer wanted and whether this is a topic
    text: str = ""  # what retrieval matches; a follow-up carries earlier turns (defaults to the question)
    among: Selection | None = None  # a filter's articles; None searches them all
    given: str = ""  # a follow-up's earlier question: what it names is known, so never the answer
    previous_source: str = ""  # a follow-up's previous answer's article (its first quote's): it mostly stays there
    in_conversation: bool = False  # asked after earlier questions, which may name what this one leaves unnamed
    referents: tuple[str, ...] = ()  # what a follow-up's pronouns were read to mean, each apart (its text runs them on)

    @property
    def retrieval_text(self) -> str:
        """The text the retrievers see."""
        return self.text or self.question


@dataclass(frozen=True)
class Evidence:
    """The scored sentences of one search and the view they were read from."""

    hits: list[SentenceHit]
    view: SentenceView | None


class Searcher:
    """Scores the sentences of the best passages for one question against one snapshot."""

    def __init__(
        self,
        snapshot: Snapshot,
        encoder: Encoder,
        candidates: int = 30,
        rrf_k: int = 60,
        weights: Weights = QUESTION_WEIGHTS,
        topic_weights: Weights = TOPIC_WEIGHTS,
    ) -> None:
        self.snapshot = snapshot
        self.encoder = encoder
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.weights = weights
        self.topic_weights = topic_weights
        self._tokens: dict[int, list[str]] = {}  # sentence id -> stems, filled as questions touch them
        self._terms: dict[int, frozenset[str]] = {}  # -1 - sentence id -> its context's stems, likewise
        self._prose: dict[int, bool] = {}  # sentence id -> sits on a prose line (quotable), likewise
        self._headings: dict[int, list[tuple[int, str]]] = {}  # article key -> its headings, likewise
        self._fact_sheets: dict[int, bool] = {}  # article key -> its lines are mostly labelled values, likewise
        self._sheet_subjects: dict[int, str] = {}  # a fact sheet's key -> its title and its people's names

    def embed(self, text: str) -> np.ndarray:
        """The unit vector of a text."""
        return self.encoder.encode([text])[0]

    def fuse(self, vector: np.ndarray, terms: list[str], among: Selection | None) -> dict[int, float]:
        """Candidate passage ids with their reciprocal-rank-fusion scores."""
        dense, keyword = self.retrieve(vector, terms, among)
        return fused_ranks((dense.passages.tolist(), keyword.passages.tolist()), self.rrf_k)

    def retrieve(self, vector: np.ndarray, terms: list[str], among: Selection | None) -> tuple[Candidates, Candidates]:
        """The dense and the keyword candidate passages, each best first."""
        return (
            self.snapshot.dense(vector, self.candidates, among),
            self.snapshot.keywords(terms, self.candidates, among),
        )

    def sentence_terms(self, sentence: int, text: str) -> frozenset[str]:
        """The stems of one sentence (cached: a snapshot never changes)."""
        return frozenset(self.sentence_tokens(sentence, text))

    def sentence_tokens(self, sentence: int, text: str) -> list[str]:
        """The stems of one sentence in order, repeats kept (cached: a snapshot never changes)."""
        tokens = self._tokens.get(sentence)
        if tokens is None:
            tokens = self._tokens[sentence] = tokenize(text)
        return tokens

    def context_terms(self, view: SentenceView, i: int) -> frozenset[str]:
        """The stems of the sentence's article title, section heading, author and publisher (cached per sentence)."""
        sentence = -1 - int(view.ids[i])  # negative keys: a cache apart from the sentences' own stems
        terms = self._terms.get(sentence)
        if terms is None:
            key = int(view.article[i])
            article = view.articles[key]
            marks = self._headings.get(key)
            if marks is None:  # each article's headings found once: a body can hold thousands of lines
                marks = self._headings[key] = headings(article.body, article.source.title)
            heading = section_heading(marks, int(view.start[i]))
            source = article.source  # "according to Orton", "the BBC's analysis": the byline is context too
            terms = self._terms[sentence] = frozenset(
                tokenize(f"{source.title} {heading} {source.author} {source.publisher}".replace("unknown", ""))
            )
        return terms

    def quotable(self, view: SentenceView, i: int) -> bool:
        """True when the sentence at view position i is prose, never a heading, caption or byline (cached)."""
        sentence = int(view.ids[i])
        prose = self._prose.get(sentence)
        if prose is None:
            article = view.articles[int(view.article[i])]
            prose = self._prose[sentence] = is_prose(
                article.body, int(view.start[i]), int(view.end[i]), article.source.title
            )
        return prose

    def fact_sheet(self, view: SentenceView, i: int) -> bool:
        """True when the sentence's article is a fact sheet (fact_sheets.is_fact_sheet; cached per article)."""
        key = int(view.article[i])
        return self._is_sheet(key, view.articles[key].body)

    def _is_sheet(self, key: int, body: str) -> bool:
        """fact_sheets.is_fact_sheet of an article's body, cached by its key."""
        sheet = self._fact_sheets.get(key)
        if sheet is None:
            sheet = self._fact_sheets[key] = is_fact_sheet(body)
        return sheet

    def _sheet_subject(self, key: int, article: Article) -> str:
        """fact_sheets.sheet_subject of a sheet: its title and its people's names (cached by its key)."""
        subject = self._sheet_subjects.get(key)
        if subject is None:
            subject = self._sheet_subjects[key] = sheet_subject(article.source.title, article.body)
        return subject

    def named_sheet_rows(
        self, view: SentenceView, terms: list[str], subjects: ShortNames, among: Selection | None
    ) -> list[int]:
        """The best keyword passages within each fact sheet of the view that the question names (by its title or
        its people's name: _sheet_subject), searched through the store's own filter selection of that sheet."""
        rows: list[int] = []
        for key, article in view.articles.items():
            if (among is not None and key not in among.keys) or not self._is_sheet(key, article.body):
                continue
            if names_any(subjects, self._sheet_subject(key, article)):
                within = self.snapshot.select(Filters(sources=(article.id,)))
                rows += self.snapshot.keywords(terms, SHEET_ROWS, within).passages.tolist()
        return rows

    def sheet_evidence(
        self,
        view: SentenceView,
        i: int,
        sentence: str,
        asked: frozenset[str],
        subjects: ShortNames,
        chosen: bool = False,
    ) -> tuple[float, float]:
        """(a fact sheet's row the question names, a fact sheet's sentence about something else) as 1.0 or 0.0
        (chosen: a filter chose the articles, or earlier questions may have named the subject)."""
        if not self.fact_sheet(view, i):
            return 0.0, 0.0
        title = self._sheet_subject(int(view.article[i]), view.articles[int(view.article[i])])
        return (
            float(asked_row(sentence, title, asked, subjects)),
            float(of_another_subject(sentence, title, subjects, chosen)),
        )

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
        """Every quotable sentence of the candidate passages with its evidence (score not yet combined)."""
        text = query.retrieval_text
        own_vector = None  # a follow-up's own words alone, read against its search text below
        if text != query.question:
            if vector is None:  # both in one forward pass, not two
                vector, own_vector = self.encoder.encode([text, query.question])
            else:
                own_vector = self.embed(query.question)
        vector = self.embed(text) if vector is None else vector
        initials = initials_written(query.question, self.snapshot.known_terms)
        terms = tokenize(text)
        # A name the corpus writes by its initials: its passages are found by them too ("IOM" for the
        # International Organization for Migration), and a sentence writing them is credited with the name's
        # words (not weighed as one more word: "Government of National Accord (GNA)" would count it twice).
        by_initials = as_written(initials)
        labels = labels_asked(frozenset(terms))  # "capital" finds "Major urban areas - population:" rows
        dense_found, keyword_found = self.retrieve(
            vector, terms + [word.lower() for word, _ in initials] + labels, query.among
        )
        dense, keyword = dense_found.passages.tolist(), keyword_found.passages.tolist()
        fused = fused_ranks((dense, keyword), self.rrf_k)
        if not fused:
            return Evidence([], None)
        view = self.snapshot.sentences(list(fused))
        short_names = names_by_last_word(query.question)
        # a follow-up's "its" is the name its search text carries
        subjects = (
            short_names
            if text == query.question
            else names_by_last_word("; ".join([query.question, *query.referents]) if query.referents else text)
        )
        rows = [p for p in self.named_sheet_rows(view, terms + labels, subjects, query.among) if p not in fused]
        if rows:  # the named sheet's asked row, which its own words seldom find among every sheet's rows
            fused.update(dict.fromkeys(rows, min(fused.values())))
            view = self.snapshot.sentences(list(fused))
        weights = self.snapshot.term_idf(terms)
        cosines = view.vectors @ vector.astype(np.float32)
        # a follow-up searched with its referents: how much closer each sentence is to its own words alone
        own_gain = (
            view.vectors @ own_vector.astype(np.float32) - cosines if own_vector is not None else np.zeros_like(cosines)
        )
        best_fusion = _best_by_sentence(view, fused, relative=True)
        dense_rank = _best_by_sentence(view, {p: 1 / (1 + r) for r, p in enumerate(dense)})
        keyword_rank = _best_by_sentence(view, {p: 1 / (1 + r) for r, p in enumerate(keyword)})
        passage_cosine = _best_by_sentence(view, dict(zip(dense, dense_found.scores.tolist())))
        windows = window_cosines(view, vector)
        evidence = self.snapshot.article_evidence(np.unique(view.article), terms, weights, vector)
        by_article = {int(k): i for i, k in enumerate(evidence.keys)}
        kind, question_terms = question_type(query.question), frozenset(terms)
        # of the follow-up's own words: "And how many were wounded?" after "How long ...?" asks for a count
        figure = asked_figure(query.question) if kind == "number" else None
        asked_terms = frozenset(tokenize(query.question))
        known = f"{query.question} {query.given}"  # a follow-up's earlier names are no new answer
        scored = [i for i in view.scored() if self.quotable(view, i)]  # the rest is context, never a quote
        top_cosine = max((float(cosines[i]) for i in scored), default=0.0)
        hits = []
        for i in scored:
            sentence, article = int(view.ids[i]), int(view.article[i])
            sentence_text = view.text(i)
            stems = self.sentence_terms(sentence, sentence_text)
            stems = stems | named_in_full(short_names, sentence_text) | named_in_full(by_initials, sentence_text)
            stems = stems | credited_relations(question_terms, stems, short_names, sentence_text)
            context = stems | self.context_terms(view, i)
            a = by_article[article]
            typed, near = typed_answer(sentence_text, kind, known, question_terms, figure)
            field, other_subject = self.sheet_evidence(
                view, i, sentence_text, asked_terms, subjects, query.among is not None or query.in_conversation
            )
            hits.append(
                SentenceHit(
                    sentence=sentence,
                    position=i,
                    article=article,
                    cosine=float(cosines[i]),
                    coverage=self.coverage(weights, stems),
                    fusion=best_fusion[sentence],
                    neighbour=_neighbour_cosine(view, cosines, i, best_fusion),
                    fit=answer_fit(query.question, kind, sentence_text, stems, question_terms),
                    article_keywords=float(evidence.keywords[a]),
                    article_lead=float(evidence.lead[a]),
                    lead_coverage=float(evidence.lead_coverage[a]),
                    context_coverage=self.coverage(weights, context),
                    soft_coverage=soft_coverage(weights, context),
                    dense_rank=dense_rank.get(sentence, 0.0),
                    keyword_rank=keyword_rank.get(sentence, 0.0),
                    cosine_gap=float(cosines[i]) - top_cosine,
                    opening=float(_opens_article(view, i)),
                    length=min(np.log2(1 + len(sentence_text.split())) / 6, 1.0),
                    typed_answer=typed,
                    typed_near=near,
                    window_cosine=float(windows[i]),
                    passage_cosine=passage_cosine.get(sentence, 0.0),
                    article_coverage=float(evidence.coverage[a]),
                    best_article_coverage=evidence.best_coverage,
                    sentence_bm25=sentence_bm25(weights, self.sentence_tokens(sentence, sentence_text)),
                    field=field,
                    other_subject=other_subject,
                    own_gain=float(own_gain[i]),
                    previous_source=float(view.articles[article].id == query.previous_source),
                )
            )
        return Evidence(with_ranks(hits), view)

    def rank(self, hits: list[SentenceHit], weights: Weights | None = None) -> list[SentenceHit]:
        """Combine each sentence's evidence into one score (and its confidence) and sort, best first."""
        if not hits:
            return []
        evidence = evidence_matrix(hits)
        fields = FIELD_BONUS * np.array([h.field for h in hits])  # evidence too: confidence reads it (dev: q161)
        scores = evidence @ vector_of(weights or self.weights) + fields
        confidences = (
            scores if weights is None or weights == self.weights else (evidence @ vector_of(self.weights) + fields)
        )
        own = OWN_WORDS_SHARE * (weights or self.weights).sentence_cosine * np.array([h.own_gain for h in hits])
        scores = scores + own + PREVIOUS_SOURCE_BONUS * np.array([h.previous_source for h in hits])
        # ranking only: the confidence stays on the scale the model was fitted on
        scored = [amended(h, score=float(s), confidence=float(c)) for h, s, c in zip(hits, scores, confidences)]
        scored.sort(key=lambda h: -h.score)
        return scored


LEADING_SPACE = re.compile(r"\s*")


def fused_ranks(ranked: tuple[list[int], ...], rrf_k: int) -> dict[int, float]:
    """Reciprocal rank fusion of several rankings of passage ids."""
    fused: dict[int, float] = {}
    for ranking in ranked:
        for rank, passage in enumerate(ranking):
            fused[passage] = fused.get(passage, 0.0) + 1.0 / (rrf_k + rank + 1)
    return fused


def _best_by_sentence(view: SentenceView, passage_scores: dict[int, float], relative: bool = False) -> dict[int, float]:
    """Per sentence id, the best score among the candidate passages holding it (relative to the top if asked)."""
    top = max(passage_scores.values(), default=1.0) if relative else 1.0
    best: dict[int, float] = {}
    for passage, (first, last) in view.passages.items():
        score = passage_scores.get(passage, 0.0) / top
        for sentence in range(first, last + 1):
            if score > best.get(sentence, -1.0):
                best[sentence] = score
    return best


def _opens_article(view: SentenceView, i: int) -> bool:
    """True for a sentence of its article's first paragraph (no line break before it)."""
    body = view.articles[int(view.article[i])].body
    first_break = body.find("\n", LEADING_SPACE.match(body).end())
    return first_break < 0 or int(view.start[i]) < first_break


def _neighbour_cosine(view: SentenceView, cosines: np.ndarray, i: int, scored: dict[int, float]) -> float:
    """The best cosine of the scored sentences just before and after position i in the same article."""
    sentence = int(view.ids[i])
    values = [
        float(cosines[j])
        for j in (i - 1, i + 1)
        if 0 <= j < len(view.ids)
        and int(view.ids[j]) in (sentence - 1, sentence + 1)
        and view.article[j] == view.article[i]
        and int(view.ids[j]) in scored
    ]
    return max(values, default=0.0)
