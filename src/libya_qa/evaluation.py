"""Measure answer quality on a JSON-lines evaluation set: answerable, unanswerable and follow-up questions.

A hit is an excerpt from one of the question's articles that contains every expected answer string.
Figures come per split (dev, test) when the cases carry one: fit on dev, report test.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import QAError
from .qa import QA
from .schema import Answer, Excerpt

TOP_K = 5
CONFIDENCE_BANDS = (0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0001)
HELD_OUT = "test"  # the split figures are reported on and nothing is fitted on


@dataclass(frozen=True)
class Case:
    """One evaluation question with what a right answer must contain."""

    id: str
    kind: str  # answerable | unanswerable | followup
    question: str
    articles: tuple[str, ...] = ()
    answer: tuple[str, ...] = ()
    history: tuple[str, ...] = ()
    split: str = ""  # dev | test | "" (no split)


@dataclass(frozen=True)
class Result:
    """How the assistant did on one case."""

    case: Case
    rank: int | None  # 1-based rank of the first right excerpt, None if none in the top 5
    article_rank: int | None  # 1-based rank of the first excerpt from a right article
    status: str
    confidence: float
    verbatim: int  # excerpts whose quote is body[start:end] (and short answers likewise)
    checked: int  # excerpts and short-answer spans checked
    took_ms: float
    rank_without_history: int | None = None
    highlighted: bool = False  # the first excerpt is right and a highlight holds an expected answer string
    highlight_share: float = 0.0  # share of the first excerpt's characters that are highlighted
    precise: int = 0  # returned excerpts that hold an expected answer string
    excerpts: int = 0
    precise_bearing: int = 0  # of the excerpts not flagged related, those that hold an expected answer string
    bearing: int = 0  # excerpts not flagged related (the page lists the others under "Related passages")
    short_hit: bool = False  # the short answer holds (or is held by) an expected answer string
    short_given: bool = False
    short_spans: int = 0  # spans in the short answer
    short_spans_right: int = 0  # of those, spans that hold (or are held by) an expected answer string
    rank_after_other: int | None = None  # a standalone question asked after an unrelated earlier one
    later_holding: int = 0  # excerpts after the first, from a right article, that hold an expected answer string
    later_marked: int = 0  # of those, excerpts whose highlights hold one
    later_marks: int = 0  # highlight spans over all excerpts after the first
    later: int = 0  # excerpts after the first


def load_cases(path: Path) -> list[Case]:
    """Read the JSON-lines file (one case a line); a file that cannot be read or parsed is one clear error."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise QAError("bad_eval_file", f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from exc
    cases = []
    for number, line in enumerate(lines, 1):
        if line.strip():
            try:
                cases.append(_case(json.loads(line)))
            except json.JSONDecodeError as exc:
                raise QAError("bad_eval_file", f"{path} line {number} is not JSON ({exc})") from exc
            except (ValueError, KeyError) as exc:
                why = f"it has no {exc}" if isinstance(exc, KeyError) else str(exc)
                raise QAError(
                    "bad_eval_file",
                    f"{path} line {number} is not a case: {why} (the format: tests/data/eval/README.md)",
                ) from exc
    return cases


KINDS = ("answerable", "unanswerable", "followup")
SPLITS = ("", "dev", "test")


def _case(row: dict) -> Case:
    """One case from its JSON object; a field of the wrong shape is a ValueError naming it (no silent score)."""

    def texts(name: str, value: object) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ValueError(f"{name} must be a list of non-empty strings")
        return tuple(value)

    if not isinstance(row, dict):
        raise ValueError("it is not a JSON object")
    question, kind, split = row.get("question"), row.get("kind"), row.get("split", "")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("question must be a non-empty string")
    if kind not in KINDS or split not in SPLITS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)} and split one of dev, test (or absent)")
    articles = texts("articles", row["articles"] if "articles" in row else [row["article"]] if "article" in row else [])
    answer, history = texts("answer", row.get("answer", [])), texts("history", row.get("history", []))
    if kind != "unanswerable" and not (articles and answer):
        raise ValueError(f"kind {kind} needs its articles and answer strings")
    if (kind == "followup") != bool(history):
        raise ValueError("a followup case needs a history, and only a followup has one")
    return Case(str(row["id"]), kind, question, articles, answer, history, split)


