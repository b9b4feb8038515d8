"""Split cleaned documents into token-bounded chunks that follow the heading structure.

Each section (the text from one heading to the next) is split on its own, so a chunk carries one
heading path and never crosses a member-document boundary. A heading with no text of its own
(e.g. "二、总体要求" directly followed by "（一）指导思想", or a compilation's theme line above a
title) is folded into the next section, so the heading text still opens a chunk. Inside a section
LangChain's RecursiveCharacterTextSplitter cuts at paragraphs, then sentence ends, then commas,
then characters, keeping punctuation with its sentence; sizes are tiktoken token counts.
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass

from documents.cleaning.chars import normalize_for_match
from documents.cleaning.pdf_text_cleaner import line_at
from documents.chunking.config import ChunkingConfig
from documents.chunking.piece_alignment import align_pieces
from documents.chunking.tokens import token_counter
from documents.models import SECTION_SEPARATOR, Chunk, CleanedDocument, Heading

logger = logging.getLogger(__name__)

SEPARATORS = ["\n\n", "\n", "。", "！", "？", "；", "!", "?", ";", "，", "、", ",", ""]
# Chunks under this share of the token limit grow into the text that follows them.
SHORT_CHUNK_SHARE = 0.5
_BOUNDARY = re.compile(r"[。！？；!?;\n]+|[，、,](?=\S)")
# A list number ("12.") may be all that is left of a title line once the title text is removed.
_HEADING_ONLY_SLACK = 3


@dataclass(frozen=True)
class Section:
    """A stretch of cleaned text under one heading path."""

    start: int
    end: int
    title: str
    path: tuple[str, ...]
    heading: Heading | None
    opens_member: bool  # starts at a level-0 heading (theme or member title)


def sections(cleaned: CleanedDocument) -> list[Section]:
    """Sections of `cleaned` in order, with their member title and heading path."""
    headings = sorted(cleaned.headings, key=lambda h: h.start)
    raw: list[Section] = []
    title = cleaned.title
    path: list[Heading] = []
    if not headings or headings[0].start > 0:
        raw.append(Section(0, 0, title, (), None, False))
    for h in headings:
        if h.level == 0:
            if h.kind == "title":
                title = h.text
            path = []
            raw.append(Section(h.start, 0, title, (), h, True))
        else:
            path = [p for p in path if p.level < h.level] + [h]
            raw.append(Section(h.start, 0, title, tuple(p.text for p in path), h, False))
    out: list[Section] = []
    for i, s in enumerate(raw):
        end = raw[i + 1].start if i + 1 < len(raw) else len(cleaned.text)
        out.append(Section(s.start, end, s.title, s.path, s.heading, s.opens_member))
    # A theme's title is only known at the title that follows: fix it up backwards.
    fixed: list[Section] = []
    for i, s in enumerate(out):
        if s.heading is not None and s.heading.kind == "theme":
            nxt = next((o for o in out[i + 1:] if o.heading is not None and o.heading.kind == "title"), None)
            if nxt is not None:
                s = Section(s.start, s.end, nxt.title, (), s.heading, True)
        fixed.append(s)
    return [s for s in fixed if s.end > s.start]


def _heading_only(text: str, heading: Heading | None) -> bool:
    if heading is None:
        return not text.strip()
    return len(normalize_for_match(text)) <= len(normalize_for_match(heading.text)) + _HEADING_ONLY_SLACK


def merged_sections(cleaned: CleanedDocument) -> list[Section]:
    """Sections with heading-only ones folded into the section that follows them."""
    secs = sections(cleaned)
    out: list[Section] = []
    pending: int | None = None
    for i, s in enumerate(secs):
        nxt = secs[i + 1] if i + 1 < len(secs) else None
        text = cleaned.text[s.start:s.end]
        if nxt is not None and _heading_only(text, s.heading):
            is_theme = s.heading is not None and s.heading.kind == "theme"
            if is_theme or not nxt.opens_member:
                pending = s.start if pending is None else pending
                continue
        start = pending if pending is not None else s.start
        pending = None
        out.append(Section(start, s.end, s.title, s.path, s.heading, s.opens_member))
    return out


def _chunk_id(doc: str, start: int, text: str) -> str:
    return hashlib.sha1(f"{doc}\x00{start}\x00{text}".encode("utf-8")).hexdigest()[:16]


class ChineseChunker:
    """Token-bounded, heading-aware chunking of cleaned Chinese documents."""

    def __init__(self, config: ChunkingConfig | None = None) -> None:
        self.config = config or ChunkingConfig()
        self.count_tokens = token_counter(self.config.encoding)
        # Imported here, not with the module: LangChain takes about a second to import, which a process that only
        # reads chunks (every `qa` command but ingest) should not pay.
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        self._splitter = RecursiveCharacterTextSplitter(
            separators=SEPARATORS,
            keep_separator="end",
            chunk_size=self.config.chunk_tokens,
            chunk_overlap=self.config.overlap_tokens,
            length_function=self.count_tokens,
            strip_whitespace=True,
        )

    def _pieces(self, text: str) -> list[tuple[int, int]]:
        """(start, end) offsets in `text` of the splitter's chunks, short ones grown forward."""
        pieces = self._splitter.split_text(text)
        return self._grow_short(text, align_pieces(text, pieces, self.config.overlap_tokens, self.count_tokens))

    def _grow_short(self, text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Let a short chunk followed by more text absorb following sentences up to the limit.

        The splitter leaves a heading line alone when the paragraph after it is too long to join
        whole ("三、优化升级数字基础设施" then 600 tokens); such a chunk is useless for retrieval.
        It is extended to the last sentence boundary that fits, and the next chunk then starts later,
        so that the two share no more than the configured overlap.
        """
        limit = self.config.chunk_tokens
        out: list[tuple[int, int]] = []
        spans = list(spans)
        for i, (a, b) in enumerate(spans):
            if out and a >= out[-1][0] and b <= out[-1][1]:
                continue  # swallowed by the grown chunk before it
            if out and a < out[-1][1]:
                a = self._start_within_overlap(text, a, out[-1][1], b)
            if i + 1 < len(spans) and self.count_tokens(text[a:b]) < limit * SHORT_CHUNK_SHARE:
                best = b
                for m in _BOUNDARY.finditer(text, b, spans[i + 1][1]):
                    end = m.end()
                    if self.count_tokens(text[a:end]) > limit:
                        break
                    best = end
                b = len(text[:best].rstrip())
            out.append((a, b))
        return out

    def _start_within_overlap(self, text: str, start: int, previous_end: int, end: int) -> int:
        """The earliest start at or after `start` (a sentence boundary if one serves) from which the text
        shared with a chunk ending at `previous_end` fits the overlap budget."""
        budget = self.config.overlap_tokens
        if self.count_tokens(text[start:previous_end]) <= budget:
            return start
        for m in _BOUNDARY.finditer(text, start, previous_end):
            if self.count_tokens(text[m.end():previous_end]) <= budget:
                return m.end() + len(text[m.end():end]) - len(text[m.end():end].lstrip())
        low, high = start, previous_end  # no boundary serves: the first character that does
        while low < high:
            mid = (low + high) // 2
            if self.count_tokens(text[mid:previous_end]) <= budget:
                high = mid
            else:
                low = mid + 1
        return low

    def chunk(self, cleaned: CleanedDocument) -> list[Chunk]:
        """Chunks of one cleaned document, in text order."""
        chunks: list[Chunk] = []
        for sec in merged_sections(cleaned):
            body = cleaned.text[sec.start:sec.end]
            if not body.strip():
                continue
            for a, b in self._pieces(body):
                start, end = sec.start + a, sec.start + b
                text = cleaned.text[start:end]
                chunks.append(
                    Chunk(
                        id=_chunk_id(cleaned.name, start, text),
                        doc=cleaned.name,
                        title=sec.title,
                        section=SECTION_SEPARATOR.join(sec.path),
                        text=text,
                        start=start,
                        end=end,
                        line_start=line_at(cleaned, start),
                        line_end=line_at(cleaned, end - 1),
                    )
                )
        return chunks
