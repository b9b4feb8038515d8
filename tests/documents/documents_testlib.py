"""Helpers shared by the documents/ tests (a uniquely named module, importable from test files)."""
from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

from documents import SourceDocument

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "data" / "corpus"


def normalize(s: str) -> str:
    """The evaluation's matching form (FORMAT.md)."""
    s = unicodedata.normalize("NFKC", s)
    return "".join(c for c in s if not c.isspace() and not unicodedata.category(c).startswith("P"))


def make_source(text: str, name: str = "snippet.txt") -> SourceDocument:
    raw = text.encode("utf-8", errors="surrogatepass")
    return SourceDocument(path=name, name=name, text=text, encoding="utf-8", sha256=hashlib.sha256(raw).hexdigest())


def corpus_lines(name: str, first: int, last: int) -> str:
    """Lines first..last (1-based, inclusive) of a corpus file, exactly as stored."""
    lines = (CORPUS / name).read_text(encoding="utf-8").split("\n")
    return "\n".join(lines[first - 1:last])


def excerpt(name: str, first: int, last: int) -> str:
    """Lines first..last of a corpus file, cut back to the last line that ends a sentence.

    Excerpts glued together must not end mid-sentence, or the cleaner would rightly join the
    next excerpt's first line onto it.
    """
    lines = corpus_lines(name, first, last).split("\n")
    while lines and not lines[-1].rstrip().endswith(("。", "；", "：")):
        lines.pop()
    return "\n".join(lines)
