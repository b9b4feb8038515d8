"""Word .docx via python-docx: body paragraphs and tables in document order, headings from styles.

Why python-docx: the maintained reader of the OOXML word format (MIT, on lxml), exposing paragraph
styles, which is where a Word file states its structure. Headings are paragraphs styled
"Heading N" / "标题 N" / "Title" (or derived from such a style), or carrying an outline level;
they become heading hints. Each table row becomes one line, cells joined by " | ", so a row reads
as a row instead of one cell per line; a one-column table (a 专栏 box) keeps its paragraphs as
lines. Headers, footers, comments and text boxes are left out; a .docx that would expand beyond
512 MiB (a zip bomb) is refused.
Automatic list numbering is not rendered (Chinese documents mostly type their 一、 （一） by hand).
"""
from __future__ import annotations

import io
import logging
import re
import zipfile
from typing import Any

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from documents.errors import CorruptDocument
from documents.loaders.base import DocumentLoader
from documents.loaders.inline_text import collapse_whitespace
from documents.loaders.text_builder import TextBuilder
from documents.models import SourceDocument

logger = logging.getLogger(__name__)

CELL_SEPARATOR = " | "
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*([1-9])$", re.IGNORECASE)
_TITLE_STYLES = frozenset({"title", "标题"})
_BODY_OUTLINE = 9  # w:outlineLvl 9 means "body text"; 0-8 are heading levels 1-9
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # compound file: legacy .doc or an encrypted Office file
_MAX_STYLE_DEPTH = 10
# An upload may be small and still expand enormously (a zip bomb); real documents stay far below this.
MAX_EXPANDED_BYTES = 512 * 1024 * 1024


def _check_expanded_size(name: str, raw: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # python-docx reports the damage with its own words
    if expanded > MAX_EXPANDED_BYTES:
        raise CorruptDocument(f"{name}: expands to {expanded // 2**20} MiB; refusing a .docx this large")


def _outline_level(element: Any) -> int | None:
    """w:outlineLvl of a paragraph's or style's properties, if stated."""
    values = element.xpath("./w:pPr/w:outlineLvl/@w:val")
    return int(values[0]) if values and str(values[0]).isdigit() else None


def _style_level(style: Any) -> int | None:
    """Heading level a paragraph style (or the style it is based on) gives; None for body text."""
    for _ in range(_MAX_STYLE_DEPTH):
        if style is None:
            return None
        name = (style.name or "").strip()
        m = _HEADING_STYLE.match(name)
        if m:
            return int(m.group(1))
        if name.lower() in _TITLE_STYLES:
            return 0
        outline = _outline_level(style.element)
        if outline is not None:
            return outline + 1 if outline < _BODY_OUTLINE else None
        style = style.base_style
    return None


def heading_level(paragraph: Paragraph) -> int | None:
    """0 for a title, 1-9 for headings, None for body paragraphs."""
    outline = _outline_level(paragraph._p)
    if outline is not None:
        return outline + 1 if outline < _BODY_OUTLINE else None
    return _style_level(paragraph.style)


def _cell_text(cell: Any) -> str:
    """A cell's paragraphs and nested tables as one line."""
    parts: list[str] = []
    for item in cell.iter_inner_content():
        if isinstance(item, Table):
            parts.extend(_table_lines(item))
        else:
            parts.append(collapse_whitespace(item.text))
    return " ".join(p for p in parts if p)


def _cell_lines(cell: Any) -> list[str]:
    """A cell's paragraphs one per line, nested tables as rows."""
    lines: list[str] = []
    for item in cell.iter_inner_content():
        lines.extend(_table_lines(item) if isinstance(item, Table) else [collapse_whitespace(item.text)])
    return lines


def _distinct_cells(row: Any) -> list[Any]:
    """The row's cells, a merged cell spanning several columns once."""
    cells: list[Any] = []
    for cell in row.cells:
        if not cells or cell._tc is not cells[-1]._tc:
            cells.append(cell)
    return cells


def _table_lines(table: Table) -> list[str]:
    """One line per row, cells joined by CELL_SEPARATOR. A one-column table is a box around text
    (专栏, a framed notice), not data: its paragraphs stay separate lines."""
    rows = [_distinct_cells(row) for row in table.rows]
    if all(len(cells) <= 1 for cells in rows):
        return [line for cells in rows for cell in cells for line in _cell_lines(cell)]
    lines: list[str] = []
    for cells in rows:
        texts = [_cell_text(cell) for cell in cells]
        if any(texts):
            lines.append(CELL_SEPARATOR.join(texts))
    return lines


class DocxLoader(DocumentLoader):
    """Word 2007+ documents."""

    extensions = (".docx",)
    format = "docx"

    def load_bytes(self, name: str, raw: bytes) -> SourceDocument:
        if raw.startswith(_OLE_MAGIC):
            raise CorruptDocument(
                f"{name}: not a .docx but an old binary .doc or a password-protected document; "
                "save it as .docx without a password"
            )
        _check_expanded_size(name, raw)
        try:
            document = docx.Document(io.BytesIO(raw))
        except Exception as exc:  # BadZipFile, KeyError, ValueError, XMLSyntaxError ...: all unreadable
            raise CorruptDocument(f"{name}: not a readable .docx ({type(exc).__name__}: {exc})") from exc
        builder = TextBuilder()
        try:
            for item in document.iter_inner_content():
                if isinstance(item, Table):
                    for line in _table_lines(item):
                        builder.add_line(line)
                    continue
                text = collapse_whitespace(item.text)
                level = heading_level(item)
                if level is None:
                    builder.add_line(text)
                else:
                    builder.add_heading(text, level)
        except Exception as exc:
            raise CorruptDocument(f"{name}: damaged .docx body ({type(exc).__name__}: {exc})") from exc
        return builder.build(name, raw, self.format, "binary")
