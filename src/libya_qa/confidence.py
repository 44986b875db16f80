"""How likely the first excerpt answers the question: a calibrated probability, and the not_found verdict.

A logistic model over the best sentence's evidence and the question's signals of absence, fitted on
the dev half of the evaluation set (bench/fit_ranking.py) and recalibrated there as the rules around it
changed (bench/calibrate.py); the README's reliability table is measured on the test half. A question about
a period after every source was published is not_found outright, and so is one with a word no article holds
that no candidate sentence comes close to in meaning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .absence import Absence
from .described import says_who
from .ranking import FITTED, SentenceHit

# Platt scaling of the model's log-odds (scale, shift), fitted on dev after the model (bench/calibrate.py): the
# model was fitted, regularised, on an earlier dev half, and the rules read since then left it stating 0.52 where
# dev saw 0.67 and 0.85 where it saw 0.96. Identity when the model itself is refitted.
CALIBRATION: dict[str, float] = {"scale": 1.0, "shift": 0.0, **FITTED.get("calibration", {})}


def on_calibrated_scale(p: float) -> float:
    """A probability as the model stated it before calibration, restated after (bars chosen on the old scale)."""
    p = min(max(p, 1e-9), 1.0 - 1e-9)  # a bar of 0 or 1 stays at the end it names
    log_odds = math.log(p / (1.0 - p))
    return 1.0 / (1.0 + math.exp(-(CALIBRATION["scale"] * log_odds + CALIBRATION["shift"])))


def before_calibration(p: float) -> float:
    """on_calibrated_scale's inverse: a probability as the model stated it before calibration, for the rules whose
    margins were chosen on that scale (answer_order.CLOSE_PROBABILITY)."""
    p = min(max(p, 1e-9), 1.0 - 1e-9)
    log_odds = (math.log(p / (1.0 - p)) - CALIBRATION["shift"]) / CALIBRATION["scale"]
    return 1.0 / (1.0 + math.exp(-log_odds))


def _calibrated(model: dict[str, float]) -> dict[str, float]:
    """The model with the calibration folded into its weights (log-odds scaled, then shifted)."""
    scaled = {name: CALIBRATION["scale"] * weight for name, weight in model.items()}
    return {**scaled, "bias": scaled["bias"] + CALIBRATION["shift"]}


# name -> weight of the logistic model ("bias": the intercept), calibrated, and the probability at or above which a
# question is answered (the one maximising answered + abstained rates on dev, restated on the calibrated scale).
MODEL: dict[str, float] = _calibrated(dict(FITTED["confidence"]))
ANSWER_PROBABILITY: float = round(on_calibrated_scale(FITTED["answer_probability"]), 4)
# A how-many or how-much question quoted with no figure of the asked kind (figures.gives_figure: a share, a
# duration, a sum, a count): on dev none of the 19 such first quotes answered, 1/21 with one success and one
# failure added; the probability that such a quote answers is at most this.
NO_FIGURE_PROBABILITY = 0.05
# A which- or who-question quoted with its own description and no name for it (slots.unnamed_mention): on dev
# none of the 7 such first quotes answered, (0 + 1) / (7 + 2).
UNNAMED_PROBABILITY = 0.11
# A question asking for someone (a person, a group) whose first quote's short answer is only places
# (answer_kinds.py, its names read in their quote): on dev none of the 8 such first quotes answered,
# (0 + 1) / (8 + 2); 0.17 when 4 had been read with each name alone.
PLACES_PROBABILITY = 0.10
# A fact sheet (a country profile) speaks of its subject: its best sentence, when neither it nor the sheet's
# title names anything the search names ("What is the exchange rate of the Egyptian pound?" quoted from
# Libya's "Exchange rates:" row), answers nothing. On dev none of the 16 such first quotes answered: (0 + 1) /
# (16 + 2).
OTHER_SUBJECT_PROBABILITY = 0.06
# A question naming a word no article holds, in any spelling the corpus writes ("Odyssey" of "Operation Odyssey
# Dawn", "Committee" of "the Committee to Protect Journalists"): on dev all 66 such questions are unanswerable,
# and the model, reading the unknown share of the question's name words (1 in 5 or 6 here), still answered two
# at 0.47-0.57 from a sentence on the same topic. The probability is at most (0 + 1) / (66 + 2).
UNKNOWN_NAME_PROBABILITY = 0.015
# A question with a word no article holds ("sky", "spider") whose nearest candidate sentence in meaning is
# further than this is about something the corpus does not cover. Chosen on dev: its off-topic questions with
# such a word sit at best cosines of 0.18-0.29 (11), its 325 answerable ones at 0.39 or more, whatever their
# words; a first cut of 0.40 lost "Which journalist wrote about the intervention for Rolling Stone?" (0.37)
# over the founding corpus. Outright, as a late year is: a threshold set low must not answer it.
FAR_COSINE = 0.30
# The probability such a first quote answers: on dev none of the 11 did (one success, one failure added).
FAR_PROBABILITY = 0.08
# "Who is <a name>?" whose first quote names the person with a title, an apposition or a copula (described.py:
# "federal police captain Amir Abdul Kareem"). The model reads how many of the question's words a passage holds,
# and a name is few words: on dev 5 of 19 such questions fell under the threshold with a right first quote.
# All 17 described first quotes answered: (17 + 1) / (17 + 2); the probability is at least this.
DESCRIBED_PROBABILITY = 0.95
# What the model reads, the question's evidence and its signals of absence (bench/fit_ranking.py fits all).
INPUTS = (
    "top_score",
    "margin",
    "context_coverage",
    "unknown_name_share",
    "unknown_year",
    "typed_fit",
    "article_coverage",
    "best_article_coverage",
    "cosine",
    "sentence_bm25",
    "uncovered",
    "year_outside_quote",
    "names_outside_source",
)


@dataclass(frozen=True)
class Verdict:
    """The probability that the first excerpt answers, whether to answer, and why not."""

    probability: float
    answered: bool
    message: str = ""  # says what not_found means here (empty when answered)


def signals(hits: list[SentenceHit], absence: Absence) -> dict[str, float]:
    """The model's inputs for one question (hits ranked best first, on the question scale), in INPUTS' order."""
    if not hits:
        return {name: 0.0 for name in INPUTS}
    top = hits[0]
    # With no other article among the candidates (a filter to one source, a one-article corpus) there is
    # no margin to read: 0, as a source judged on its own. Read against 0.0, the top score itself had
    # answered "What is the best pizza recipe?" at 0.42 over Orton's article alone.
    rival = next((h.confidence for h in hits if h.article != top.article), top.confidence)
    return {
        "top_score": top.confidence,
        "margin": top.confidence - rival,
        "context_coverage": top.context_coverage,
        "unknown_name_share": absence.unknown_name_share,
        "unknown_year": float(bool(absence.unknown_years)),
        "typed_fit": top.typed_near,
        "article_coverage": top.article_coverage,
        "best_article_coverage": top.best_article_coverage,
        "cosine": top.cosine,
        "sentence_bm25": top.sentence_bm25,
        "uncovered": 1.0 - max(top.context_coverage, top.article_coverage),
        "year_outside_quote": float(bool(absence.years_outside_quote)),
        "names_outside_source": absence.names_outside_source,
    }


def probability(inputs: dict[str, float], model: dict[str, float] = MODEL) -> float:
    """The logistic model's probability for these inputs."""
    z = model["bias"] + sum(weight * inputs[name] for name, weight in model.items() if name != "bias")
    return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))  # never exactly 0 or 1


