"""Word .docx via python-docx: body paragraphs and tables in document order, headings from styles.

Why python-docx: the maintained reader of the OOXML word format (MIT, on lxml), exposing paragraph
styles, which is where a Word file states its structure. Headings are paragraphs styled
"Heading N" / "标题 N" / "Title" (or derived from such a style), or carrying an outline level;
they become heading hints. Each table row becomes one line, cells joined by " | ", so a row reads
as a row instead of one cell per line; a one-column table (a 专栏 box) keeps its paragraphs as
lines. Headers, footers, comments and text boxes are left out. A .docx beyond the caps of limits.py (members,
expanded bytes, XML bytes and tags: a zip bomb) is refused as `DocumentTooLarge` before python-docx opens it.
Automatic list numbering is not rendered (Chinese documents mostly type their 一、 （一） by hand).
"""
from __future__ import annotations

import io
import logging
import re
import zipfile
from typing import Any, Iterator

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn

from documents.errors import CorruptDocument, DocumentTooLarge
from documents.loaders import file_types
from documents.loaders.base import DocumentLoader
from documents.loaders.inline_text import collapse_whitespace
from documents.loaders.limits import (MAX_DOCX_EXPANDED_BYTES, MAX_DOCX_MEMBERS, MAX_DOCX_XML_BYTES,
                                      MAX_DOCX_XML_TAGS, MiB)
from documents.loaders.text_builder import TextBuilder
from documents.models import SourceDocument

logger = logging.getLogger(__name__)

CELL_SEPARATOR = " | "
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*([1-9])$", re.IGNORECASE)
_TITLE_STYLES = frozenset({"title", "标题"})
_BODY_OUTLINE = 9  # w:outlineLvl 9 means "body text"; 0-8 are heading levels 1-9
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # compound file: legacy .doc or an encrypted Office file
_MAX_STYLE_DEPTH = 10
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_READ_CHUNK = 1 * MiB


def _xml_tags(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> int:
    """Tags ("<") in one XML member, streamed so a bomb is never held whole; stops once past `budget`.
    zipfile never inflates beyond a member's declared size, so the declared sizes checked before are real bounds."""
    tags = 0
    with archive.open(info) as member:
        while tags <= budget:
            block = member.read(_READ_CHUNK)
            if not block:
                break
            tags += block.count(b"<")
    return tags


def check_package(name: str, raw: bytes) -> None:
    """Refuse a .docx whose zip holds more than a real document: too many members, too many bytes once expanded,
    too much XML or too many XML tags. Damage is left to python-docx to report in its own words."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = archive.infolist()
            if len(members) > MAX_DOCX_MEMBERS:
                raise DocumentTooLarge(f"{name}: the .docx holds {len(members):,} parts; real documents hold far "
                                       f"fewer (the limit is {MAX_DOCX_MEMBERS:,})", "docx_members")
            expanded = sum(info.file_size for info in members)
            if expanded > MAX_DOCX_EXPANDED_BYTES:
                raise DocumentTooLarge(f"{name}: expands to {expanded // MiB:,} MiB; refusing a .docx this large "
                                       f"(the limit is {MAX_DOCX_EXPANDED_BYTES // MiB} MiB)", "docx_expanded_bytes")
            xml = [info for info in members if info.filename.lower().endswith(_XML_SUFFIXES)]
            xml_bytes = sum(info.file_size for info in xml)
            if xml_bytes > MAX_DOCX_XML_BYTES:
                raise DocumentTooLarge(f"{name}: holds {xml_bytes // MiB:,} MiB of XML (the limit is "
                                       f"{MAX_DOCX_XML_BYTES // MiB} MiB)", "docx_xml_bytes")
            tags = 0
            for info in xml:
                tags += _xml_tags(archive, info, MAX_DOCX_XML_TAGS - tags)
                if tags > MAX_DOCX_XML_TAGS:
                    raise DocumentTooLarge(f"{name}: holds more than {MAX_DOCX_XML_TAGS:,} XML elements, far more "
                                           "than a real document (a zip bomb?)", "docx_xml_tags")
    except DocumentTooLarge:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return  # python-docx reports the damage with its own words


_PPR, _OUTLINE, _VAL = qn("w:pPr"), qn("w:outlineLvl"), qn("w:val")
_P, _TBL, _R, _HYPERLINK = qn("w:p"), qn("w:tbl"), qn("w:r"), qn("w:hyperlink")


def _blocks(element: Any, parent: Any) -> Iterator[Paragraph | Table]:
    """The paragraphs and tables directly inside a body or a cell, in order. python-docx's own
    `iter_inner_content` asks libxml2 for the XPath union "./w:p | ./w:tbl", which sorts quadratically: 41 s
    for a body of 25,000 paragraphs."""
    for child in element:
        if child.tag == _P:
            yield Paragraph(child, parent)
        elif child.tag == _TBL:
            yield Table(child, parent)


_RUN_CONTENT = frozenset(qn(t) for t in ("w:br", "w:cr", "w:noBreakHyphen", "w:ptab", "w:t", "w:tab"))


def _run_text(run: Any) -> str:
    """A run's text with tabs and breaks as characters, as python-docx's `CT_R.text` gives it (its XPath union
    cost 0.1 ms a run in a large document)."""
    return "".join(str(child) for child in run if child.tag in _RUN_CONTENT)


def _paragraph_text(paragraph: Paragraph) -> str:
    """The text of a paragraph's runs and hyperlinks' runs, as `Paragraph.text` gives it, child by child."""
    parts: list[str] = []
    for child in paragraph._p:
        if child.tag == _R:
            parts.append(_run_text(child))
        elif child.tag == _HYPERLINK:
            parts.extend(_run_text(run) for run in child if run.tag == _R)
    return "".join(parts)


def _outline_level(element: Any) -> int | None:
    """w:outlineLvl of a paragraph's or style's properties, if stated. Walked child by child: an lxml xpath
    call costs time in proportion to the whole document (0.6 ms a paragraph in a 25,000-paragraph one)."""
    ppr = element.find(_PPR)
    outline = ppr.find(_OUTLINE) if ppr is not None else None
    value = outline.get(_VAL) if outline is not None else None
    return int(value) if value is not None and value.isdigit() else None


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


def heading_level(paragraph: Paragraph, style_levels: dict[str | None, int | None] | None = None) -> int | None:
    """0 for a title, 1-9 for headings, None for body paragraphs. `style_levels` memoises the level of each
    style id: python-docx's `paragraph.style` scans every style for the default one on each call (5 ms a
    paragraph: a 25,000-paragraph document took 99 s), so a document's paragraphs look each style up once."""
    outline = _outline_level(paragraph._p)
    if outline is not None:
        return outline + 1 if outline < _BODY_OUTLINE else None
    if style_levels is None:
        return _style_level(paragraph.style)
    style_id = paragraph._p.style
    if style_id not in style_levels:
        style_levels[style_id] = _style_level(paragraph.part.get_style(style_id, WD_STYLE_TYPE.PARAGRAPH))
    return style_levels[style_id]


