"""Follow-ups lean on history; questions that stand alone are left alone."""

from __future__ import annotations

import pytest

from libya_qa.followup import Turn, is_followup, resolve, resolved, search_query


@pytest.mark.parametrize(
    "question",
    [
        "And who backed Libya Dawn?",
        "What about Qatar?",
        "Who led it?",
        "What happened to its leader?",
        "Why?",
        "How many fighters does it have?",
        "When had Islamic State taken it?",
        "Who did Putin say this to?",
        "How did the transitional council respond?",
        "What happened next?",
        "What did Haftar tell their citizens to do?",
        "How do Pack and Brody-Barre describe the army he leads?",
        "How many other refugees were on board?",
        "Which other dictator had done the same?",
        "Who said that for the UN, and when?",
    ],
)
def test_followups_are_recognised(question: str) -> None:
    assert is_followup(question)


@pytest.mark.parametrize(
    "question",
    [
        "Who backed Haftar?",
        "Why did Libya's transitional council refuse troops?",
        "How many men does the Petroleum Facilities Guard have?",
        "What is Niger's capital and how many people live there?",
        "What is the hot wind that blows across Libya in spring called?",
        "How did Egypt respond to the murder of the Copts?",
        "What did Haftar do?",
        "What did Qatar and Turkey give their allies?",
        "How many fighters does ISIS have in their ranks?",
        "Which other countries did Haftar's backers arm?",
        "Who said that Libya was a failed state?",
        # names nothing, and "their" has its plural inside (dev q620, asked after another question)
        "Why did opposition politicians object to the law letting authorities keep convicted terrorists locked up "
        "after their sentences?",
        "Where were the refugees going when they were attacked?",
    ],
)
def test_standalone_questions_are_not(question: str) -> None:
    assert not is_followup(question)


def test_a_bare_continuation_borrows_the_earlier_predicate_and_standalone_questions_stay_alone() -> None:
    history = ["Who backed Haftar?"]
    assert search_query("What about Qatar?", history) == "What about Qatar? Who backed Qatar?"
    assert search_query("When did Gaddafi die?", history) == "When did Gaddafi die?"
    assert search_query("What about Qatar?", []) == "What about Qatar?"


def test_they_or_their_may_mean_the_short_answer_a_list_was_cut_to() -> None:
    # the earlier first quote named six things (too many for "he" to point into); its short answer, two
    turns = [Turn("And who backed Libya Dawn?", (), ("Qatar", "Turkey"))]
    assert resolve("What did Haftar tell their citizens to do?", turns).endswith("Qatar Turkey Libya Dawn")
    assert "Qatar" not in resolve("What did he tell the citizens to do?", turns)  # "he" is not a list


def test_the_referents_are_given_apart_as_well_as_run_into_the_text() -> None:
    """Run together, "TANDJA ISSOUFOU Mahamadou BAZOUM Mohamed" reads as one name, which Niger's row on
    "ISSOUFOU Mahamadou was elected in 2011 and reelected in 2016" does not name (dev f175)."""
    names = ("TANDJA", "ISSOUFOU Mahamadou", "BAZOUM Mohamed")
    turns = [Turn("Who did Niger elect as president after the 2010 coup?", names, names)]
    text, referents = resolved("Was he reelected?", turns)
    assert referents == names and text == "Was he reelected? " + " ".join(names) == resolve("Was he reelected?", turns)
    assert resolved("And who backed Libya Dawn?", turns) == ("And who backed Libya Dawn?", ())  # names its own


def test_a_possessive_pronoun_never_points_at_a_figure_or_a_date() -> None:
    turns = [Turn("How many civilians has the coalition admitted killing in Iraq?", ("at least 220 civilians",))]
    query = resolve("What does its spokesman say ISIS does with civilians?", turns)
    assert "220" not in query and "coalition" in query  # "its" owns a spokesman: the coalition, not a toll
    assert "$1.5 million" in resolve("And who got it?", [Turn("How much did the US spend?", ("$1.5 million",))])


def test_a_reaction_with_nothing_to_react_to_borrows_the_earlier_question() -> None:
    earlier = "What did Ian Martin propose for Libya in August 2011?"
    query = search_query("How did the transitional council respond?", [earlier])
    assert query == f"How did the transitional council respond? {earlier}"  # respond to what Martin proposed
    assert search_query("How did Egypt react?", [earlier]) == f"How did Egypt react? {earlier}"


def test_a_bare_continuation_asks_the_earlier_question_of_its_new_name() -> None:
    query = search_query("What about Algeria?", ["How has Libya's instability affected Tunisia?"])
    assert query == "What about Algeria? How has Libya's instability affected Algeria?"  # Tunisia would pull back
    query = search_query("And about Syria?", ["What did Obama say about Qadhafi in 2012?"])
    assert query.endswith("What did Obama say about Syria in 2012?")  # a date is no name to swap
    assert search_query("And of its capital?", ["What is the population of Niger?"]).endswith("of Niger?")


