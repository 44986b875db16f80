"""Per-sentence evidence: coverage that forgives a word's other forms, BM25 over one sentence, fact sheet rows."""

from __future__ import annotations

from dataclasses import replace

import pytest
from support import make_settings

from libya_qa.analysis import tokenize
from libya_qa.build import build_index
from libya_qa.confidence import OTHER_SUBJECT_PROBABILITY
from libya_qa.encoders import HashingEncoder
from libya_qa.fact_sheets import asked_row, is_fact_sheet, labels_asked, names_the_field, row_asked, sheet_subject
from libya_qa.qa import QA
from libya_qa.ranking import SentenceHit, amended
from libya_qa.schema import Article, Filters, Source
from libya_qa.search import Query
from libya_qa.signals import (
    credited_relations,
    initials_written,
    named_in_full,
    names_any,
    names_by_last_word,
    sentence_bm25,
    soft_coverage,
)


def test_soft_coverage_matches_a_words_other_forms_that_the_stemmer_keeps_apart() -> None:
    weights = {t: 1.0 for t in tokenize("What share of Tunisians are literate?")}
    sentence = frozenset(tokenize("Literacy: total population 86.2% of Tunisians"))
    assert "liter" not in sentence and "literaci" in sentence  # the stems differ ...
    exact = sum(w for t, w in weights.items() if t in sentence) / sum(weights.values())
    assert soft_coverage(weights, sentence) > exact  # ... and their first letters still match
    assert soft_coverage(weights, frozenset(tokenize("Bread prices rose."))) == 0.0
    assert soft_coverage({}, sentence) == 0.0


def test_short_stems_match_only_exactly() -> None:
    weights = {"back": 1.0}
    assert soft_coverage(weights, frozenset({"backer"})) == 0.0  # "back" is shorter than the prefix
    assert soft_coverage(weights, frozenset({"back"})) == 1.0


def test_sentence_bm25_rewards_the_short_sentence_that_holds_the_terms() -> None:
    weights = {t: 1.0 for t in tokenize("Who backed Haftar?")}
    short = tokenize("Haftar has also been backed by Saudi Arabia.")
    long = tokenize(
        "Haftar, who many say was backed by several states in the region over the years of "
        "fighting that followed the revolution, is a general."
    )
    assert 0.0 < sentence_bm25(weights, long) < sentence_bm25(weights, short) <= 1.0
    assert sentence_bm25(weights, []) == 0.0


def test_a_names_last_word_stands_for_the_whole_name_but_not_for_a_place_made_of_it() -> None:
    names = names_by_last_word("Who backed Khalifa Haftar and what did Lake Chad's donors pledge?")
    assert named_in_full(names, "Haftar has also been backed by Saudi Arabia.") == {"khalifa"}
    assert named_in_full(names, "Chad has a porous border.") == frozenset()  # Lake Chad is not Chad
    assert named_in_full(names, "The haftar of the valley.") == frozenset()  # as a name: capitalised
    gulf = names_by_last_word("Which Gulf states supported Haftar?")  # "Gulf" describes; it names no one
    assert [last.pattern for last, _ in gulf] == [r"\bHaftar\b"]


def test_a_backing_verb_said_otherwise_counts_only_where_the_sentence_names_whom_the_question_asks_about() -> None:
    names = names_by_last_word("Who backed the Libya Dawn government?")
    asked = frozenset(tokenize("Who backed the Libya Dawn government?"))
    dawn = "Libya Dawn has been supported financially by Qatar."
    assert credited_relations(asked, frozenset(tokenize(dawn)), names, dawn) == {"back"}
    haftar = "Haftar has been supported by Egypt."  # the same verb, about someone else
    assert credited_relations(asked, frozenset(tokenize(haftar)), names, haftar) == frozenset()
    assert (
        credited_relations(frozenset(tokenize("Who led Libya Dawn?")), frozenset(tokenize(dawn)), names, dawn)
        == frozenset()
    )  # only backing verbs are one relation
    paid = frozenset(tokenize("Which country paid for Libya Dawn?"))  # paying for is funding (dev q192)
    assert credited_relations(paid, frozenset(tokenize(dawn)), names, dawn) == {"paid"}