def _holds_answer(excerpt: Excerpt, case: Case) -> bool:
    """The excerpt is from a right article and contains every expected answer string."""
    return excerpt.source.id in case.articles and all(a in excerpt.quote for a in case.answer)


def _names_an_answer(excerpt: Excerpt, case: Case) -> bool:
    """The excerpt is from a right article and contains some expected answer string (the precision rule)."""
    return excerpt.source.id in case.articles and any(a in excerpt.quote for a in case.answer)


def ranks(answer: Answer, case: Case) -> tuple[int | None, int | None]:
    """First rank holding every answer string (from a right article), and first right-article rank."""
    rank = article_rank = None
    for n, excerpt in enumerate(answer.excerpts, 1):
        if excerpt.source.id in case.articles:
            article_rank = article_rank or n
            if rank is None and _holds_answer(excerpt, case):
                rank = n
    return rank, article_rank


def _highlight_holds(excerpt: Excerpt, case: Case) -> bool:
    """Some expected answer string lies inside one highlighted span."""
    return any(a in excerpt.quote[h0:h1] for a in case.answer for h0, h1 in excerpt.highlights or (excerpt.highlight,))


def _highlight_share(excerpt: Excerpt) -> float:
    """The share of the quote's characters that its highlights cover."""
    marked = sum(h1 - h0 for h0, h1 in excerpt.highlights or (excerpt.highlight,))
    return marked / max(len(excerpt.quote), 1)


def _verbatim(qa: QA, answer: Answer) -> tuple[int, int]:
    """(exact, checked): excerpts and short-answer spans that are the stored body at their offsets."""
    snapshot = qa.loaded.snapshot
    body = {
        i: snapshot.article_by_id(i).body
        for i in {e.source.id for e in answer.excerpts} | {s.source_id for s in answer.short_answer}
    }
    exact = sum(body[e.source.id][e.start : e.end] == e.quote for e in answer.excerpts)
    exact += sum(body[s.source_id][s.start : s.end] == s.text for s in answer.short_answer)
    return exact, len(answer.excerpts) + len(answer.short_answer)


def run_case(qa: QA, case: Case, other: str = "") -> Result:
    """Ask one case (follow-ups also without their history; a standalone one also after another question)."""
    answer = qa.ask(case.question, TOP_K, list(case.history))
    rank, article_rank = ranks(answer, case)
    without = ranks(qa.ask(case.question, TOP_K, []), case)[0] if case.kind == "followup" else None
    after_other = ranks(qa.ask(case.question, TOP_K, [other]), case)[0] if other else None
    first = answer.excerpts[0] if answer.excerpts else None
    texts = [s.text for s in answer.short_answer]
    exact, checked = _verbatim(qa, answer)
    bearing = [e for e in answer.excerpts if not e.related]
    return Result(
        case,
        rank,
        article_rank,
        answer.status,
        answer.confidence,
        exact,
        checked,
        answer.took_ms,
        without,
        highlighted=rank == 1 and first is not None and _highlight_holds(first, case),
        highlight_share=_highlight_share(first) if first is not None else 0.0,
        precise=sum(_names_an_answer(e, case) for e in answer.excerpts),
        excerpts=len(answer.excerpts),
        precise_bearing=sum(_names_an_answer(e, case) for e in bearing),
        bearing=len(bearing),
        short_given=bool(texts),
        short_hit=any(_matches(t, case) for t in texts),
        short_spans=len(texts),
        short_spans_right=sum(_matches(t, case) for t in texts),
        rank_after_other=after_other,
        later_holding=sum(_names_an_answer(e, case) for e in answer.excerpts[1:]),
        later_marked=sum(_names_an_answer(e, case) and _highlight_holds(e, case) for e in answer.excerpts[1:]),
        later_marks=sum(len(e.highlights or (e.highlight,)) for e in answer.excerpts[1:]),
        later=len(answer.excerpts[1:]),
    )


def _matches(text: str, case: Case) -> bool:
    """A short-answer span holds an expected answer string, or is held by one ("Qatar" in "by Qatar")."""
    return any(a in text or text in a for a in case.answer)


