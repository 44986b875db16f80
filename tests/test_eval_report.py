"""The evaluation report lists the dev split's misses and only counts the held-out split's."""

from libya_qa.evaluation import Case, Report, Result, format_report


def result(case_id: str, kind: str, split: str, rank: int | None, status: str) -> Result:
    """One scored case with the fields the report reads."""
    case = Case(case_id, kind, f"question {case_id} of {split}?", ("a",), ("x",), (), split)
    return Result(case, rank, rank, status, 0.5, 1, 1, 10.0)


REPORT = Report(
    [
        result("q1", "answerable", "dev", 2, "answered"),
        result("q2", "answerable", "test", None, "not_found"),
        result("u1", "unanswerable", "test", None, "answered"),
        result("q3", "answerable", "test", 1, "answered"),
    ]
)


def test_the_held_out_misses_are_counted_not_listed() -> None:
    text = format_report(REPORT)
    assert "question q1 of dev?" in text
    assert "of test?" not in text
    assert "test: 2 questions not first or answered when they should abstain, not listed" in text


def test_asked_for_the_held_out_misses_are_listed() -> None:
    text = format_report(REPORT, list_held_out=True)
    assert "question q2 of test?" in text and "question u1 of test?" in text
    assert "not listed" not in text