def excerpt_probability(inside: list[SentenceHit], hits: list[SentenceHit], absence: Absence) -> float:
    """The probability that a quote answers: its best sentence against the best of the other articles."""
    if not inside:
        return 0.0
    best = inside[0]
    rivals = [h for h in hits if h.article != best.article]
    return _capped(probability(signals([best, *rivals], absence)), absence, hits, best)


def far_off(hits: list[SentenceHit], absence: Absence) -> bool:
    """True when the question has a word no article holds and no candidate sentence is close in meaning."""
    return bool(absence.unknown_words) and max((h.cosine for h in hits), default=0.0) < FAR_COSINE


def _capped(p: float, absence: Absence, hits: list[SentenceHit], judged: SentenceHit | None = None) -> float:
    """The probability, capped when the question names what no article holds, the quote judged gives no figure
    it was asked for, names none of what it describes or is a fact sheet about something else (judged: its best
    sentence, else the best hit), or the question is far off."""
    judged = judged or (hits[0] if hits else None)
    p = min(p, UNKNOWN_NAME_PROBABILITY) if absence.unknown_names else p
    p = min(p, OTHER_SUBJECT_PROBABILITY) if judged is not None and judged.other_subject else p
    p = min(p, NO_FIGURE_PROBABILITY) if absence.figure_missing else p
    p = min(p, UNNAMED_PROBABILITY) if absence.unnamed_mention else p
    p = min(p, PLACES_PROBABILITY) if absence.places_for_someone else p
    return min(p, FAR_PROBABILITY) if far_off(hits, absence) else p


