"""Phrase-level answers: the names, numbers or dates a question asks for, marked inside verbatim quotes."""

from __future__ import annotations

from libya_qa.entities import find_spans, lowercase_words, new_spans
from libya_qa.figures import asked_fate
from libya_qa.highlights import Marked, QuoteSentence, mark, short_answer, without_own_publisher


def spans(text: str) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.kind) for s in find_spans(text)]


def one_sentence(text: str, question: str, kind: str = "name") -> Marked:
    """The marks of a quote that is one answering sentence, its best."""
    return mark(0, [QuoteSentence(0, len(text), text, True, best=True)], kind, question)


def read(text: str, marked: Marked, listed: bool = False) -> list[str]:
    """The short answer's texts."""
    return [a.text for a in short_answer("x", text, 0, marked, listed=listed)]


def test_names_numbers_and_dates_are_found_without_function_words_or_possessives() -> None:
    assert spans("Haftar’s forces were helped by Egypt and the United Arab Emirates.") == [
        ("Haftar", "name"),
        ("Egypt", "name"),
        ("United Arab Emirates", "name"),
    ]
    assert spans("On May 16, 2014, twenty-one men and 12 percent of 30,000 fled.") == [
        ("May 16, 2014", "time"),
        ("twenty-one men", "number"),
        ("12 percent", "number"),
        ("30,000", "number"),
    ]
    assert spans("Some 39 people were hurt; it has about 4,000 fighters, 13,000 bbl/day.") == [
        ("Some 39 people", "number"),
        ("about 4,000 fighters", "number"),
        ("13,000 bbl/day", "number"),
    ]
    # a figure in words: Qaddafi "had filled “well over a thousand” arms depots"; "a million refugees"
    assert spans("He had filled “well over a thousand” depots; a million refugees fled.") == [
        ("well over a thousand", "number"),
        ("a million refugees", "number"),
    ]
    # one quantity in words, not two: "three hundred and fifty of his men"; a list of numbers stays apart
    assert spans("It flew three hundred and fifty of his men and two thousand five hundred soldiers out.") == [
        ("three hundred and fifty", "number"),
        ("two thousand five hundred soldiers", "number"),
    ]
    assert spans("Between three and four died.") == [("three", "number"), ("four", "number")]
    # an office in capitals names no one; the name after it does
    assert spans("The previous PM resigned. PM Ali Zeidan left; the US stayed.") == [
        ("Ali Zeidan", "name"),
        ("US", "name"),
    ]
    # an approximation opening a sentence belongs to its figure
    assert spans("Roughly 200 fighters left. At least 24 died.") == [
        ("Roughly 200 fighters", "number"),
        ("At least 24", "number"),
    ]
    # an indefinite quantity is one too: "brigades of several thousand troops" (dev q538), but not "several times"
    assert spans(
        "It sent several thousand troops, a few hundred fighters and several dozen militants several times."
    ) == [
        ("several thousand troops", "number"),
        ("a few hundred fighters", "number"),
        ("several dozen militants", "number"),
    ]
    assert spans("However, Abdullah al-Thani replaced Ali Zeidan in March 2014.") == [
        ("Abdullah al-Thani", "name"),
        ("Ali Zeidan", "name"),
        ("March 2014", "time"),
    ]


def test_a_share_is_one_number_and_an_arabic_name_keeps_its_apostrophe() -> None:
    # "What proportion ...?" asks for these; "one in five" is one quantity, not "one" and "five"
    assert spans("Zelin estimates that a fifth of fighters are foreign, one in five Libyans, two-thirds.") == [
        ("Zelin", "name"),
        ("a fifth", "number"),
        ("one in five", "number"),
        ("Libyans", "name"),
        ("two-thirds", "number"),
    ]
    # the whole name, so a question naming it finds it in the corpus (it was cut to "Ansar al-Shari")
    assert spans("Ansar al-Shari’a fi Libya and Ansar al-Shari'a's fighters") == [
        ("Ansar al-Shari’a", "name"),
        ("Libya", "name"),
        ("Ansar al-Shari'a", "name"),
    ]


