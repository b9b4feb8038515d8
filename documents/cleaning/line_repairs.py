"""Per-line repairs that keep every character the evaluation's `normalize()` looks at.

Each repair either changes only whitespace/punctuation (which matching ignores) or removes
extraction debris that is not part of any sentence (bold text printed four times, bare URLs).
"""
from __future__ import annotations

import re

# Font-mapping errors seen in the corpus: low quotes standing for “ and ”.
_QUOTE_FIXES = str.maketrans({"\u201a": "\u201c", "\u201b": "\u201d"})
# Optional character rewrites (off by default: evidence is quoted verbatim from the source,
# so rewriting a character inside a sentence can lose a match).
FONT_CHAR_FIXES = str.maketrans({"臵": "置"})

_SPACES = re.compile(r"[^\S\n]+")
_CJK = r"[\u4e00-\u9fff\u3400-\u4dbf]"
# "工 业 和 信 息 化 部": three or more single ideographs separated by single spaces.
_LETTER_SPACED = re.compile(rf"{_CJK}(?: {_CJK}){{2,}}")
# Bold headings overprinted four times by the PDF producer: "一是…。一是…。一是…。一是…。".
_QUADRUPLE = re.compile(r"(.{1,60}?)\1{3}")
_MULTI_CHAR_QUADRUPLE = re.compile(r"(.{2,60}?)\1{3}")
# Lines that are nothing but a link or script call: web debris, not document text.
_DEBRIS = re.compile(r"^(?:https?://\S+|www\.\S+|javascript:\S*)$", re.IGNORECASE)
_MARKDOWN_BOLD = re.compile(r"\*\*")


def count_bold_repeats(lines: list[str]) -> int:
    """How many lines carry a multi-character run repeated four times (the overprint artifact)."""
    return sum(1 for line in lines if _MULTI_CHAR_QUADRUPLE.search(line))


def collapse_quadruples(line: str) -> str:
    """Replace every run repeated exactly four times by one copy (only for overprinted documents)."""
    return _QUADRUPLE.sub(r"\1", line)


def fix_font_chars(text: str) -> str:
    """臵 -> 置 and similar font-mapping fixes, for text used only for matching queries (e.g. what
    a retriever indexes), never for the passage text that evaluation compares with quoted evidence."""
    return text.translate(FONT_CHAR_FIXES)


def is_debris(line: str) -> bool:
    """True for a line that is only a URL or a javascript: call."""
    return bool(_DEBRIS.match(line.strip()))


def repair_line(line: str, *, dedupe_bold: bool = False, rewrite_chars: bool = False) -> str:
    """Whitespace, quote and overprint repairs on one stripped line."""
    line = line.translate(_QUOTE_FIXES)
    if rewrite_chars:
        line = line.translate(FONT_CHAR_FIXES)
    line = _MARKDOWN_BOLD.sub("", line)
    line = _SPACES.sub(" ", line).strip()
    line = _LETTER_SPACED.sub(lambda m: m.group(0).replace(" ", ""), line)
    if dedupe_bold:
        line = collapse_quadruples(line)
    return line