def test_pronouns_are_resolved_to_the_earlier_names_not_the_earlier_words() -> None:
    query = search_query("When did he launch his operation against the Islamists?", ["Who is Khalifa Haftar?"])
    assert query == "When did he launch his operation against the Islamists? Khalifa Haftar"
    there = search_query("How many people died there?", ["What happened at the In Amenas gas plant?"])
    assert there.startswith("How many people died there?") and "Amenas" in there and "happened" not in there


def test_after_a_who_question_he_means_the_name_its_answer_gave() -> None:
    turns = [Turn("Who is Turkey's foreign minister?", ("Mevlut Cavusoglu",))]
    assert resolve("What did he accuse the Americans of?", turns).endswith("Mevlut Cavusoglu Turkey")


def test_chains_of_followups_keep_the_subject_of_the_chain() -> None:
    query = search_query("Why could those sponsors help?", ["Who backed Haftar?", "And who backed Libya Dawn?"])
    assert "Libya Dawn" in query and query.startswith("Why could those sponsors help?")


def test_a_pronoun_down_a_chain_means_what_the_earlier_pronoun_meant() -> None:
    history = ["Who is Khalifa Haftar?", "When did he launch his operation against the Islamists?"]
    turns = [Turn(history[0], ("Libyan National Army",)), Turn(history[1], ("May 16, 2014",))]
    query = resolve("Did he lose any commanders fighting ISIS?", turns)
    assert query.startswith("Did he lose any commanders fighting ISIS?") and "Khalifa Haftar" in query
    # the earlier turn stood alone: nothing is carried from before it
    alone = [Turn("Who backed Haftar?"), Turn("Which militia holds Saif al-Islam?", ("Zintan",))]
    assert "Haftar" not in resolve("Where is he held?", alone)


def test_a_continuation_that_asks_anew_or_points_back_keeps_the_earlier_subject() -> None:
    history = ["How many strikes did the US carry out in Yemen on Thursday?"]
    assert "Yemen" in search_query("And how many militants died?", history)
    assert search_query("And of its capital?", ["What is the population of Niger?"]) == (
        "And of its capital? What is the population of Niger?"
    )


def test_a_trailing_pronoun_after_a_name_still_points_back() -> None:
    history = ["Which airport did Iraqi forces capture in February 2017?"]
    query = search_query("When had Islamic State taken it?", history)
    assert query.startswith("When had Islamic State taken it?") and "airport" in query and "Iraqi" in query
    # a when-question asks for another date than the earlier one: "February 2017" would pull to the capture
    assert "February 2017" not in query
    assert "February 2017" in search_query("What did they find there?", history)  # any other kind keeps it
    assert "three" not in resolve("How many were wounded in it?", [Turn("How many soldiers did it kill?", ("three",))])


def test_a_continuation_that_names_its_own_subject_searches_with_its_own_words() -> None:
    turns = [Turn("Who backed Haftar?", ("Egypt", "Saudi Arabia"))]
    assert resolve("And who backed Libya Dawn?", turns) == "And who backed Libya Dawn?"
    assert resolve("And what did they give Libya Dawn?", turns) != "And what did they give Libya Dawn?"


def test_it_and_they_also_mean_the_thing_the_earlier_question_asked_about() -> None:
    assert search_query("Who is in it?", ["How big is the force fighting for Mosul?"]) == "Who is in it? Mosul force"
    query = search_query("Who had originally ordered them?", ["Which warships did France end up selling to Egypt?"])
    assert query.endswith("warships") and "France" in query
    # an earlier follow-up's "And" does not hide what it asked about
    query = search_query("Who had ordered them?", ["And which warships did France sell to Egypt?"])
    assert query.endswith("warships")
    assert "force" not in search_query("Who is he?", ["How big is the force fighting for Mosul?"])
    # "there" may mean the thing too, and "What happened to ..." asks about what follows, not "happened"
    there = search_query("How many died there?", ["What happened to the school near Raqqa?"])
    assert there == "How many died there? Raqqa school"


@pytest.mark.parametrize(
    "question",
    [
        "Why was it unsurprising that Islamic State loyalists emerged in Derna?",
        "Is it true that Egypt bombed Derna?",
        "Why was it hard to secure the weapons?",
        "What is Russia's goal in Syria, as Putin put it?",
        "What does the proxy war do, as Orton describes it?",
    ],
)
def test_an_it_that_points_at_nothing_does_not_make_a_followup(question: str) -> None:
    assert not is_followup(question)
    assert search_query(question, ["How big is the force fighting for Mosul?"]) == question