def test_a_plural_s_apostrophe_holds_a_name_together_and_an_opening_participle_is_no_name() -> None:
    assert spans("Az-Zintan Revolutionaries’ Military Council (ZMC): Located in the Zintan Mountains") == [
        ("Az-Zintan Revolutionaries’ Military Council", "name"),
        ("ZMC", "name"),
        ("Zintan Mountains", "name"),
    ]
    assert spans("Led by Ziyad Balaam, the Abu Salim Martyrs’ Brigade fought Libya Dawn’s Qatari backers.") == [
        ("Ziyad Balaam", "name"),
        ("Abu Salim Martyrs’ Brigade", "name"),
        ("Libya Dawn", "name"),
        ("Qatari", "name"),
    ]
    assert spans("Made up of fighters of the Malik Brigades, ASL has 5,000 men.") == [
        ("Malik Brigades", "name"),
        ("ASL", "name"),
        ("5,000 men", "number"),
    ]


def test_a_count_of_the_dead_or_hurt_is_the_number_the_killing_or_hurting_befell() -> None:
    siege = "More than 800 people were taken hostage, and at least 39 killed."
    assert read(siege, one_sentence(siege, "How many people died there?", "number")) == ["at least 39"]
    # two things counted: both figures stay
    both = "How many people were taken captive, and how many killed?"
    assert read(siege, one_sentence(siege, both, "number")) == ["More than 800 people", "at least 39"]
    strike = "The strike killed three Turkish soldiers, and 11 others were wounded, among 40 troops there."
    assert read(strike, one_sentence(strike, "How many soldiers were hurt?", "number")) == ["11 others"]
    assert read(strike, one_sentence(strike, "How many people were involved?", "number")) == [
        "three",
        "11 others",
        "40 troops",
    ]  # no fate asked: nothing is cut
    # through a list the verb governs; a clause on the counted noun says what befell it too
    listed = "Gunmen have killed more than 100 soldiers, around 20 civilians and 59 tourists, and 300 were arrested."
    assert read(listed, one_sentence(listed, "How many people have the gunmen killed?", "number")) == [
        "more than 100 soldiers",
        "around 20 civilians",
        "59 tourists",
    ]
    saved = "About a million people stayed home, and 1,000 refugees who would have died at sea lived."
    assert read(saved, one_sentence(saved, "How many refugees did not die at sea?", "number")) == ["1,000 refugees"]
    # a whole the quantity is part of says what befell it; "live" is no "lives" lost
    hospital = "At least 24 of the injured were cared for in hospitals, and 160 people were aboard."
    assert read(hospital, one_sentence(hospital, "How many wounded were cared for?", "number")) == ["At least 24"]
    assert not asked_fate("How many people live in Niamey?") and asked_fate("How many were beheaded?")
    # a sentence with no verb at all is read to its root, and ends
    table = "Casualties: 39 dead, 800 hostages."
    assert len(read(table, one_sentence(table, "How many people died?", "number"))) >= 1


def test_a_question_asking_for_a_person_marks_no_place_beside_someone() -> None:
    envoy = "The U.S. envoy, Ambassador Chris Stephens, died with three other Americans."
    assert read(envoy, one_sentence(envoy, "Which ambassador died in the attack?")) == ["Ambassador Chris Stephens"]
    # a sentence naming only places keeps them: the verdict reads that it found no one (answer_kinds.py)
    fled = "The cell had moved from Tunisia to Libya."
    assert read(fled, one_sentence(fled, "Which commander ran the cell?")) == ["Tunisia", "Libya"]
    # a question not asking for a person keeps its places
    assert read(envoy, one_sentence(envoy, "Which country lost citizens?")) == [
        "U.S.",
        "Ambassador Chris Stephens",
        "Americans",
    ]


def test_one_of_and_no_one_are_pronouns_not_counts() -> None:
    # "How many fighters ...?" was answered "18,000 fighters · under one" from "under one of the programs"
    assert spans("It withdrew under one of the programs. No one was hurt; two of the men and one in five died.") == [
        ("two", "number"),
        ("one in five", "number"),
    ]


def test_a_word_that_opens_a_later_sentence_is_not_a_name_because_it_is_capitalised() -> None:
    assert spans("His death is a blow. Without a coalition of Misratans, Federalists fail.") == [
        ("Misratans", "name"),
        ("Federalists", "name"),
    ]
    assert spans("It ended. Unfortunately Haftar won. Recently, Ahmed left. Beijing and Italy agreed.") == [
        ("Haftar", "name"),
        ("Ahmed", "name"),
        ("Beijing", "name"),
        ("Italy", "name"),
    ]
    assert spans("It was backed by the C.I.A. Soon afterward, Haftar was released.") == [
        ("C.I.A.", "name"),
        ("Haftar", "name"),
    ]  # an initialism keeps its last dot
    assert spans("He remained in the U.S. for twenty years; the U.A.E. paid.") == [
        ("U.S.", "name"),
        ("twenty years", "number"),
        ("U.A.E.", "name"),
    ]
    assert spans("How much did the US spend? Tell us.") == [("US", "name")]  # the United States, not "us"
    # an adjective made from a name describes something else: not an answer to "who"
    assert spans("The Tobruk-based government is run by Khalifa Haftar and the Qatar-backed Libya Dawn.") == [
        ("Khalifa Haftar", "name"),
        ("Libya Dawn", "name"),
    ]


