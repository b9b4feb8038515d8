"""Load `.txt` / `.md` files, decoding UTF-8 first and the GB family second.

Chinese policy texts arrive as UTF-8 (with or without BOM) or as GBK/GB2312/GB18030. We never
return text decoded with a wrong guess: a file no candidate decodes strictly and plausibly raises
`UndecodableFile`.
"""
from __future__ import annotations

import hashlib
import logging
import os
import unicodedata
from pathlib import Path
from typing import Sequence

import charset_normalizer

from documents.errors import DocumentError, UndecodableFile, UnsupportedFileType
from documents.models import SourceDocument

logger = logging.getLogger(__name__)

SUPPORTED_EXTENSIONS: frozenset[str] = frozenset({".txt", ".md"})

_UTF8_BOM = b"\xef\xbb\xbf"
# Detector answers we accept, mapped to the codec we actually decode with. GB18030 is a superset
# of GBK and GB2312, so decoding with it never loses a character the narrower guess would keep.
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "cp936", "hz"}
_OTHER_ACCEPTED = {"big5", "big5hkscs", "cp950", "utf_16", "utf_16_le", "utf_16_be", "utf_32"}
# Share of characters that must be "ordinary" (letters, digits, punctuation, CJK, whitespace) for a
# decode to count as clean; mojibake is full of symbols, controls and private-use code points.
_MIN_PLAUSIBLE = 0.95


def _plausible(text: str) -> bool:
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
    return text if _plausible(text) else None


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
    best = charset_normalizer.from_bytes(raw).best()
    detected = (best.encoding if best is not None else "").lower().replace("-", "_")
    candidates: list[str] = []
    if detected in _GB_FAMILY:
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
            if detected and codec != detected and detected not in _GB_FAMILY:
                logger.info("%s: detector said %s, decoded as %s", name, detected, codec)
            return text, codec
    raise UndecodableFile(f"{name}: cannot decode as UTF-8 or GB18030/GBK (detector guess: {detected or 'none'})")


def load_file(path: str | Path) -> SourceDocument:
    """Read one supported file; the extension is checked so callers get a clear error."""
    p = Path(path)
    if p.suffix.lower() not in SUPPORTED_EXTENSIONS:
        raise UnsupportedFileType(f"{p}: unsupported file type {p.suffix or '(none)'!r}; expected one of {sorted(SUPPORTED_EXTENSIONS)}")
    try:
        raw = p.read_bytes()
    except FileNotFoundError as exc:
        raise DocumentError(f"{p}: no such file") from exc
    except OSError as exc:
        raise DocumentError(f"{p}: cannot read: {exc}") from exc
    text, encoding = decode_bytes(raw, str(p))
    return SourceDocument(
        path=str(path),
        name=p.name,
        text=text,
        encoding=encoding,
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def _walk(folder: Path) -> list[Path]:
    """Supported, non-hidden files under `folder`, recursively, sorted by relative path."""
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not _is_hidden(d)]
        for name in files:
            if _is_hidden(name):
                continue
            path = Path(root) / name
            if path.suffix.lower() in SUPPORTED_EXTENSIONS:
                found.append(path)
            else:
                logger.debug("skipping unsupported file %s", path)
    return sorted(found, key=lambda p: p.relative_to(folder).parts)


def load_paths(paths: Sequence[str | Path]) -> list[SourceDocument]:
    """Load files and folders (walked recursively); an explicitly named unsupported file raises."""
    out: list[SourceDocument] = []
    seen: set[Path] = set()
    names: dict[str, str] = {}
    for given in paths:
        p = Path(given)
        if p.is_dir():
            files = list(_walk(p))
            if not files:
                logger.warning("%s: folder holds no supported files", p)
        elif p.exists():
            files = [p]
        else:
            raise DocumentError(f"{p}: no such file or directory")
        for f in files:
            key = f.resolve()
            if key in seen:
                continue
            seen.add(key)
            doc = load_file(f)
            if doc.name in names:
                logger.warning("%s: same file name as %s; chunks will share the doc name", f, names[doc.name])
            names[doc.name] = str(f)
            out.append(doc)
    logger.info("loaded %d documents", len(out))
    return out