def _cell_text(cell: Any) -> str:
    """A cell's paragraphs and nested tables as one line."""
    parts: list[str] = []
    for item in _blocks(cell._tc, cell):
        if isinstance(item, Table):
            parts.extend(_table_lines(item))
        else:
            parts.append(collapse_whitespace(_paragraph_text(item)))
    return " ".join(p for p in parts if p)


def _cell_lines(cell: Any) -> list[str]:
    """A cell's paragraphs one per line, nested tables as rows."""
    lines: list[str] = []
    for item in _blocks(cell._tc, cell):
        lines.extend(_table_lines(item) if isinstance(item, Table) else [collapse_whitespace(_paragraph_text(item))])
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

    extensions = file_types.DOCX
    format = "docx"

    def load_bytes(self, name: str, raw: bytes) -> SourceDocument:
        if raw.startswith(_OLE_MAGIC):
            raise CorruptDocument(
                f"{name}: not a .docx but an old binary .doc or a password-protected document; "
                "save it as .docx without a password"
            )
        check_package(name, raw)
        try:
            document = docx.Document(io.BytesIO(raw))
        except Exception as exc:  # BadZipFile, KeyError, ValueError, XMLSyntaxError ...: all unreadable
            raise CorruptDocument(f"{name}: not a readable .docx ({type(exc).__name__}: {exc})") from exc
        builder = TextBuilder()
        style_levels: dict[str | None, int | None] = {}
        try:
            for item in _blocks(document.element.body, document._body):
                if isinstance(item, Table):
                    for line in _table_lines(item):
                        builder.add_line(line)
                    continue
                text = collapse_whitespace(_paragraph_text(item))
                level = heading_level(item, style_levels)
                if level is None:
                    builder.add_line(text)
                else:
                    builder.add_heading(text, level)
        except Exception as exc:
            raise CorruptDocument(f"{name}: damaged .docx body ({type(exc).__name__}: {exc})") from exc
        return builder.build(name, raw, self.format, "binary")