def test_it_before_a_raising_verb_still_points_back() -> None:
    assert is_followup("Which party is it said to be loyal to?")
    assert is_followup("How did Putin put it?")  # no "as ...": "it" is what was said


def test_the_other_side_beside_its_name_is_left_to_the_name() -> None:
    """ "The other side" would match a sentence about both sides; the name beside it says which side is meant."""
    assert (
        search_query("And who supported the other side, Libya Dawn?", ["Who backed Haftar?"])
        == "And who supported Libya Dawn?"
    )
    assert search_query("Who supported the other side?", ["Who backed Haftar?"]).startswith(
        "Who supported the other side?"
    )


def test_the_one_name_an_answer_showed_is_what_it_points_to_when_its_quote_listed_many() -> None:
    """Its quote listed too many names to point into (none remembered), and its short answer was Mosul."""
    turns = [Turn("Which airport did Iraqi forces capture in February 2017?", (), ("Mosul",))]
    assert "Mosul" in resolve("When had Islamic State taken it?", turns)


def test_him_is_the_one_person_answered_not_every_name_of_the_quote() -> None:
    turns = [
        Turn(
            "Who led the Islamic State delegation sent to Derna in 2014?",
            ("Abu Nabil al-Anbari", "Saddam Hussein", "Salafi"),
            ("Abu Nabil al-Anbari",),
        )
    ]
    searched = resolve("What happened to him after the Paris attacks?", turns)
    assert "Abu Nabil al-Anbari" in searched and "Saddam Hussein" not in searched and "Salafi" not in searched


def test_it_after_a_which_group_question_is_the_group_not_a_place() -> None:
    turns = [
        Turn(
            "Which Tunisian jihadist group gets training in Libya?",
            ("Tunisia", "Ansar al-Sharia", "AST", "Libyan"),
            ("Ansar al-Sharia", "AST"),
        )
    ]
    searched = resolve("When did the UN blacklist it?", turns)
    assert "Ansar al-Sharia" in searched and "Tunisia " not in f"{searched} " and "Libyan" not in searched


@pytest.mark.parametrize(
    "question", ["Why hadn't Germany been able to deport him earlier?", "Which city besides Mosul is he talking about?"]
)
def test_he_after_only_places_points_back(question: str) -> None:
    assert is_followup(question)  # a country or a city is no "he"


@pytest.mark.parametrize(
    "question",
    [
        "What did Haftar say he would do in Benghazi?",
        "What did Libya's prime minister say he would do?",
        "Why did Germany's chancellor say she went to Tunis?",
    ],
)
def test_he_after_a_person_named_or_described_in_the_question_stands_alone(question: str) -> None:
    assert not is_followup(question)


def test_its_may_mean_the_thing_a_hyphened_name_qualifies() -> None:
    query = search_query("And who provides its real power?", ["Who heads the Tobruk-based government in Libya?"])
    assert query.endswith("Tobruk-based government")
    # a plain name before the noun is a referent of its own, not part of the thing
    query = search_query("Where did it happen?", ["How many Turkish soldiers did the Russian strike kill?"])
    assert "Russian" in query and "Russian strike" not in query


def test_a_count_without_its_noun_counts_what_the_earlier_question_counted() -> None:
    query = search_query("And how many were wounded?", ["How many Turkish soldiers were killed near al-Bab?"])
    assert query.endswith("Turkish soldiers")
    assert "soldiers" not in search_query(
        "And how many civilians were wounded?", ["How many Turkish soldiers were killed near al-Bab?"]
    )


def test_a_continuation_naming_a_group_swaps_the_earlier_group_whole() -> None:
    query = search_query(
        "What about Germany and Norway?", ["Which transport planes will France and Germany buy jointly?"]
    )
    assert query.endswith("Which transport planes will Germany and Norway buy jointly?")
    query = search_query("What about Norway?", ["Which transport planes will France and Germany buy jointly?"])
    assert query.endswith("will France and Norway buy jointly?")  # one name swaps one name


def test_a_pronoun_whose_subject_the_question_itself_names_is_no_follow_up() -> None:
    # read as follow-ups, an unrelated earlier question's words had moved their answers (dev q552, q621)
    assert not is_followup("How long is the book about Doaa, and who wrote it?")
    assert not is_followup("How much of its territory has the Islamic State lost, and since when?")
    assert is_followup("When had Islamic State taken it?")  # one question: "it" is something said before
    assert is_followup("Why did its plan go nowhere?")


@pytest.mark.parametrize(
    "question",
    [
        "Where were they going?",
        "What does this mean for their plans?",
        "Why did they close it?",
        "What did the crisis do to their economy?",  # "crisis" is no plural
    ],
)
def test_a_plural_pronoun_with_no_plural_before_it_still_leans_on_the_conversation(question: str) -> None:
    assert is_followup(question)
