"""An answer's sources written into its text, for clients that show only the text.

Most chat clients display the message text and nothing else: LangChain's ChatOpenAI keeps the `[1]` of a chat
completion but drops its top-level `citations`, and a chat-tool bot posts text. So the sources also travel as
footnotes under the answer, one line per cited passage: its document, member title, section and page (lines
for sources without pages), then the cited sentence when the answer's text does not already say it: a short
answer ("33 所[1]") is checkable in a chat client only with the sentence that states it. The block is Markdown that reads as plain text too: a heading line and a bullet
list (a list may follow a paragraph line directly, so no blank line is needed inside the block).

Any face calls `footnotes(answer.citations, answer.answer)` (chat completions, MCP, the chat-tool channels) and gets the same
block; `without_footnotes` takes it off again (a chat client sends earlier answers back as history).
"""
from __future__ import annotations

import re
from pathlib import PurePath
from typing import Sequence

from documents.cleaning.chars import normalize_for_match
from documents.models import Chunk
from qa_service.types import Citation

HEADING = "来源："
SEPARATOR = "\n\n"  # between the answer and the block: a paragraph break in Markdown, a blank line in text
# Heading paths run to whole sentences ("（一）海淀区是全国智力资源最富集的区域之一。"); their start names them.
MAX_SECTION_CHARS = 80
# A quote is a sentence or two (readers/); an LLM answer's may be longer: whole sentences up to this, else cut.
MAX_QUOTE_CHARS = 160
_SENTENCE_END = re.compile(r"(?<=[。！？；])")
_PARTS = "，"
_BLOCK_START = SEPARATOR + HEADING + "\n- ["


def source_line(citation: Citation) -> str:
    """`[n] document，《title》，section，第 p 页` for one cited passage (parts it lacks are left out)."""
    return source_of(citation.ref, citation.passage.chunk)


def source_of(ref: int, chunk: Chunk) -> str:
    """The same line for any numbered passage (a search result, say)."""
    parts = [chunk.doc]
    if chunk.title and chunk.title != PurePath(chunk.doc).stem:
        parts.append(f"《{chunk.title}》")
    section = " ".join(chunk.section.split()).rstrip("。；：:，,")  # the parts are joined with "，"
    if section:
        parts.append(section if len(section) <= MAX_SECTION_CHARS else section[:MAX_SECTION_CHARS - 1] + "…")
    parts.append(_place(chunk.page, chunk.page_end, chunk.line_start, chunk.line_end))
    return f"[{ref}] " + _PARTS.join(parts)


def cited_line(citation: Citation, answer: str) -> str:
    """The source line, then `：“the cited sentence”` when `answer` does not already contain it."""
    quote = supporting_quote(citation, answer)
    return source_line(citation) + (f"：“{quote}”" if quote else "")


def supporting_quote(citation: Citation, answer: str) -> str:
    """The cited sentence(s) on one line, whole sentences up to MAX_QUOTE_CHARS; "" when the answer says them."""
    flat = " ".join(citation.quote.split())
    if not flat or normalize_for_match(flat) in normalize_for_match(answer):  # spacing, [1], a 。 aside
        return ""
    kept = ""
    for sentence in (s for s in _SENTENCE_END.split(flat) if s):
        if len(kept) + len(sentence) > MAX_QUOTE_CHARS:
            break
        kept += sentence
    return kept or flat[:MAX_QUOTE_CHARS - 1] + "…"


def _place(page: int | None, page_end: int | None, line_start: int, line_end: int) -> str:
    if page is not None:
        last = page_end or page
        return f"第 {page} 页" if last == page else f"第 {page}–{last} 页"
    return f"第 {line_start} 行" if line_end == line_start else f"第 {line_start}–{line_end} 行"


def footnotes(citations: Sequence[Citation], answer: str = "") -> str:
    """The block to append to the text `answer` (with its leading blank line), or "" when nothing is cited."""
    if not citations:
        return ""
    return SEPARATOR + HEADING + "\n" + "\n".join("- " + cited_line(c, answer) for c in citations)


def with_footnotes(text: str, citations: Sequence[Citation]) -> str:
    return text + footnotes(citations, text)


def without_footnotes(text: str) -> str:
    """The text with a footnote block this module wrote taken off its end (other text is returned as it is)."""
    at = text.rfind(_BLOCK_START)
    if at < 0:
        return text
    block = text[at + len(SEPARATOR + HEADING) + 1:].split("\n")
    return text[:at] if all(line.startswith("- [") for line in block) else text