def test_the_names_a_question_already_gives_are_not_its_answer() -> None:
    text = "Libya Dawn’s Qatari and Turkish backers met Haftar’s envoys."
    assert [text[s.start : s.end] for s in new_spans(text, "name", "Who backed Libya Dawn and Haftar?")] == [
        "Qatari",
        "Turkish",
    ]
    # an initialism is the same name with or without its dots: the question's "US" is the text's "U.S."
    attack = "ASL attacked the U.S. consulate; the U.A.E. and Mahamat Idriss Deby stayed out of it."
    assert [attack[s.start : s.end] for s in new_spans(attack, "name", "Did the UAE or Idriss Deby help the US?")] == [
        "ASL",
        "Mahamat Idriss Deby",
    ]  # a son shares his father's surname, not his person
    # ... and a name's initials are the name: "LNA" does not answer "Who leads the Libyan National Army?"
    army = "The LNA lost Colonel Mohamed Bughafir fighting I.S. beside the GNA."
    assert [
        army[s.start : s.end]
        for s in new_spans(army, "name", "Who leads the Libyan National Army in Islamic State's fight?")
    ] == ["Colonel Mohamed Bughafir", "GNA"]
    # ... and a title before the question's own name leaves it the question's: Chancellor Merkel is Merkel
    visit = "Chancellor Merkel met Foreign Minister Ibrahim Yacoubou and President Beji Caid Essebsi in Tunis."
    assert [visit[s.start : s.end] for s in new_spans(visit, "name", "Whom did Merkel meet in Tunis?")] == [
        "Foreign Minister Ibrahim Yacoubou",
        "President Beji Caid Essebsi",
    ]


def test_a_typed_question_marks_the_words_and_reads_them_as_a_short_answer() -> None:
    body = "Intro. Haftar got help from Egypt and Jordan. Haftar was also backed by Saudi Arabia."
    first, second = body.index("Haftar got"), body.index("Haftar was")
    sentences = [
        QuoteSentence(first, second - 1, body[first : second - 1], True, close=True),
        QuoteSentence(second, len(body), body[second:], True, best=True),
    ]
    marked = mark(first, sentences, "name", "Who backed Haftar?")
    quote = body[first:]
    assert [quote[a:b] for a, b in marked.spans] == ["Egypt", "Jordan", "Saudi Arabia"]
    assert quote[marked.main[0] : marked.main[1]] == "Saudi Arabia"  # from the best sentence
    answer = short_answer("x", quote, first, marked)
    assert [(a.text, body[a.start : a.end]) for a in answer] == [(w, w) for w in ("Egypt", "Jordan", "Saudi Arabia")]


def test_a_common_word_opening_a_sentence_is_no_name_when_its_article_writes_it_in_lower_case() -> None:
    # "Which local militia ...?" had read "Local · ISIS" from "Local officials blamed ISIS."; a noun the tagger
    # cannot tell from a name ("Security") is told by the article's own lower case
    body = "Security officials blamed ISIS for the deaths. The security council met in Mosul."
    end = body.index(" The")
    sentence = [QuoteSentence(0, end, body[:end], True, best=True)]
    common = lowercase_words(body)
    assert [body[a:b] for a, b in mark(0, sentence, "name", "Whom do officials blame?", common).spans] == ["ISIS"]
    assert [body[a:b] for a, b in mark(0, sentence, "name", "Whom do officials blame?").spans] == ["Security", "ISIS"]
    named = "Pentagon officials blamed ISIS."  # a name the article never writes in lower case stays one
    assert [
        named[a:b]
        for a, b in mark(
            0, [QuoteSentence(0, len(named), named, True, best=True)], "name", "Whom do officials blame?", common
        ).spans
    ] == ["Pentagon", "ISIS"]
    # a clause after a colon opens the same way: "Petroleum Facilities Guard (PFG): Set up in 2012 ..."
    entry = "Petroleum Facilities Guard (PFG): Set up in 2012 to protect the refineries, it was set on guard."
    one = [QuoteSentence(0, len(entry), entry, True, best=True)]
    assert [
        entry[a:b]
        for a, b in mark(0, one, "name", "Which militia guards the refineries?", lowercase_words(entry)).spans
    ] == ["Petroleum Facilities Guard", "PFG"]