def fact_sheet(country: str, population: str) -> str:
    """A country profile as reference text writes it: mostly labelled rows (fact_sheets.is_fact_sheet)."""
    rows = [
        f"Population distribution: most of the population of {country} lives in the south, along the river.",
        f"Population: total: {population} (2025 est.); male: 13,542,629; female: 13,779,926",
        "Net migration rate: -0.5 migrant(s)/1,000 population (2025 est.)",
        "Coal: production: 427,000 metric tons (2023 est.); consumption: 426,000 metric tons (2023 est.)",
        *(f"Indicator {n}: {n * 7} units (2024 est.)" for n in range(1, 21)),
    ]
    return "\n\n".join(rows)


def test_a_fact_sheet_row_named_by_the_question_is_quoted_first_and_only_for_the_sheets_subject(tmp_path) -> None:
    settings = make_settings(tmp_path, model="hashing-test-encoder", answer_threshold=0.0)
    news = "Niger's population growth worries aid agencies. The population of the Sahel is young, they say."
    build_index(
        settings,
        HashingEncoder(),
        [
            Article(Source("niger", "Niger"), fact_sheet("Niger", "27,322,555")),
            Article(Source("news", "Sahel news"), news),
        ],
    )
    qa = QA(settings, HashingEncoder())
    answer = qa.ask("What is the population of Niger?")
    assert answer.excerpts[0].source.id == "niger"
    assert [s.text for s in answer.short_answer] == ["27,322,555"]  # the row's first figure: the total, not male
    mali = qa.ask("What is the population of Mali?")
    assert "27,322,555" not in [s.text for s in mali.short_answer]

    def of_another_subject(question: str, filters: Filters | None = None, history: tuple[str, ...] = ()) -> set[float]:
        evidence = qa.loaded.searcher.search(qa.query_for(question, list(history), filters))
        return {h.other_subject for h in evidence.hits if evidence.view.articles[h.article].id == "niger"}

    assert of_another_subject("What is the population of Mali?") == {1.0}  # Niger's sheet says nothing of Mali
    assert of_another_subject("What is the population of the Nigeriens?") == {0.0}  # ... and speaks of its people
    assert of_another_subject("What is the population?") == {1.0}  # naming nothing, it asks of no country
    assert of_another_subject("What is the population?", Filters(sources=("niger",))) == {0.0}  # the user chose one
    assert of_another_subject("What is the population?", history=("Where is Niger?",)) == {0.0}  # or named it earlier
    assert all(e.confidence <= OTHER_SUBJECT_PROBABILITY for e in mali.excerpts if e.source.id == "niger")
    rows = {
        q: [h for h in qa.loaded.searcher.search(Query(q)).hits if h.field]
        for q in ("What is Niger's coal production?", "What are Niger's proven coal reserves?")
    }
    assert len(rows["What is Niger's coal production?"]) == 1  # the row must hold every word the question asks
    assert rows["What are Niger's proven coal reserves?"] == []
    assert is_fact_sheet(fact_sheet("Niger", "1")) and not is_fact_sheet(news)
    assert names_the_field("Population: total: 27,322,555", frozenset(tokenize("What is the population of Niger?")))
    assert not names_the_field("Population distribution: south", frozenset(tokenize("What is the population?")))


