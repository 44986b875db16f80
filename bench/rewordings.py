"""The same questions asked otherwise: does the answer hold when a user rewords the question?

tests/data/eval/reworded.jsonl holds 90 answerable questions of tests/data/eval/questions.jsonl (45 dev,
45 test, at most three per article), each asked once more in other words, labelled by how: a synonym, a
name said otherwise, another question form, another word order, fewer words or more. They were written
from the question file alone, without running the assistant. Each reworded question and its original
are asked of the evaluation corpus's index (bench/data/eval, built as bench/fit_ranking.py builds it),
in the same run, with the evaluation's hit rule (an excerpt of a right article holding every expected
answer string). Per split and per kind of rewording it prints hit@1 and hit@5 of the originals and of the
rewordings, how many pairs keep their first passage (the same source, overlapping quotes), and how many
pairs one gets right and the other wrong at hit@1.

Run: nice -n 10 .venv/bin/python bench/rewordings.py
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, table, write_results  # noqa: E402
from fit_ranking import eval_qa  # noqa: E402

from libya_qa.evaluation import Case, load_cases, ranks  # noqa: E402
from libya_qa.schema import Answer  # noqa: E402

QUESTIONS = ROOT / "tests" / "data" / "eval" / "questions.jsonl"
REWORDED = ROOT / "tests" / "data" / "eval" / "reworded.jsonl"


@dataclass(frozen=True)
class Pair:
    """An original question and its rewording, with the rank of the first right excerpt of each."""

    original: Case
    reworded: Case
    how: str
    original_rank: int | None
    reworded_rank: int | None
    same_first: bool  # both first excerpts quote the same passage of the same source


def same_first_passage(first: Answer, second: Answer) -> bool:
    """True when both first excerpts quote the same source at overlapping offsets (the same passage, though
    one may take in a neighbouring sentence the other leaves out)."""
    if not first.excerpts or not second.excerpts:
        return False
    a, b = first.excerpts[0], second.excerpts[0]
    return a.source.id == b.source.id and a.start < b.end and b.start < a.end


def hows(path: Path) -> dict[str, tuple[str, str]]:
    """Reworded case id -> (the original's id, how it was reworded), from the file's own fields."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {str(row["id"]): (str(row["rewords"]), str(row["how"])) for row in rows}


def ask_pairs(questions: Path, reworded: Path) -> list[Pair]:
    """Ask every reworded question and its original."""
    originals = {case.id: case for case in load_cases(questions)}
    labels = hows(reworded)
    qa = eval_qa()
    pairs = []
    for case in load_cases(reworded):
        original_id, how = labels[case.id]
        original = originals[original_id]
        first, second = qa.ask(original.question, 5), qa.ask(case.question, 5)
        pairs.append(
            Pair(
                original,
                case,
                how,
                ranks(first, original)[0],
                ranks(second, case)[0],
                same_first_passage(first, second),
            )
        )
    return pairs


def summary(pairs: list[Pair]) -> dict[str, object]:
    """hit@1 / hit@5 of originals and rewordings, pairs keeping their first quote, and the hit@1 swaps."""
    n = len(pairs)

    def share(values: list[bool]) -> float:
        return round(sum(values) / n, 3) if n else 0.0

    return {
        "pairs": n,
        "original hit@1": share([p.original_rank == 1 for p in pairs]),
        "reworded hit@1": share([p.reworded_rank == 1 for p in pairs]),
        "original hit@5": share([p.original_rank is not None for p in pairs]),
        "reworded hit@5": share([p.reworded_rank is not None for p in pairs]),
        "same first passage": share([p.same_first for p in pairs]),
        "right only as asked first": sum(p.original_rank == 1 and p.reworded_rank != 1 for p in pairs),
        "right only reworded": sum(p.original_rank != 1 and p.reworded_rank == 1 for p in pairs),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--reworded", type=Path, default=REWORDED)
    args = parser.parse_args(argv)
    pairs = ask_pairs(args.questions, args.reworded)
    rows = [
        {
            "split": split,
            "how": how,
            **summary([p for p in pairs if p.reworded.split == split and how in ("all", p.how)]),
        }
        for split in ("dev", "test")
        for how in ("all", *sorted({p.how for p in pairs}))
    ]
    print(table(rows))
    lost = [p for p in pairs if p.original_rank == 1 and p.reworded_rank != 1]
    for p in lost:
        print(
            f"  {p.reworded.split} {p.original.id} ({p.how}): {p.original.question!r} -> {p.reworded.question!r}: "
            f"rank {p.reworded_rank}"
        )
    write_results(
        "rewordings",
        {
            "rows": rows,
            "lost": [
                {"original": p.original.id, "reworded": p.reworded.id, "how": p.how, "rank": p.reworded_rank}
                for p in lost
            ],
        },
    )


if __name__ == "__main__":
    main()