def test_an_adverb_or_adjective_opening_a_sentence_is_no_name_though_a_people_or_an_initialism_is() -> None:
    # short answers had read "Simply · ISIS", "Rather · President Barack Obama", "Recent · Egyptian · Zahra"
    for text, names in [
        ("Simply, ISIS has outlasted both governments.", ["ISIS"]),
        ("Rather, President Barack Obama chose to wait.", ["President Barack Obama"]),
        ("Recent reports say Zahra was ill.", ["Zahra"]),
        ("Tunisian officials met Merkel.", ["Tunisian", "Merkel"]),  # a people, not an adjective
        ("IS fighters met Merkel.", ["IS", "Merkel"]),  # the tagger reads "IS" as a verb
        ("Haftar met Merkel.", ["Haftar", "Merkel"]),
    ]:
        marked = one_sentence(text, "Which names appear here?")
        assert [text[a:b] for a, b in marked.spans] == names, text


def test_other_questions_mark_only_the_sentences_that_answer() -> None:
    body = "It rained. NATO chose regime change. Nobody planned for the day after."
    parts = [(0, 10), (11, 36), (37, len(body))]
    sentences = [
        QuoteSentence(a, b, body[a:b], answers, best)
        for (a, b), answers, best in zip(parts, (False, True, True), (False, True, False))
    ]
    marked = mark(0, sentences, "other", "Why did the intervention fail?")
    assert marked.spans == ((11, len(body)),) and not marked.typed  # two answering sentences, merged
    assert short_answer("x", body, 0, marked) == ()


def test_a_short_answer_too_long_to_read_at_a_glance_keeps_the_close_sentences_names() -> None:
    body = "Egypt, Jordan, Chad and Sudan sent envoys. Haftar was backed by Saudi Arabia."
    second = body.index("Haftar")
    sentences = [
        QuoteSentence(0, second - 1, body[: second - 1], True),  # shares the highlight, not close
        QuoteSentence(second, len(body), body[second:], True, best=True),
    ]
    marked = mark(0, sentences, "name", "Who backed Haftar?")
    assert len(marked.spans) == 5 and [body[a:b] for a, b in marked.close_spans] == ["Saudi Arabia"]
    assert [a.text for a in short_answer("x", body, 0, marked)] == ["Saudi Arabia"]


def test_a_question_joined_to_a_second_marks_both_kinds_of_answer() -> None:
    body = "On May 16, 2014, Haftar launched Operation DIGNITY against the militias."
    marked = mark(
        0, [QuoteSentence(0, len(body), body, True, best=True)], "name", "Who launched Operation Dignity, and when?"
    )
    assert [a.text for a in short_answer("x", body, 0, marked)] == ["May 16, 2014", "Haftar"]  # in reading order
    alone = mark(0, [QuoteSentence(0, len(body), body, True, best=True)], "name", "Who launched Operation Dignity?")
    assert [a.text for a in short_answer("x", body, 0, alone)] == ["Haftar"]


def test_a_figure_ends_at_its_last_digit_not_at_the_comma_after_it() -> None:
    # "... while Jordan has 657,000, with others ..." had read "657,000," as the short answer
    assert spans("Jordan has 657,000, Iraq 1,148 km, and 12.") == [
        ("Jordan", "name"),
        ("657,000", "number"),
        ("Iraq", "name"),
        ("1,148 km", "number"),
        ("12", "number"),
    ]


def test_who_is_someone_asks_what_they_are_after_an_and_too() -> None:
    body = "Khalifa Haftar, a former general of Qaddafi, leads the Libyan National Army."
    sentence = [QuoteSentence(0, len(body), body, True, best=True)]
    for question in ("Who is Khalifa Haftar?", "And who is Khalifa Haftar?"):
        marked = mark(0, sentence, "name", question)
        assert not marked.typed and short_answer("x", body, 0, marked) == ()  # the sentence, not its names