def _rate(items: list[Result], test: Callable[[Result], bool]) -> float:
    """The share of items passing a test (0.0 for none)."""
    return round(sum(1 for r in items if test(r)) / len(items), 3) if items else 0.0


def _share(items: list[Result], part: Callable[[Result], int], whole: Callable[[Result], int]) -> float:
    """Sum of a count over items against the sum of another (0.0 when that is 0)."""
    total = sum(whole(r) for r in items)
    return round(sum(part(r) for r in items) / total, 3) if total else 0.0


@dataclass
class Report:
    """All results, with the headline figures (overall and per split)."""

    results: list[Result] = field(default_factory=list)

    def of(self, *kinds: str, split: str = "") -> list[Result]:
        """Results of the given kinds (and split, when given)."""
        return [r for r in self.results if r.case.kind in kinds and (not split or r.case.split == split)]

    def splits(self) -> list[str]:
        """The splits present, then "" for all of them together."""
        present = sorted({r.case.split for r in self.results if r.case.split})
        return [*present, ""] if present else [""]

    def summary(self, split: str = "") -> dict[str, float | int]:
        """Every figure for one split ("" for all)."""
        answerable, unanswerable = self.of("answerable", split=split), self.of("unanswerable", split=split)
        followups = self.of("followup", split=split)
        firsts = [r for r in answerable if r.excerpts]
        returned = sum(r.excerpts for r in answerable)
        bearing = sum(r.bearing for r in answerable)
        answered = [r for r in answerable if r.status == "answered"]
        checked = sum(r.checked for r in self.of("answerable", "unanswerable", "followup", split=split))
        return {
            "answerable": len(answerable),
            "unanswerable": len(unanswerable),
            "followup": len(followups),
            "hit@1": _rate(answerable, lambda r: r.rank == 1),
            "hit@5": _rate(answerable, lambda r: r.rank is not None),
            "mrr": round(statistics.fmean([1 / r.rank if r.rank else 0.0 for r in answerable]), 3)
            if answerable
            else 0.0,
            "article_hit@1": _rate(answerable, lambda r: r.article_rank == 1),
            "answered_rate": _rate(answerable, lambda r: r.status == "answered"),
            "abstained_rate": _rate(unanswerable, lambda r: r.status == "not_found"),
            "precision@5": _share(answerable, lambda r: r.precise, lambda r: r.excerpts),
            # the excerpts not flagged related: what an answer leads with
            "precision_of_answer_excerpts": _share(answerable, lambda r: r.precise_bearing, lambda r: r.bearing),
            "related_share": round((returned - bearing) / returned, 3) if returned else 0.0,
            "highlight_holds_answer@1": _rate([r for r in answerable if r.rank == 1], lambda r: r.highlighted),
            "highlighted_share": round(statistics.fmean(r.highlight_share for r in firsts), 3) if firsts else 0.0,
            # quotes 2-5: a mark there should still find the answer, and not mark every name the quote holds
            "later_highlight_holds_answer": _share(answerable, lambda r: r.later_marked, lambda r: r.later_holding),
            "later_marks_per_excerpt": _share(answerable, lambda r: r.later_marks, lambda r: r.later),
            "short_answer_given": _rate(answered, lambda r: r.short_given),
            "short_answer_holds_answer": _rate([r for r in answered if r.short_given], lambda r: r.short_hit),
            "short_answer_span_precision": _share(answered, lambda r: r.short_spans_right, lambda r: r.short_spans),
            "verbatim_share": round(
                sum(r.verbatim for r in self.of("answerable", "unanswerable", "followup", split=split)) / checked, 4
            )
            if checked
            else 1.0,
            "followup_hit@1_with_history": _rate(followups, lambda r: r.rank == 1),
            "followup_hit@5_with_history": _rate(followups, lambda r: r.rank is not None),
            # a follow-up's right first excerpt under not_found is no answer to the user
            "followup_answered_rate": _rate(followups, lambda r: r.status == "answered"),
            "followup_hit@1_without_history": _rate(followups, lambda r: r.rank_without_history == 1),
            "followup_hit@5_without_history": _rate(followups, lambda r: r.rank_without_history is not None),
            "standalone_hit@1_after_another_question": _rate(answerable, lambda r: r.rank_after_other == 1),
            "median_ms": round(statistics.median(r.took_ms for r in self.results), 1) if self.results else 0.0,
        }

    def reliability(self, split: str = "") -> list[dict[str, float | int | str]]:
        """Per confidence band: questions, mean confidence, and how often the first excerpt answered."""
        items = self.of("answerable", "unanswerable", split=split)
        rows = []
        for low, high in zip(CONFIDENCE_BANDS, CONFIDENCE_BANDS[1:]):
            band = [r for r in items if low <= r.confidence < high]
            if band:
                rows.append(
                    {
                        "band": f"{low:.1f}-{min(high, 1.0):.1f}",
                        "questions": len(band),
                        "mean_confidence": round(statistics.fmean(r.confidence for r in band), 3),
                        "first_excerpt_answers": _rate(band, lambda r: r.rank == 1),
                    }
                )
        return rows


