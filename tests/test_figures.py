"""The kind of figure a question asks for: a share, a duration, a sum of money, a count of things."""

import pytest

from libya_qa.analysis import tokenize
from libya_qa.entities import new_spans
from libya_qa.figures import asked_figure, counted_noun, counts_other, gives_figure
from libya_qa.signals import typed_answer


@pytest.mark.parametrize(
    "question, quote",
    [
        # a share is answered by a percentage or a fraction
        ("What share of Tunisians are literate?", "Literacy: total population: 86.2% (2023 est.)"),
        ("What proportion of its ranks is foreign?", "Zelin estimates that a fifth of its fighters are foreign."),
        ("How many Tunisians speak French?", "French is spoken by about two thirds of the population."),
        # a duration by a span of time, an ordinal anniversary or "since"; a length by its unit
        ("How long was Merkel's tour?", "It was the last stop of a two-day trip."),
        ("How long could the supply last?", "It can last America nearly 100 years."),
        ("How long have they had relations?", "The two countries marked the 45th anniversary of relations."),
        ("How long has the PKK fought?", "It has fought Turkey since 1984."),
        ("How long is Tunisia's coastline?", "Coastline: 1,148 km"),
        ("How long is the book about Doaa?", "Her story is told in 282 pages."),
        ("For how much longer will Egypt hold him?", "He will be held for another 45 days."),
        ("How long was he jailed?", "He was jailed for two years after the trial."),  # what it lasted, then when
        # a sum of money by a currency or a magnitude
        ("How much compensation did Paris pay?", "France paid 949.7 million euros in compensation."),
        ("How much money does duplication waste?", "Duplication wastes about $26bn a year."),
        ("How much would the strategy save?", "It will save nearly half a trillion dollars."),
        # a count by any figure that is not a measure of something else
        ("How many militants were arrested?", "Five tons of explosives were found and 12 militants arrested."),
        ("How many barrels a day does it produce?", "Crude oil production: 35,000 bbl/day"),
        ("How many years did he rule?", "He ruled for 30 years."),
        ("How many people were wounded in the attack?", "The boat was hit at night. At least 39 people were wounded."),
        ("How many Egyptians died in the uprising?", "He was acquitted over the deaths of nearly 900 Egyptians."),
        ("What was the unemployment rate in 2024?", "Unemployment rate: 16.3% (2024 est.) 15.2% (2023 est.)"),
        ("How many died in the 1983-1985 famine?", "In 1984, at its height, the famine killed 400,000 people."),
        ("How many people has the insurgency killed?", "The insurgency, which has killed 20,000 people has spread."),
        ("How much oil does Libya produce?", "It produces 1.2 million barrels a day."),
        ("How much oil does Niger produce?", "Crude oil production: 13,000 bbl/day (2023 est.)"),  # a rate, not a span
    ],
)
def test_a_figure_of_the_asked_kind_answers(question: str, quote: str) -> None:
    assert gives_figure(quote, question)


@pytest.mark.parametrize(
    "question, quote",
    [
        ("What percentage of voters approved the constitution?", "Tunisia's 217-member parliament was dissolved."),
        ("How long a prison sentence did he receive?", "He killed the ambassador and three other Americans."),
        # a figure of another time: its sentence names other years and none the question names (dev u262)
        (
            "How many died in the 1983-1985 famine?",
            "There was the 1983-1985 famine. The last, in Somalia in 2011, killed an estimated 260,000 people.",
        ),
        # a time reckoned from another is when, not how long (dev u140: "a month after the attack")
        ("How long a prison sentence did he receive?", "He mocked the U.S. a month after the attack."),
        ("How long was he jailed?", "Two years later he was freed."),
        (
            "How much compensation did TUI pay the families?",
            "It is understood that families of 22 of the victims sued.",
        ),
        ("How many militants were arrested in the raid?", "Five tons of explosives were found."),
        ("How many U212A submarines are they buying?", "They are buying submarines known as U212A."),
        (
            "How many intelligence officers did NATO send?",
            "It gave a Swiss and a British group $1.5 million to stop SAMs.",
        ),
        (
            "How many submarines are Norway and Germany buying?",
            "NATO will deploy several thousand troops.",
        ),  # counts troops
        # a count of the dead or the hurt is a figure the quote says died or was hurt, not one beside them
        (
            "How many of the civilians fleeing al-Mamoun were wounded?",
            "A correspondent saw more than 100 civilians fleeing towards Iraqi forces. Shelling wounded a cameraman.",
        ),
        (
            "How many people were killed?",
            "Shelling killed the mayor. 100 people fled the town.",
        ),  # another sentence's fate
        ("How many jihadist fighters did it kill?", "The strike killed three Turkish soldiers."),  # counts others
        # a span of time counts no people, and neither it nor how often weighs an amount of a thing
        ("How many people were detained?", "He was detained for 45 days."),
        (
            "How much weight has he lost?",
            "His detention was renewed for the fifth time, five times in all, for 45 days.",
        ),
    ],
)
def test_a_figure_of_another_kind_does_not(question: str, quote: str) -> None:
    assert not gives_figure(quote, question)


