"""Which articles pass a question's filters: sources, publishers, authors, and partial dates by precision."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from .errors import BadQuestion
from .schema import UNKNOWN, Filters, Source

DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@lru_cache(maxsize=65_536)  # a selection reads every article's date; corpora repeat dates a lot
def date_parts(value: str) -> tuple[int, ...] | None:
    """(year[, month[, day]]) of a YYYY[-MM[-DD]] date, or None when it is not one."""
    match = DATE.match(value.strip())
    if not match:
        return None
    parts = tuple(int(p) for p in match.groups() if p is not None)
    if len(parts) > 1 and not 1 <= parts[1] <= 12:
        return None
    if len(parts) > 2 and not 1 <= parts[2] <= calendar.monthrange(parts[0], parts[1])[1]:  # no 30 February
        return None
    return parts if parts[0] >= 1 else None


def check_filters(filters: Filters) -> None:
    """Raise a BadQuestion naming the field when a date is malformed or the range is reversed."""
    bounds = {}
    for name in ("date_from", "date_to"):
        value = getattr(filters, name)
        if value and date_parts(value) is None:
            raise BadQuestion(
                "bad_date", f"filters.{name} must be a real date, YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}"
            )
        bounds[name] = date_parts(value) if value else None
    low, high = bounds["date_from"], bounds["date_to"]
    if low and high and _compare(low, high) > 0:
        raise BadQuestion(
            "bad_date_range", f"filters.date_from ({filters.date_from}) is after filters.date_to ({filters.date_to})"
        )


def check_sources(filters: Filters, exists: Callable[[str], bool]) -> None:
    """Raise a BadQuestion naming the source ids the index does not hold (a typo must not filter everything out)."""
    unknown = [s for s in filters.sources if not exists(s)]
    if unknown:
        raise BadQuestion(
            "unknown_source",
            f"filters.sources names {len(unknown)} id(s) the index does not hold: "
            f"{', '.join(repr(s) for s in unknown[:5])}; GET /sources lists them",
        )


def check_names(filters: Filters, sources: Iterable[Source]) -> None:
    """Raise a BadQuestion naming the publishers and authors no article has (a typo must not filter all out)."""
    if not (filters.publishers or filters.authors):
        return
    publishers, authors = set(), set()
    for source in sources:
        publishers.add(source.publisher.strip().casefold())
        authors.update(name.strip().casefold() for name in _authors(source.author))
    for field, wanted, known in (("publishers", filters.publishers, publishers), ("authors", filters.authors, authors)):
        unknown = [w for w in wanted if w.strip().casefold() not in known]
        if unknown:
            raise BadQuestion(
                f"unknown_{field[:-1]}",
                f"filters.{field} names {len(unknown)} that no article has: "
                f"{', '.join(repr(w) for w in unknown[:5])}; GET /sources lists them",
            )


def _compare(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    """-1, 0 or 1, comparing two partial dates at the coarser precision ("2015-11" equals "2015")."""
    n = min(len(a), len(b))
    return (a[:n] > b[:n]) - (a[:n] < b[:n])


def _one_of(value: str, wanted: Iterable[str]) -> bool:
    """True when the value equals one wanted value, ignoring case and surrounding space."""
    folded = value.strip().casefold()
    return any(folded == w.strip().casefold() for w in wanted)


def passes(source: Source, filters: Filters) -> bool | None:
    """True when the article passes, False when not; None when only its unknown date keeps it out."""
    if filters.sources and source.id not in filters.sources:
        return False
    if filters.publishers and not _one_of(source.publisher, filters.publishers):
        return False
    if filters.authors and not any(_one_of(name, filters.authors) for name in _authors(source.author)):
        return False
    if not (filters.date_from or filters.date_to):
        return True
    date = date_parts(source.date) if source.date != UNKNOWN else None
    if date is None:
        return None
    low = date_parts(filters.date_from) if filters.date_from else None
    high = date_parts(filters.date_to) if filters.date_to else None
    return (low is None or _compare(date, low) >= 0) and (high is None or _compare(date, high) <= 0)


def _authors(field: str) -> list[str]:
    """The names in an author field ("A and B", "A, B"), and the whole field itself."""
    return [field, *re.split(r",\s*|\s+and\s+|\s*&\s*|;\s*", field)]