def test_a_where_question_reads_the_names_after_a_word_of_place() -> None:
    body = "Members of Congress and Americans welcomed the last troops home at Andrews Air Force Base."
    sentence = [QuoteSentence(0, len(body), body, True, best=True)]
    where = mark(0, sentence, "name", "Where did Obama welcome home the last troops from Iraq?")
    assert [a.text for a in short_answer("x", body, 0, where)] == ["Andrews Air Force Base"]
    who = mark(0, sentence, "name", "Who welcomed the last troops home?")  # a who-question reads its doers
    assert [a.text for a in short_answer("x", body, 0, who)] == ["Members of Congress", "Americans"]
    # no name after a word of place: every name stays
    plain = "Saint-Nazaire built them for the Russian Navy."
    built = mark(0, [QuoteSentence(0, len(plain), plain, True, best=True)], "name", "Where were they built?")
    assert [a.text for a in short_answer("x", plain, 0, built)] == ["Saint-Nazaire", "Russian Navy"]


def test_a_short_answer_reads_the_best_sentences_names_not_a_weaker_neighbours() -> None:
    # "Who backed the Libya Dawn government?" had read "Haftar · Saudi Arabia · Qatar · Turkey": the
    # sentence before the answer shares the typed highlight but does not score close to the best one.
    body = (
        "Haftar has also been backed by Saudi Arabia. Libya Dawn has been supported financially by Qatar, "
        "and also reportedly by Turkey."
    )
    second = body.index("Libya Dawn")
    sentences = [
        QuoteSentence(0, second - 1, body[: second - 1], True),
        QuoteSentence(second, len(body), body[second:], True, best=True),
    ]
    marked = mark(0, sentences, "name", "Who backed the Libya Dawn government?")
    assert [body[a:b] for a, b in marked.spans] == ["Haftar", "Saudi Arabia", "Qatar", "Turkey"]  # all marked
    assert [a.text for a in short_answer("x", body, 0, marked)] == ["Qatar", "Turkey"]
    # the best sentence naming nothing new, the weaker one's names are the short answer still
    plain = [sentences[0], QuoteSentence(second, len(body), "Libya Dawn has been supported.", True, best=True)]
    assert [a.text for a in short_answer("x", body, 0, mark(0, plain, "name", "Who backed Libya Dawn?"))] == [
        "Haftar",
        "Saudi Arabia",
    ]


def test_a_who_question_over_a_long_list_marks_the_doers_and_a_follow_up_still_sees_the_list() -> None:
    body = (
        "Libya Dawn has been supported financially by Qatar, and also reportedly by Turkey, which also supports "
        "the Libyan branch of the Muslim Brotherhood, Hizb al-Adala Wal-Bina."
    )
    sentence = [QuoteSentence(0, len(body), body, True, best=True)]
    marked = mark(0, sentence, "name", "Who supported Libya Dawn?")
    assert [a.text for a in short_answer("x", body, 0, marked)] == ["Qatar", "Turkey"]
    assert short_answer("x", body, 0, marked, listed=True) == ()  # five names: no one of them is "he"
    # "which cities" asks for no doer: the list stays whole (too long for a short answer)
    assert short_answer("x", body, 0, mark(0, sentence, "name", "Which groups does Libya Dawn include?")) == ()


def test_a_who_question_reads_the_doer_of_its_own_verb_even_in_a_short_list() -> None:
    # "Who led ASL?" had read "Ambassador Chris Stephens · Americans · Ahmed Abu Khattala"
    body = (
        "Responsible for the attack on the U.S. Consulate in Benghazi that killed Ambassador Chris Stephens, "
        "ASL was led by Ahmed Abu Khattala."
    )
    sentence = [QuoteSentence(0, len(body), body, True, best=True)]
    assert [a.text for a in short_answer("x", body, 0, mark(0, sentence, "name", "Who led ASL?"))] == [
        "Ahmed Abu Khattala"
    ]
    assert [a.text for a in short_answer("x", body, 0, mark(0, sentence, "name", "And who has led ASL?"))] == [
        "Ahmed Abu Khattala"
    ]  # "led" and "leads" are one verb; an opening "And" and an auxiliary are read past
    # another verb's question keeps every name: the leader is not what "Who backed ...?" asks for
    short = "ASL, led by Ahmed Abu Khattala, attacked the consulate with Ansar Dine."
    assert read(short, one_sentence(short, "Who backed ASL?")) == ["Ahmed Abu Khattala", "Ansar Dine"]