def test_an_age_is_answered_bare() -> None:
    # "How old ...?" keeps the lenient rule: an age is written "Mubarak, 88" or "aged 69" as often as "88 years"
    assert gives_figure("Mubarak, 88, was acquitted in March.", "How old is Hosni Mubarak?")
    assert not gives_figure("Mubarak was acquitted.", "How old is Hosni Mubarak?")


@pytest.mark.parametrize(
    "question, noun",
    [
        ("How many Turkish soldiers did the strike kill?", "soldiers"),
        ("How many arms storage sites had Qaddafi stocked?", "sites"),
        ("How many of the civilians fleeing al-Mamoun were wounded?", "civilians"),
        ("How many countries belong to the US-led coalition?", "countries"),
        ("How many IS fighters did the strike kill?", "fighters"),  # "IS" names them; it is not "is"
        ("How many US troops are in Niger?", "troops"),
        ("How many Russian servicemen have been killed in Syria?", "servicemen"),
        ("And how many were wounded?", ""),  # no noun: any figure may count it
        ("What is the population of Niger?", ""),
    ],
)
def test_the_counted_noun_is_the_plural_after_how_many(question: str, noun: str) -> None:
    assert counted_noun(question) == noun


def test_a_number_counting_another_plural_is_not_the_count_asked_for() -> None:
    sentence = "The U.S.-led coalition has conducted more than 19,000 airstrikes with more than 50 countries."
    spans = new_spans(sentence, "number", "How many countries belong to the coalition?")
    assert [counts_other(sentence, s, "countries") for s in spans] == [True, False]
    # people are counted by what they are: "255,000 refugees" may answer "How many people ...?"
    refugees = "Yemen hosts more than 255,000 refugees."
    assert not any(counts_other(refugees, s, "people") for s in new_spans(refugees, "number", "How many people?"))


def test_typed_evidence_is_not_near_when_the_number_counts_something_else() -> None:
    question = "How many countries belong to the US-led coalition?"
    terms = frozenset(tokenize(question))
    assert typed_answer(
        "The US-led coalition has conducted more than 19,000 airstrikes.", "number", question, terms
    ) == (1.0, 0.0)
    assert typed_answer("The US-led coalition of more than 50 countries bombs IS.", "number", question, terms) == (
        1.0,
        1.0,
    )


def test_typed_evidence_holds_only_figures_of_the_asked_kind() -> None:
    """A how-long question is not answered by a count, nor a share by a sum: such a sentence holds no typed answer."""
    question = "How long will Egypt hold Hussein after the renewal?"
    terms = frozenset(tokenize(question))
    assert typed_answer("Egypt renewed the detention of Hussein for another 45 days.", "number", question, terms) == (
        1.0,
        1.0,
    )
    assert typed_answer("Egypt has renewed the detention of Hussein five times.", "number", question, terms) == (
        0.0,
        0.0,
    )
    share = "What share of the world's oil reserves does the United States have?"
    assert (
        typed_answer(
            "The United States holds 2% of the world's reserves.", "number", share, frozenset(tokenize(share))
        )[0]
        == 1.0
    )
    assert (
        typed_answer(
            "The United States holds 39 billion barrels of reserves.", "number", share, frozenset(tokenize(share))
        )[0]
        == 0.0
    )
    # a follow-up's figure kind is its own: the earlier "How long ...?" appended to it asks for no duration
    known = "And how many were wounded? How long did the siege last?"
    assert (
        typed_answer(
            "Eleven soldiers were wounded.",
            "number",
            known,
            frozenset(tokenize(known)),
            asked_figure("And how many were wounded?"),
        )[0]
        == 1.0
    )


@pytest.mark.parametrize(
    "question, kind",
    [
        ("And how many were wounded?", "count"),
        ("But how much money did it cost?", "money"),
        ("And what share of them are Berbers?", "share"),
        ("In its 2017 report, how many people did the UN count?", "count"),
    ],
)
def test_a_follow_ups_and_or_a_leading_phrase_does_not_hide_the_figure_asked(question: str, kind: str) -> None:
    # the figure kind is read from the question word on: "And how many ...?" counts, as "How many ...?" does
    assert asked_figure(question) == kind


def test_a_toll_counts_only_in_the_paragraph_of_the_event_asked_about() -> None:
    # dev u174: the helicopter's paragraph gives no toll; the In Amenas siege's paragraph before it does
    question = "How many crew died when Sinai militants shot down an Egyptian military helicopter?"
    siege = "More than 800 people were taken hostage at the gas plant, and at least 39 killed."
    helicopter = "In January, Sinai-based militants shot down an Egyptian military helicopter with a missile."
    assert not gives_figure(f"{siege}\n\n{helicopter}", question)
    assert gives_figure(f"{siege}\n\n{helicopter} Two crew died.", question)
    assert gives_figure(f"{helicopter} At least 39 died.", question)  # one paragraph: its figures count