def unrelated_questions(cases: list[Case]) -> dict[str, str]:
    """For each answerable case, the nearest answerable question over other articles (earlier first): noise."""
    answerable = [c for c in cases if c.kind == "answerable"]
    others = {}
    for i, case in enumerate(answerable):
        nearest = sorted(range(len(answerable)), key=lambda j: (abs(j - i), j > i))
        other = next((answerable[j] for j in nearest if not set(answerable[j].articles) & set(case.articles)), None)
        if other is not None:
            others[case.id] = other.question
    return others


def evaluate(qa: QA, cases: list[Case]) -> Report:
    """Run every case."""
    others = unrelated_questions(cases)
    return Report([run_case(qa, case, others.get(case.id, "")) for case in cases])


def format_report(report: Report, list_held_out: bool = False) -> str:
    """A readable table of the figures per split, the reliability of confidence, then the misses (the held-out
    split's only counted, unless list_held_out: a list of its questions invites tuning on them)."""
    splits = report.splits()
    summaries = {s or "all": report.summary(s) for s in splits}
    names = list(summaries)
    width = max(len(key) for key in summaries[names[0]])
    lines = [f"{'figure':{width}s} " + " ".join(f"{n:>8s}" for n in names)]
    for key in summaries[names[0]]:
        lines.append(f"{key:{width}s} " + " ".join(f"{summaries[n][key]:>8}" for n in names))
    for split in splits:
        lines.append(
            f"\nconfidence reliability ({split or 'all'}): band, questions, mean confidence, first excerpt answers"
        )
        lines += [
            f"  {r['band']:>8s} {r['questions']:>5} {r['mean_confidence']:>7} {r['first_excerpt_answers']:>7}"
            for r in report.reliability(split)
        ]
    return "\n".join(lines + _miss_lines(report.results, list_held_out))


def _miss_lines(results: list[Result], list_held_out: bool) -> list[str]:
    """The questions not answered first, and those answered that should abstain; the held-out split's counted only."""
    listed = [r for r in results if list_held_out or r.case.split != HELD_OUT]
    missed = [r for r in listed if r.case.kind in ("answerable", "followup") and r.rank != 1]
    wrong = [r for r in listed if r.case.kind == "unanswerable" and r.status == "answered"]
    lines = ["\nnot first (rank, status, split, id, question):"] if missed else []
    lines += [f"  {r.rank or '-':>2} {r.status:9s} {r.case.split:4s} {r.case.id:5s} {r.case.question}" for r in missed]
    lines += ["\nanswered but should abstain:"] if wrong else []
    lines += [f"  {r.confidence:.3f} {r.case.split:4s} {r.case.id:5s} {r.case.question}" for r in wrong]
    hidden = [r for r in results if not list_held_out and r.case.split == HELD_OUT]
    held = sum(r.rank != 1 if r.case.kind != "unanswerable" else r.status == "answered" for r in hidden)
    if hidden:
        lines.append(
            f"\n{HELD_OUT}: {held} questions not first or answered when they should abstain, not listed "
            "(nothing is tuned on the held-out split; --list-test-misses lists them)"
        )
    return lines