def test_an_irregular_simple_past_asks_for_the_doer_of_its_participle() -> None:
    # "Who wrote ...?" had read the book's subject too: "wrote" and "written" were two verbs
    body = (
        "Doaa al Zamel's true story, told in 282 pages, has been written by Melissa Fleming, the chief "
        "spokeswoman of the UNHCR."
    )
    assert read(body, one_sentence(body, "Who wrote the book?")) == ["Melissa Fleming"]
    assert read(body, one_sentence(body, "Who took the photographs?")) != ["Melissa Fleming"]


def test_a_who_question_asking_the_doer_leaves_out_whom_the_verb_acted_on() -> None:
    # "Who attacked the US consulate in Benghazi?" had read "Ambassador Chris Stephens · Americans · ASL · ..."
    body = (
        "ASL, based in Benghazi, carried out the attack on the U.S. Consulate that killed Ambassador Chris "
        "Stephens and three other Americans."
    )
    doer = one_sentence(body, "Who attacked the US consulate?")
    assert read(body, doer) == ["ASL"]  # beside someone, a place is no one
    # a question about the one acted on keeps them: "Who was killed ...?" asks for the victims
    victim = one_sentence(body, "Who was the ambassador killed in the attack?")
    assert "Ambassador Chris Stephens" in [body[a:b] for a, b in victim.spans]
    assert "Ambassador Chris Stephens" not in [body[a:b] for a, b in doer.spans]
    # nor among the names a follow-up may point back to ("Who led them?" means the attackers)
    assert read(body, doer, listed=True) == ["ASL", "Benghazi"]


def test_a_who_question_reads_the_names_before_its_own_verb_used_actively() -> None:
    # "Who attacked the Corinthia Hotel in Tripoli?" had read "Tunisian" only: "I.S." sits nine words from "attacked"
    body = (
        "On Jan. 27, four I.S. jihadists, at least one of them a Tunisian, attacked the Corinthia Hotel in Tripoli, "
        "murdering five foreigners (including one U.S. citizen), and on Feb. 3, I.S. stormed an oil field near "
        "Mabruk, south of Sirte."
    )
    assert read(body, one_sentence(body, "Who attacked the Corinthia Hotel in Tripoli?")) == ["I.S.", "Tunisian"]
    # a passive use of the verb is no subject: its doer follows "by"
    passive = "The hotel, guarded by Misratans, was attacked by the Islamic State."
    assert read(passive, one_sentence(passive, "Who attacked the hotel?")) == ["Islamic State"]


def test_which_countries_doing_something_asks_for_the_doers_as_who_does() -> None:
    # "Which countries back Libya Dawn?" had read no short answer: five names, and no doer cut for "which"
    body = (
        "Libya Dawn has been supported financially by Qatar, and also reportedly by Turkey, which also supports "
        "the Libyan branch of the Muslim Brotherhood, Hizb al-Adala Wal-Bina."
    )
    assert read(body, one_sentence(body, "Which countries back Libya Dawn?")) == ["Qatar", "Turkey"]
    # "which countries did ..." asks for what the verb acted on: no doer cut, the list stays too long to read
    assert read(body, one_sentence(body, "Which countries did Libya Dawn court?")) == []


def test_a_how_long_or_what_share_question_marks_the_figures_of_its_kind_only() -> None:
    airlift = (
        "The C.I.A. had to airlift Haftar and 350 of his men to Zaire; Haftar was given citizenship, "
        "and remained in the U.S. for the next twenty years."
    )
    assert read(airlift, one_sentence(airlift, "How long did Haftar live in the US?", "number")) == ["twenty years"]
    literacy = "Of its 12 million people, 86.2% can read."
    assert read(literacy, one_sentence(literacy, "What share of Tunisians can read?", "number")) == ["86.2%"]
    # with none of the asked kind, the figures stay: the verdict, not the marks, says the quote falls short
    assert read(airlift, one_sentence(airlift, "What share of his men went?", "number")) == ["350", "twenty years"]


def test_a_follow_up_s_earlier_question_names_no_answer() -> None:
    """After "Who backed Haftar?", Haftar answers no "And who supported the other side, Libya Dawn?"."""
    body = (
        "The proxy war element of Libya's war could help: if Libya Dawn's Qatari and Turkish patrons, and the "
        "Tobruk/Haftar supporters in Egypt, were to pressure both sides."
    )
    sentence = [QuoteSentence(0, len(body), body, True, best=True)]
    question = "And who supported the other side, Libya Dawn?"
    alone = [body[a:b] for a, b in mark(0, sentence, "name", question).spans]
    followed = [body[a:b] for a, b in mark(0, sentence, "name", question, given="Who backed Haftar?").spans]
    assert "Haftar" in alone and "Haftar" not in followed and "Qatari" in followed


