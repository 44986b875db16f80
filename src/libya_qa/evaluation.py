"""Measure answer quality on a JSON-lines evaluation set (answerable, unanswerable, follow-up)."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from .qa import QA
from .schema import Answer

TOP_K = 5


@dataclass(frozen=True)
class Case:
    """One evaluation question with what a right answer must contain."""

    id: str
    kind: str  # answerable | unanswerable | followup
    question: str
    articles: tuple[str, ...] = ()
    answer: tuple[str, ...] = ()
    history: tuple[str, ...] = ()


@dataclass(frozen=True)
class Result:
    """How the assistant did on one case."""

    case: Case
    rank: int | None  # 1-based rank of the first right excerpt, None if none in the top 5
    article_rank: int | None  # 1-based rank of the first excerpt from a right article
    status: str
    top_score: float
    verbatim: int  # excerpts whose quote is body[start:end]
    excerpts: int
    took_ms: float
    rank_without_history: int | None = None
    highlighted: bool = False  # the first excerpt is right and its highlight holds every answer phrase


def load_cases(path: Path) -> list[Case]:
    """Read the JSON-lines file."""
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            articles = tuple(row.get("articles") or ([row["article"]] if row.get("article") else []))
            cases.append(Case(row["id"], row["kind"], row["question"], articles,
                              tuple(row.get("answer", ())), tuple(row.get("history", ()))))
    return cases


def _ranks(answer: Answer, case: Case) -> tuple[int | None, int | None]:
    """First rank holding every answer string (from a right article), and first right-article rank."""
    rank = article_rank = None
    for n, excerpt in enumerate(answer.excerpts, 1):
        if excerpt.source.id in case.articles:
            article_rank = article_rank or n
            if rank is None and all(a in excerpt.quote for a in case.answer):
                rank = n
    return rank, article_rank


def _verbatim(qa: QA, answer: Answer) -> int:
    """How many excerpts are exactly the stored body at their offsets."""
    snapshot = qa.loaded.snapshot
    return sum(snapshot.article_by_id(e.source.id).body[e.start:e.end] == e.quote for e in answer.excerpts)


def run_case(qa: QA, case: Case) -> Result:
    """Ask one case (follow-ups twice: with and without their history)."""
    answer = qa.ask(case.question, TOP_K, list(case.history))
    rank, article_rank = _ranks(answer, case)
    top = answer.confidence
    without = None
    if case.kind == "followup":
        without = _ranks(qa.ask(case.question, TOP_K, []), case)[0]
    highlighted = False
    if rank == 1:
        first = answer.excerpts[0]
        marked = first.quote[first.highlight[0]:first.highlight[1]]
        highlighted = all(a in marked for a in case.answer)
    return Result(case, rank, article_rank, answer.status, top, _verbatim(qa, answer),
                  len(answer.excerpts), answer.took_ms, without, highlighted)


@dataclass
class Report:
    """All results, with the headline figures."""

    results: list[Result] = field(default_factory=list)

    def of(self, *kinds: str) -> list[Result]:
        """Results of the given kinds."""
        return [r for r in self.results if r.case.kind in kinds]

    def summary(self) -> dict[str, float | int]:
        """hit@1, hit@5, MRR, answered/abstained rates, verbatim share, follow-up hit rates, latency."""
        answerable, unanswerable, followups = self.of("answerable"), self.of("unanswerable"), self.of("followup")

        def rate(items: list[Result], test) -> float:  # type: ignore[no-untyped-def]
            return round(sum(1 for r in items if test(r)) / len(items), 3) if items else 0.0

        excerpts = sum(r.excerpts for r in self.results)
        return {
            "answerable": len(answerable), "unanswerable": len(unanswerable), "followup": len(followups),
            "hit@1": rate(answerable, lambda r: r.rank == 1),
            "hit@5": rate(answerable, lambda r: r.rank is not None),
            "mrr": round(statistics.fmean([1 / r.rank if r.rank else 0.0 for r in answerable]), 3) if answerable else 0.0,
            "article_hit@1": rate(answerable, lambda r: r.article_rank == 1),
            "highlight_hit@1": rate(answerable, lambda r: r.highlighted),
            "answered_rate": rate(answerable, lambda r: r.status == "answered"),
            "abstained_rate": rate(unanswerable, lambda r: r.status == "not_found"),
            "verbatim_share": round(sum(r.verbatim for r in self.results) / excerpts, 4) if excerpts else 1.0,
            "followup_hit@1_with_history": rate(followups, lambda r: r.rank == 1),
            "followup_hit@5_with_history": rate(followups, lambda r: r.rank is not None),
            "followup_hit@1_without_history": rate(followups, lambda r: r.rank_without_history == 1),
            "followup_hit@5_without_history": rate(followups, lambda r: r.rank_without_history is not None),
            "median_ms": round(statistics.median(r.took_ms for r in self.results), 1) if self.results else 0.0,
        }


def evaluate(qa: QA, cases: list[Case]) -> Report:
    """Run every case."""
    return Report([run_case(qa, case) for case in cases])


def format_report(report: Report) -> str:
    """A readable table of the figures, then the misses."""
    lines = [f"{k:32s} {v}" for k, v in report.summary().items()]
    misses = [r for r in report.of("answerable", "followup") if r.rank != 1]
    if misses:
        lines.append("\nnot first (rank, status, id, question):")
        lines += [f"  {r.rank or '-':>2} {r.status:9s} {r.case.id:5s} {r.case.question}" for r in misses]
    wrong = [r for r in report.of("unanswerable") if r.status == "answered"]
    if wrong:
        lines.append("\nanswered but should abstain:")
        lines += [f"  {r.top_score:.3f} {r.case.id:5s} {r.case.question}" for r in wrong]
    return "\n".join(lines)
