"""Character classes and display width shared by the cleaner and the structure detector."""
from __future__ import annotations

import unicodedata

# Characters that end a sentence or clause in Chinese (and their ASCII twins): a line ending in one
# of them ends its paragraph.
SENTENCE_END = "。！？；：!?;:…"
CLOSERS = "”’」』）)》〕]】"


def is_cjk(ch: str) -> bool:
    """True for CJK ideographs (the characters that must be joined without spaces)."""
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF
        or 0x3400 <= o <= 0x4DBF
        or 0xF900 <= o <= 0xFAFF
        or 0x20000 <= o <= 0x2FFFF
    )


def is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def width(text: str) -> float:
    """Display width in full-width cells: PDF lines are laid out by width, not by character count."""
    total = 0.0
    for ch in text:
        total += 1.0 if unicodedata.east_asian_width(ch) in "WFA" else 0.5
    return total


def ends_sentence(line: str) -> bool:
    """True when `line` ends with sentence punctuation, possibly followed by closing quotes/brackets."""
    s = line.rstrip()
    while s and s[-1] in CLOSERS:
        s = s[:-1]
    return bool(s) and s[-1] in SENTENCE_END


def normalize_for_match(text: str) -> str:
    """The evaluation's matching form: NFKC, no whitespace, no Unicode punctuation."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if not c.isspace() and not unicodedata.category(c).startswith("P"))