def test_a_question_asking_for_a_person_marks_the_people_of_a_long_list() -> None:
    """Five names are no short answer; "Who speaks for ...?" reads the person among them (the entity recogniser
    reading the sentence), and "Which groups ...?" keeps the list, too long for a short answer."""
    body = "The refugee agency UNHCR, the Red Crescent, Sudan, CNN and the agency's spokeswoman Shabia Mantoo spoke."
    assert read(body, one_sentence(body, "Who speaks for the refugee agency?")) == ["Shabia Mantoo"]
    assert read(body, one_sentence(body, "Which groups spoke for the refugee agency?")) == []


def test_a_question_asking_for_a_group_marks_no_place_beside_one() -> None:
    # dev q08 had read "U.S. · Ambassador Chris Stephens"; a group is asked for, and a country is not one
    body = "In Yemen, the Houthi rebels took over the capital in 2015 and drove out President Hadi."
    assert read(body, one_sentence(body, "Which group took over the capital?")) == ["Houthi", "President Hadi"]
    # a question asking for countries keeps them
    backed = "Haftar has been backed by Egypt and the United Arab Emirates."
    assert "Egypt" in read(backed, one_sentence(backed, "Which countries backed Haftar?"))


def test_a_count_of_the_asked_noun_leaves_out_bare_figures_beside_it() -> None:
    # dev q126 had read "10 million · 7 million · 515,000 children" for the children alone
    lake = (
        "Some 10 million people need help, 7 million are severely food insecure and 515,000 children are "
        "acutely malnourished."
    )
    assert read(lake, one_sentence(lake, "How many children are acutely malnourished?", "number")) == [
        "515,000 children"
    ]


def test_a_short_answer_does_not_name_one_body_twice_by_its_initials() -> None:
    body = "In Derna, the Abu Salim Martyrs’ Brigade (ASMB) has taken up arms against the Islamic State."
    marked = one_sentence(body, "Which local militia in Derna has taken up arms against the Islamic State?")
    assert "ASMB" in [body[a:b] for a, b in marked.spans]  # the quote still marks it
    assert read(body, marked) == ["Abu Salim Martyrs’ Brigade"]


PETROLEUM = (
    "Petroleum: total petroleum production: 35,000 bbl/day (2023 est.); refined petroleum consumption: "
    "104,000 bbl/day (2023 est.); crude oil estimated reserves: 425 million barrels (2021 est.)"
)


def test_a_row_of_several_items_answers_with_the_figure_of_the_item_asked() -> None:
    question = "How big are Tunisia's estimated crude oil reserves?"
    assert read(PETROLEUM, one_sentence(PETROLEUM, question, "number")) == ["425 million barrels"]
    # a figure inside a label is no value
    youth = "Youth unemployment rate (ages 15-24): total: 40.1% (2024 est.)"
    assert read(youth, one_sentence(youth, "How high is youth unemployment in Tunisia?", "number")) == ["40.1%"]
    # one labelled paragraph of prose keeps every figure its question asks for
    guard = (
        "Petroleum Facilities Guard (PFG): a sprawling militia of up to 20,000 men, with only 2,000 having been "
        "trained."
    )
    both = "How many men does the force have, and how many of them are trained?"
    assert read(guard, one_sentence(guard, both, "number")) == ["up to 20,000 men", "2,000"]


def test_a_report_naming_its_own_publisher_does_not_answer_with_it() -> None:
    body = "Russia's ambassador to Egypt, Sergey Kirpichenko, told TASS the talks went well."
    named = short_answer("x", body, 0, one_sentence(body, "Who is Russia's ambassador to Egypt?"))
    assert "TASS" in [s.text for s in named]
    assert [s.text for s in without_own_publisher(named, "TASS")] == ["Sergey Kirpichenko"]
    assert [s.text for s in without_own_publisher(named, "Reuters")] == [s.text for s in named]  # another's: stays
    alone = tuple(s for s in named if s.text == "TASS")
    assert without_own_publisher(alone, "TASS") == alone  # nothing else to answer with: it stays
