"""Decode text bytes, UTF-8 first and the GB family second; load `.txt` files with it.

Chinese policy texts arrive as UTF-8 (with or without BOM) or as GBK/GB2312/GB18030. We never
return text decoded with a wrong guess: a file no candidate decodes strictly and plausibly raises
`UndecodableFile`.
"""
from __future__ import annotations

import logging
import unicodedata

import charset_normalizer

from documents.errors import UndecodableFile
from documents.loaders import file_types
from documents.loaders.base import DocumentLoader, base_name, sha256_of
from documents.models import SourceDocument

logger = logging.getLogger(__name__)

_UTF8_BOM = b"\xef\xbb\xbf"
# Detector answers we accept, mapped to the codec we actually decode with. GB18030 is a superset
# of GBK and GB2312, so decoding with it never loses a character the narrower guess would keep.
GB_FAMILY = {"gb2312", "gbk", "gb18030", "cp936", "hz"}
_OTHER_ACCEPTED = {"big5", "big5hkscs", "cp950", "utf_16", "utf_16_le", "utf_16_be", "utf_32"}
# Share of characters that must be "ordinary" (letters, digits, punctuation, CJK, whitespace) for a
# decode to count as clean; mojibake is full of symbols, controls and private-use code points.
_MIN_PLAUSIBLE = 0.95
# The detector only proposes a codec, which then must decode the whole file strictly; given the whole of a 7.4 MB
# GB18030 file it took the parsing process to a 467 MB peak, so it sees the first MiB.
DETECT_BYTES = 1 << 20


def plausible(text: str) -> bool:
    """True when decoded text looks like real text rather than a wrong-codec accident."""
    if not text:
        return True
    bad = 0
    for ch in text:
        if ch in "\n\r\t\f":
            continue
        cat = unicodedata.category(ch)
        if ch == "\ufffd" or cat in ("Cc", "Co", "Cs", "Cn"):
            bad += 1
    return 1 - bad / len(text) >= _MIN_PLAUSIBLE


def _strict(raw: bytes, codec: str) -> str | None:
    try:
        text = raw.decode(codec, errors="strict")
    except (UnicodeDecodeError, LookupError):
        return None
    return text if plausible(text) else None


def decode_bytes(raw: bytes, name: str = "<bytes>") -> tuple[str, str]:
    """Decode `raw`, returning (text, encoding); raise `UndecodableFile` rather than guess wrong."""
    if raw.startswith(_UTF8_BOM):
        text = _strict(raw[len(_UTF8_BOM):], "utf-8")
        if text is not None:
            return text, "utf-8-sig"
    else:
        text = _strict(raw, "utf-8")
        if text is not None:
            return text, "utf-8"
    best = charset_normalizer.from_bytes(raw[:DETECT_BYTES]).best()
    detected = (best.encoding if best is not None else "").lower().replace("-", "_")
    candidates: list[str] = []
    if detected in GB_FAMILY:
        candidates.append("gb18030")
    elif detected in _OTHER_ACCEPTED:
        candidates.append(detected)
    # Chinese corpora are overwhelmingly GB-encoded when not UTF-8: try it even when the detector
    # guessed something exotic (short texts fool it); strict decoding keeps this safe.
    if "gb18030" not in candidates:
        candidates.append("gb18030")
    for codec in candidates:
        text = _strict(raw, codec)
        if text is not None:
            if detected and codec != detected and detected not in GB_FAMILY:
                logger.info("%s: detector said %s, decoded as %s", name, detected, codec)
            return text, codec
    raise UndecodableFile(f"{name}: cannot decode as UTF-8 or GB18030/GBK (detector guess: {detected or 'none'})")


class TextLoader(DocumentLoader):
    """Plain text: decoded as it is, every line kept, so line numbers are the file's own."""

    extensions = file_types.TEXT
    format = "text"

    def load_bytes(self, name: str, raw: bytes) -> SourceDocument:
        text, encoding = decode_bytes(raw, name)
        return SourceDocument(path=name, name=base_name(name), text=text, encoding=encoding, sha256=sha256_of(raw))
