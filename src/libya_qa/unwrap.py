"""Join the hard-wrapped lines of a plain-text or Markdown source back into paragraphs.

A text saved from an e-mail, a report or `fmt` breaks every paragraph at about 72 columns. The
sentence splitter takes a line break for a boundary, and a short line with no sentence ending reads as
a heading, so such a file was quoted in fragments, or not at all ("preparing to fight I.S. are drawn
from Libya Dawn, the Islamist"). A line is joined to the one before it only when that one was wrapped:
its block is 50-100 columns wide, it fills half of that, and the next word would not have fitted on it.
Headings, list items, quotes, tables and code keep their lines, and a file whose paragraphs are one
line each comes back unchanged.
"""

from __future__ import annotations

import re

MIN_WIDTH, MAX_WIDTH = 50, 100  # wrapped text fills lines this long; other blocks are left as they are
FILL = 0.5  # a wrapped line fills at least this share of its block's widest line ("Capital: Tripoli" does not)
# A line that starts a Markdown structure of its own: never joined to the line before it.
STRUCTURE = re.compile(r"^\s*(?:#{1,6}\s|>|\||[-*+•]\s)")
# "2. The second point" opens an item in a list or after a line that ended; after a line that broke
# mid-sentence, "23. We will continue ..." goes on with it ("between March 17 and / 23.").
NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s")
# "Capital: Tripoli" opens an entry of its own after a line that ended one ("... (2025 est.)"); after a line
# that broke mid-sentence, "Afghanistan to Iraq to Bosnia: by refusing ..." goes on with it.
LABEL = re.compile(r"^\s*[A-Z][\w’'-]*(?: [\w’'-]+){0,3}:\s")
ENDED = re.compile(r"[.;:!?)\]\d]$")
HEADING = re.compile(r"^\s*#{1,6}\s")
CODE = re.compile(r"^\s*(?:```|~~~|\t| {4})", re.MULTILINE)
BLOCK_BREAK = re.compile(r"\n[ \t]*\n")


def unwrap(text: str) -> str:
    """The text with each hard-wrapped paragraph on one line (blank lines between paragraphs kept)."""
    breaks = [m.group(0) for m in BLOCK_BREAK.finditer(text)]
    blocks = BLOCK_BREAK.split(text)
    joined = [_unwrap_block(block) for block in blocks]
    return "".join(part for block, sep in zip(joined, [*breaks, ""]) for part in (block, sep))


def _unwrap_block(block: str) -> str:
    """One block (no blank line inside) with its wrapped lines joined."""
    lines = block.split("\n")
    if len(lines) < 2 or CODE.search(block):
        return block
    width = max(len(line.rstrip()) for line in lines)
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        return block
    out, previous, listing = [lines[0]], lines[0].rstrip(), _opens_item(lines[0])
    for line in lines[1:]:
        opens = STRUCTURE.match(line) or (NUMBERED.match(line) and (listing or ENDED.search(previous)))
        if (
            line.strip()
            and _wrapped(previous, line, width)
            and not opens
            and not (LABEL.match(line) and ENDED.search(previous))
        ):
            out[-1] = _join(out[-1].rstrip(), line.strip())
        else:
            out.append(line)
            listing = listing or bool(opens)
        previous = line.rstrip()
    return "\n".join(out)


def _opens_item(line: str) -> bool:
    """True for a list item's first line."""
    return bool(STRUCTURE.match(line) or NUMBERED.match(line))


def _wrapped(line: str, following: str, width: int) -> bool:
    """True when a line ended where the wrapping did, not where its author did: the next word would not
    have fitted on it (a heading never wraps)."""
    return len(line) >= FILL * width and len(line) + 1 + len(following.split()[0]) > width and not HEADING.match(line)


def _join(before: str, line: str) -> str:
    """Two wrapped lines as one: a space between, none after a word's hyphen or dash ("Tobruk-" + "based",
    "ironclad--" + "to"; "officials --" + "led" keeps it)."""
    return f"{before}{line}" if re.search(r"\w-{1,2}$", before) else f"{before} {line}"