def source_probability(hits: list[SentenceHit], absence: Absence) -> float:
    """The probability for one article's sentences on their own (no rival article: margin 0)."""
    if not hits:
        return 0.0
    return _capped(probability({**signals(hits, absence), "margin": 0.0}), absence, hits)


def described_probability(question: str, quote: str) -> float:
    """DESCRIBED_PROBABILITY when the question asks who someone is and the quote says it, else 0."""
    return DESCRIBED_PROBABILITY if says_who(question, quote) else 0.0


def judge(
    hits: list[SentenceHit],
    absence: Absence,
    threshold: float = ANSWER_PROBABILITY,
    model: dict[str, float] = MODEL,
    floor: float = 0.0,
) -> Verdict:
    """Answer or not_found, with the probability that the first excerpt answers (model: the fitting script's;
    floor: what its quote alone shows, described_probability)."""
    p = _capped(probability(signals(hits, absence), model), absence, hits) if hits else 0.0
    p = max(p, floor) if hits else p
    if absence.late_years:
        years = ", ".join(str(y) for y in absence.late_years)
        covered = absence.span.describe()
        return Verdict(
            p,
            False,
            f"Not found: the corpus's sources were published {covered}; none of them covers "
            f"{years}. Any excerpts are the nearest passages, not an answer.",
        )
    if absence.unsupported_years or absence.unsupported_designations:  # too specific for nearby text to satisfy
        unsupported = ", ".join([*map(str, absence.unsupported_years), *absence.unsupported_designations])
        return Verdict(
            p,
            False,
            f"Not found: the best-matching source, {absence.best_source}, never mentions "
            f"{unsupported}. Any excerpts are the nearest passages, not an answer.",
        )
    if far_off(hits, absence):
        quoted = [f"“{w}”" for w in absence.unknown_words]
        words = " or ".join([", ".join(quoted[:-1]), quoted[-1]] if len(quoted) > 1 else quoted)
        return Verdict(
            p,
            False,
            f"Not found: no article in the corpus mentions {words}, and no passage comes close "
            "to the question's meaning. Any excerpts are the nearest passages, not an answer.",
        )
    if p >= threshold:
        return Verdict(p, True)
    if absence.unknown_names:
        names = ", ".join(absence.unknown_names)
        return Verdict(
            p,
            False,
            f"Not found: no article in the corpus mentions {names}. Any excerpts are the "
            "nearest passages, not an answer.",
        )
    if hits and hits[0].other_subject:
        return Verdict(
            p,
            False,
            "Not found: the best-matching passage is from a fact sheet about something the "
            "question does not name. Any excerpts are the nearest passages, not an answer.",
        )
    if absence.figure_missing:
        return Verdict(
            p,
            False,
            "Not found: the best-matching passage gives no figure of the kind this question asks "
            "for. Any excerpts are the nearest passages, not an answer.",
        )
    if absence.unnamed_mention:
        mention = absence.unnamed_mention
        return Verdict(
            p,
            False,
            f"Not found: the best-matching passage mentions “{mention}” without naming who or "
            "what that is. Any excerpts are the nearest passages, not an answer.",
        )
    if absence.places_for_someone:
        places = " · ".join(absence.places_for_someone)
        return Verdict(
            p,
            False,
            f"Not found: the question asks who, and the best-matching passage names only places, "
            f"peoples or languages ({places}). Any excerpts are the nearest passages, not an answer.",
        )
    return Verdict(p, False)
