"""Markdown via markdown-it-py: # headings become structure, markup is stripped, blocks keep their lines.

Why markdown-it-py: a maintained CommonMark parser (MIT, executablebooks) whose tokens carry the
source lines of every block, with GFM tables built in; regular expressions get nested emphasis,
setext headings and code fences wrong. Each block is written on the line it starts on in the
source (a paragraph wrapped over several lines becomes one line there), so chunk line numbers
still point into the original .md file. Emphasis marks go, links keep their text, images their
alt text, code (inline and fenced) is kept as text, ordered list items keep their numbers, table
rows become one line with cells joined by " | ". YAML front matter is skipped.
"""
from __future__ import annotations

import logging
import re
from typing import Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token

from documents.loaders import file_types
from documents.loaders.base import DocumentLoader
from documents.loaders.html_loader import fragment_lines
from documents.loaders.inline_text import collapse_whitespace
from documents.loaders.text_builder import TextBuilder
from documents.loaders.text_loader import decode_bytes
from documents.models import SourceDocument

logger = logging.getLogger(__name__)

CELL_SEPARATOR = " | "
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)


def strip_front_matter(text: str) -> str:
    """Blank out a leading YAML block (commonmark would read it as a rule and a heading), keeping line numbers."""
    m = _FRONT_MATTER.match(text)
    return "\n" * m.group(0).count("\n") + text[m.end():] if m else text


def inline_text(children: Sequence[Token] | None) -> str:
    """Plain text of an inline token's children: markup dropped, breaks soft-joined."""
    parts: list[str] = []
    for tok in children or ():
        if tok.type in ("text", "code_inline"):
            parts.append(tok.content)
        elif tok.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif tok.type == "image":
            parts.append(tok.content)  # the alt text
    return collapse_whitespace("".join(parts))


def _line(tok: Token) -> int | None:
    return tok.map[0] + 1 if tok.map else None


class _Renderer:
    """Walks the block token stream and writes lines into a builder."""

    def __init__(self) -> None:
        self.builder = TextBuilder()
        self.heading_level: int | None = None
        self.row: list[str] | None = None
        self.row_line: int | None = None
        self.item_prefix = ""

    def inline(self, tok: Token) -> None:
        text = inline_text(tok.children)
        if self.row is not None:
            self.row.append(text)
        elif self.heading_level is not None:
            self.builder.add_heading(text, self.heading_level, _line(tok))
        else:
            self.builder.add_line(self.item_prefix + text, _line(tok))
            self.item_prefix = ""

    def code(self, tok: Token) -> None:
        first = _line(tok)
        if first is not None and tok.type == "fence":
            first += 1  # the opening ``` line
        for k, line in enumerate(tok.content.rstrip("\n").split("\n")):
            self.builder.add_line(line, None if first is None else first + k)

    def render(self, tokens: Sequence[Token]) -> TextBuilder:
        for tok in tokens:
            kind = tok.type
            if kind == "heading_open":
                self.heading_level = int(tok.tag[1:])
            elif kind == "heading_close":
                self.heading_level = None
            elif kind == "inline":
                self.inline(tok)
            elif kind == "list_item_open":
                self.item_prefix = f"{tok.info}{tok.markup} " if tok.info else ""
            elif kind == "tr_open":
                self.row, self.row_line = [], _line(tok)
            elif kind == "tr_close":
                if self.row and any(self.row):
                    self.builder.add_line(CELL_SEPARATOR.join(self.row), self.row_line)
                self.row = None
            elif kind in ("fence", "code_block"):
                self.code(tok)
            elif kind == "html_block":
                first = _line(tok)
                for k, line in enumerate(fragment_lines(tok.content)):
                    self.builder.add_line(line, None if first is None else first + k)
        return self.builder


class MarkdownLoader(DocumentLoader):
    """Markdown files (.md, .markdown), decoded like text files."""

    extensions = file_types.MARKDOWN
    format = "markdown"

    def __init__(self) -> None:
        self._parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])

    def load_bytes(self, name: str, raw: bytes) -> SourceDocument:
        text, encoding = decode_bytes(raw, name)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        tokens = self._parser.parse(strip_front_matter(text))
        return _Renderer().render(tokens).build(name, raw, self.format, encoding)
