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


class _NarrowOnly(dict):
    """A `str.translate` table that deletes full-width characters, filled in as characters are met,
    so counting them runs at C speed (cleaning measures every line, several times)."""

    def __missing__(self, code: int) -> int | None:
        value = None if unicodedata.east_asian_width(chr(code)) in "WFA" else code
        self[code] = value
        return value


_NARROW_ONLY = _NarrowOnly()


def width(text: str) -> float:
    """Display width in full-width cells: PDF lines are laid out by width, not by character count."""
    narrow = len(text.translate(_NARROW_ONLY))
    return (len(text) - narrow) + 0.5 * narrow


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
