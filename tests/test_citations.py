"""Citations: the CSL styles through citeproc-py, with unknown authors and dates as each style prescribes."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from libya_qa.citations import cite, csl_item
from libya_qa.schema import Source

ORTON = Source(
    "orton-2015",
    "The Islamic State, Libya, and Interventionism",
    "Kyle Orton",
    "The Syrian Intifada",
    "2015-02-19",
    "https://example.org/orton",
)
TWO = Source("cfr-2013", "Collateral Damage", "Stewart M. Patrick and Isabella Bennett", "CFR", "2013-01")
ANONYMOUS = Source("tnr-2015", "Clinton should take blame", publisher="The New Republic")
BARE = Source("nato-2014", date="2014")


@pytest.mark.parametrize(
    "style, expected",
    [
        (
            "apa",
            "Orton, K. (2015, February 19). The Islamic State, Libya, and Interventionism. The Syrian Intifada. "
            "https://example.org/orton",
        ),
        (
            "mla",
            "Orton, Kyle. “The Islamic State, Libya, and Interventionism”. The Syrian Intifada, 19 Feb. 2015, "
            "https://example.org/orton.",
        ),
        (
            "chicago",
            "Orton, Kyle. 2015. “The Islamic State, Libya, and Interventionism”. The Syrian Intifada, "
            "February 19. https://example.org/orton.",
        ),
    ],
)
def test_a_known_article_is_cited_in_each_style(style: str, expected: str) -> None:
    assert cite(ORTON, style) == expected


def test_several_authors_are_each_named() -> None:
    assert cite(TWO, "apa").startswith("Patrick, S. M., & Bennett, I. (2013, January).")
    assert cite(TWO, "mla").startswith("Patrick, Stewart M., and Isabella Bennett.")


def test_an_unknown_author_puts_the_title_first_once_and_an_unknown_date_is_nd() -> None:
    apa = cite(ANONYMOUS, "apa")
    assert apa == "Clinton should take blame. (n.d.). The New Republic."
    assert cite(ANONYMOUS, "chicago").count("Clinton Should Take Blame") == 1
    assert " n.d. " in cite(ANONYMOUS, "chicago")


def test_an_untitled_article_is_described_in_brackets() -> None:
    assert cite(BARE, "apa") == "[Untitled article]. (2014)."


def test_bibtex_uses_the_source_id_as_its_key_and_escapes_specials() -> None:
    text = cite(Source("a-b", "Oil & gas: 50% of GDP", "Ann Author", date="2015-03"), "bibtex")
    assert text.splitlines()[0] == "@misc{a-b,"
    assert r"title={Oil \& gas: 50\% of GDP}" in text and "author={Author, Ann}" in text and text.endswith("}")


def test_ris_and_csl_json_carry_the_same_fields() -> None:
    assert cite(TWO, "ris").splitlines() == [
        "TY  - ELEC",
        "ID  - cfr-2013",
        "TI  - Collateral Damage",
        "AU  - Patrick, Stewart M.",
        "AU  - Bennett, Isabella",
        "T2  - CFR",
        "PY  - 2013",
        "DA  - 2013/01/",
        "ER  -",
    ]
    assert json.loads(cite(TWO, "csl-json")) == [csl_item(TWO)]
    assert csl_item(TWO)["issued"] == {"date-parts": [[2013, 1]]} and "URL" not in csl_item(TWO)


def test_the_cite_endpoint_answers_text_in_the_asked_style(client: TestClient) -> None:
    apa = client.get("/sources/alpha/cite")
    assert apa.status_code == 200 and apa.headers["content-type"] == "text/plain; charset=utf-8"
    assert apa.text == "Author, A. (2015, January 1). Alpha. Pub. https://example.org/a"
    bibtex = client.get("/sources/alpha/cite", params={"style": "bibtex"})
    assert bibtex.headers["content-type"].startswith("application/x-bibtex") and bibtex.text.startswith("@misc{alpha,")
    assert client.get("/sources/beta/cite", params={"style": "csl-json"}).json()[0]["id"] == "beta"


def test_the_cite_endpoint_refuses_unknown_styles_and_sources(client: TestClient) -> None:
    bad = client.get("/sources/alpha/cite", params={"style": "harvard"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown_style"
    assert client.get("/sources/nope/cite").json()["error"]["code"] == "unknown_source"