def test_a_row_asked_for_in_other_words_is_read_and_a_border_row_answers_for_the_sheets_own_country(tmp_path) -> None:
    """ "How many people live in ...?" asks "Population:"; "How long is Niger's border with Libya?" is read off
    Niger's "Land boundaries:" row at Libya's figure, not off Chad's row, which names both but is Chad's."""
    asked = frozenset(tokenize("How many people live in Niger?"))
    assert row_asked("Population: total: 27,322,555", asked) == frozenset({"popul", "niger"})
    assert row_asked("Population distribution: south", asked) is None
    # the Factbook's rows in the words people use: weather, the highest point, the capital, unemployment
    for question, row in (
        ("What is Chad's weather like?", "Climate: tropical in south, desert in north"),
        ("What is Chad's highest point?", "Elevation: highest point: Emi Koussi 3,415 m"),
        ("What is the capital of Chad?", "Major urban areas - population: 1.6 million N'DJAMENA (capital)"),
        ("How high is unemployment in Chad?", "Unemployment rate: 1.1% (2023 est.)"),
    ):
        assert names_the_field(row, frozenset(tokenize(question))), question
    assert not names_the_field("Climate: tropical", frozenset(tokenize("What is Chad's highest point?")))
    weather = "What is the weather like in Chad?"  # "like" says how it asks: the row need not write it
    assert asked_row("Climate: tropical in south", "Chad", frozenset(tokenize(weather)), names_by_last_word(weather))
    assert not asked_row(
        "Climate: tropical in south",
        "Chad",
        frozenset(tokenize("What is the weather in Chad in June?")),
        names_by_last_word(weather),
    )
    assert row_asked(
        "Area: total: 1.267 million sq km", frozenset(tokenize("How large are Niger's gas reserves?"))
    ) == frozenset(tokenize("Niger's area gas reserves"))  # the row must still hold "gas reserves" (asked_row)
    settings = make_settings(tmp_path, model="hashing-test-encoder", answer_threshold=0.0)
    niger = (
        fact_sheet("Niger", "27,322,555") + "\n\nLand boundaries: total: 5,834 km; border countries: "
        "Algeria 951 km; Chad 1,196 km; Libya 342 km; Mali 838 km\n\nClimate: desert; a long dry season\n\n"
        "Ethnic groups: Hausa 53.1%, Zarma/Songhai 21.2%, Tuareg 11%, Fulani (Peuhl) 6.5%, Kanuri 5.9%"
    )
    chad = (
        fact_sheet("Chad", "19,093,595") + "\n\nLand boundaries: total: 6,406 km; border countries: "
        "Libya 1,050 km; Niger 1,196 km; Sudan 1,403 km"
    )
    build_index(
        settings, HashingEncoder(), [Article(Source("niger", "Niger"), niger), Article(Source("chad", "Chad"), chad)]
    )
    qa = QA(settings, HashingEncoder())
    border = qa.ask("How long is Niger's border with Libya?")
    assert border.excerpts[0].source.id == "niger"
    assert [s.text for s in border.short_answer] == ["342 km"]
    largest = qa.ask("Which is Niger's largest ethnic group?")  # "largest" need not be in the row; its first item
    first = largest.excerpts[0]
    assert first.quote.endswith("Kanuri 5.9%") and [first.quote[a:b] for a, b in first.highlights] == ["Hausa"]
    people = qa.ask("How many people live in Chad?")
    assert "Population: total: 19,093,595" in people.excerpts[0].quote
    assert [s.text for s in people.short_answer][:1] == ["19,093,595"], people.short_answer


def test_the_named_sheets_asked_row_is_a_candidate_though_every_sheet_writes_its_label(tmp_path) -> None:
    """Four sheets write "Religions:" and none writes its country's name in its rows: "What religions are practised
    in Niger?" still reads Niger's row, and "What is the capital of Niger?" its "Major urban areas" row (the
    Factbook writes no "Capital:" there), though the retrievers keep only two passages each."""
    settings = make_settings(tmp_path, model="hashing-test-encoder", answer_threshold=0.0, candidates=2)
    sheets = [
        Article(
            Source(country.lower(), country),
            fact_sheet(country, "1,000") + f"\n\nReligions: {faith} 90%"
            f"\n\nMajor urban areas - population: 1 million {city} (capital) (2023)",
        )
        for country, faith, city in (
            ("Chad", "Muslim", "N'DJAMENA"),
            ("Mali", "Muslim", "BAMAKO"),
            ("Tunisia", "Sunni", "TUNIS"),
            ("Niger", "Christian", "NIAMEY"),
        )
    ]
    build_index(settings, HashingEncoder(), sheets)
    qa = QA(settings, HashingEncoder())
    assert labels_asked(frozenset(tokenize("What is the capital of Niger?"))) == ["area", "major", "popul", "urban"]
    for question, row in (
        ("What religions are practised in Niger?", "Religions: Christian 90%"),
        ("What is the capital of Niger?", "NIAMEY (capital)"),
    ):
        first = qa.ask(question).excerpts[0]
        assert first.source.id == "niger" and row in first.quote[first.highlight[0] : first.highlight[1]], question
    unnamed = qa.loaded.searcher.search(qa.query_for("What religions are practised?", []))
    assert len({unnamed.view.articles[h.article].id for h in unnamed.hits}) <= 2  # no sheet named, none added


