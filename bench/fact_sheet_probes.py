"""Factbook rows asked as people ask for them, over the evaluation corpus's two dev sheets (Tunisia, Niger).

Each probe names the row that answers it. A probe holds when the first excerpt's main highlight lies inside
that row; it is answered when, besides, the status is "answered". Written from the labels every country's
sheet carries, not from the evaluation questions; the test sheets (Libya, Chad) are not probed.

Run: nice -n 10 .venv/bin/python bench/fact_sheet_probes.py   (builds bench/data/eval/ the first time)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fit_ranking import eval_qa  # noqa: E402

from libya_qa.schema import Answer  # noqa: E402

PROBES = (
    ("What is the capital of Niger?", "Major urban areas"),
    ("What is the capital of Tunisia?", "Major urban areas"),
    ("What is the largest city in Tunisia?", "Major urban areas"),
    ("How long do people live in Tunisia?", "Life expectancy"),
    ("What is the life expectancy in Niger?", "Life expectancy"),
    ("What is inflation in Niger?", "Inflation rate"),
    ("What resources does Niger have?", "Natural resources"),
    ("What is Tunisia's GDP per capita?", "Real GDP per capita"),
    ("What is the weather like in Tunisia?", "Climate"),
    ("How high is unemployment in Tunisia?", "Unemployment rate"),
    ("What is the ethnic makeup of Tunisia?", "Ethnic groups"),
    ("What religions are practised in Niger?", "Religions"),
    ("What is the highest point in Niger?", "Elevation"),
    ("What crops does Tunisia grow?", "Agricultural products"),
    ("How many people live in Niger?", "Population:"),
    ("What languages are spoken in Tunisia?", "Languages"),
    ("How big is Niger?", "Area:"),
    ("What does Tunisia export?", "Exports - commodities"),
    ("Who are Tunisia's main trading partners for exports?", "Exports - partners"),
    ("What is the birth rate in Niger?", "Birth rate"),
    ("How fast is Niger's population growing?", "Population growth rate"),
    ("What is the median age in Tunisia?", "Median age"),
    ("What currency does Tunisia use?", "Exchange rates"),
    ("How long is Tunisia's coastline?", "Coastline"),
    ("What share of Tunisians live below the poverty line?", "Population below poverty line"),
    ("How many children does a woman in Niger have on average?", "Total fertility rate"),
    ("What is the infant mortality rate in Niger?", "Infant mortality"),
    ("How fast is Tunisia's economy growing?", "Real GDP growth rate"),
    ("What industries does Tunisia have?", "Industries"),
    ("What natural hazards does Tunisia face?", "Natural hazards"),
    ("How much public debt does Tunisia have?", "Public debt"),
    ("Which countries border Niger?", "Land boundaries"),
)


def holds_row(answer: Answer, row: str) -> bool:
    """True when the first excerpt's main highlight lies inside the quote's line that opens with the row's label."""
    if not answer.excerpts:
        return False
    first = answer.excerpts[0]
    at = first.quote.find(row)
    line_end = first.quote.find("\n", at)
    line_end = len(first.quote) if line_end < 0 else line_end
    return at >= 0 and at <= first.highlight[0] and first.highlight[1] <= line_end


def main() -> int:
    """Ask every probe and print each verdict, then the counts."""
    qa = eval_qa()
    held = answered = 0
    for question, row in PROBES:
        answer = qa.ask(question, 5)
        holds = holds_row(answer, row)
        held += holds
        answered += holds and answer.status == "answered"
        print(f"{'holds' if holds else 'misses':6} {answer.status:9} {answer.confidence:.2f}  {question}")
    print(f"{held} of {len(PROBES)} first excerpts highlight the asked row; {answered} of them answered")
    return 0


if __name__ == "__main__":
    sys.exit(main())