def test_a_name_the_corpus_writes_by_its_initials_is_found_and_credited_by_them(tmp_path) -> None:
    settings = make_settings(tmp_path, model="hashing-test-encoder", answer_threshold=0.0)
    boat = "The boat was attacked on Friday, IOM spokesman Joel Millman said. Dozens were hurt."
    other = "International migration rose again this year, the report said, and the attack drew comment."
    build_index(
        settings, HashingEncoder(), [Article(Source("boat", "Boat"), boat), Article(Source("other", "Other"), other)]
    )
    qa = QA(settings, HashingEncoder())
    question = "Which International Organization for Migration spokesman gave the figures on the attack?"
    assert initials_written(question, qa.loaded.snapshot.known_terms) == [
        ("IOM", frozenset(tokenize("International Organization for Migration")))
    ]
    assert qa.ask(question).excerpts[0].source.id == "boat"
    assert initials_written("Who leads the Libyan National Army?", qa.loaded.snapshot.known_terms) == []  # no "LNA"


def test_a_name_is_written_in_any_case_or_as_its_people() -> None:
    assert names_any(names_by_last_word("What share of Tunisians are literate?"), "Tunisia (The World Factbook)")
    assert names_any(names_by_last_word("How many people live in Tunis?"), "2.475 million TUNIS (capital)")
    assert not names_any(names_by_last_word("What is the population of Egypt?"), "Libya (The World Factbook)")
    assert not names_any(names_by_last_word("Who won the 2017 French election?"), "Niger: In 2021, BAZOUM won")


def test_a_row_asked_for_in_other_words_is_the_sheet_s_row() -> None:
    """ "Can read" and "literate" ask the "Literacy:" row (dev q176)."""
    row = "Literacy: total population: 35.6% (2022 est.)"
    for question in ("What share of Niger's people can read?", "What share of Niger's population is literate?"):
        assert asked_row(row, "Niger", frozenset(tokenize(question)), names_by_last_word(question)), question
    mali = "What share of Mali's people can read?"
    assert not asked_row(row, "Niger", frozenset(tokenize(mali)), names_by_last_word(mali))  # another country's row


def test_an_amended_hit_is_a_new_hit_and_an_unknown_field_is_refused() -> None:
    hit = SentenceHit(sentence=1, position=0, article=0, cosine=0.5, coverage=0.25, fusion=0.1)
    changed = amended(hit, score=2.0, confidence=1.5)
    assert (changed.score, changed.confidence, changed.cosine) == (2.0, 1.5, 0.5) and hit.score == 0.0
    assert changed == replace(hit, score=2.0, confidence=1.5)
    with pytest.raises(TypeError, match="scor"):
        amended(hit, scor=1.0)


def test_a_sheet_is_asked_by_its_peoples_name_but_not_by_a_longer_country_name() -> None:
    body = fact_sheet("Niger", "27,322,555") + "\n\nNationality: noun: Nigerien(s); adjective: Nigerien"
    subject = sheet_subject("Niger", body)
    assert subject == "Niger Nigerien Nigeriens" and sheet_subject("Chad", fact_sheet("Chad", "1")) == "Chad"
    row = "Population: total: 27,322,555 (2025 est.)"
    for question, asked in (
        ("What is the population of the Nigeriens?", True),
        ("What share of Nigeriens are literate?", False),  # no "Literacy:" row here
        ("What is the population of Nigeria?", False),
    ):
        terms = frozenset(tokenize(question))
        assert asked_row(row, subject, terms, names_by_last_word(question)) is asked, question
    assert not asked_row(
        row,
        "Niger",
        frozenset(tokenize("What is the population of the Nigeriens?")),
        names_by_last_word("What is the population of the Nigeriens?"),
    )  # the title alone
