"""Builders of real PDF and DOCX files with Chinese text, for loader, pipeline and upload tests.

Every builder returns the file's bytes and, given a path, also writes them there. PDFs use
reportlab's built-in CID font STSong-Light (no font file needed); DOCX files use python-docx.
Import as `from builders import ...` inside this folder, or
`from tests.documents.loaders.builders import ...` from elsewhere in the suite.
"""
from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Sequence, Union

import docx
from docx.enum.style import WD_STYLE_TYPE
from PIL import Image
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

CJK_FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))

PathLike = Union[str, Path, None]
# A DOCX block: a paragraph, ("heading", level, text) with python-docx's built-in "Heading N" / "Title"
# (level 0), ("style", style_name, text) with a paragraph style of that name (created when missing,
# e.g. "标题 1"), or ("table", rows) with rows of cell texts (None: merged with the cell to its left).
DocxBlock = Union[str, tuple]


def _write(path: PathLike, raw: bytes) -> bytes:
    if path is not None:
        Path(path).write_bytes(raw)
    return raw


def _wrap(line: str, width: float, size: float) -> list[str]:
    """Break a line where it would cross the right margin, as a typesetter does."""
    out, current = [], ""
    for ch in line:
        if current and pdfmetrics.stringWidth(current + ch, CJK_FONT, size) > width:
            out.append(current)
            current = ""
        current += ch
    return out + [current] if current or not out else out


def make_chinese_pdf(path: PathLike, pages: Sequence[str], *, font_size: float = 12,
                     page_numbers: bool = True) -> bytes:
    """A text-layer PDF, one string per page ("\\n" separates paragraphs; long ones wrap at the margin)."""
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    width, height = A4
    left, top, leading = 72, height - 72, font_size * 1.6
    for number, page in enumerate(pages, start=1):
        pdf.setFont(CJK_FONT, font_size)
        y = top
        for paragraph in page.split("\n"):
            for line in _wrap(paragraph, width - 2 * left, font_size):
                pdf.drawString(left, y, line)
                y -= leading
        if page_numbers:
            pdf.drawCentredString(width / 2, 36, f"- {number} -")
        pdf.showPage()
    pdf.save()
    return _write(path, buf.getvalue())


def make_image_pdf(path: PathLike, pages: int = 2) -> bytes:
    """A PDF of images and drawings only, like a scan without any writing: no text layer, and nothing for OCR to
    read. Its pages are small (a receipt's), so that OCR finding nothing on them costs the tests little."""
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=(200, 260))
    for _ in range(pages):
        image = Image.new("L", (200, 260), 255)  # blank paper: nothing for OCR to find (noise made it find boxes)
        pdf.drawImage(ImageReader(image), 20, 20, width=160, height=220)
        pdf.rect(10, 10, 180, 240)
        pdf.showPage()
    pdf.save()
    return _write(path, buf.getvalue())


def make_corrupt_pdf(path: PathLike, size: int = 4096, seed: int = 1) -> bytes:
    """A PDF header followed by random bytes."""
    rng = random.Random(seed)
    return _write(path, b"%PDF-1.7\n" + bytes(rng.randrange(256) for _ in range(size)))


def make_encrypted_pdf(path: PathLike, pages: Sequence[str], *, user_password: str = "secret",
                       owner_password: str = "owner", algorithm: str = "AES-128") -> bytes:
    """`make_chinese_pdf` encrypted; an empty user password opens without one (owner restrictions only)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_chinese_pdf(None, pages))))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm=algorithm)
    buf = io.BytesIO()
    writer.write(buf)
    return _write(path, buf.getvalue())


def make_docx(path: PathLike, blocks: Sequence[DocxBlock]) -> bytes:
    """A .docx with the given paragraphs, headings and tables in this order (see `DocxBlock`)."""
    document = docx.Document()
    for block in blocks:
        if isinstance(block, str):
            document.add_paragraph(block)
        elif block[0] == "heading":
            document.add_heading(block[2], level=block[1])
        elif block[0] == "style":
            _, style_name, text = block
            if style_name not in [s.name for s in document.styles]:
                document.styles.add_style(style_name, WD_STYLE_TYPE.PARAGRAPH)
            document.add_paragraph(text, style=style_name)
        elif block[0] == "table":
            rows = block[1]
            table = document.add_table(rows=len(rows), cols=max(len(r) for r in rows))
            for r, row in enumerate(rows):
                for c, text in enumerate(row):
                    if text is None:
                        table.cell(r, c - 1).merge(table.cell(r, c))
                    else:
                        table.cell(r, c).text = text
        else:
            raise ValueError(f"unknown DOCX block {block!r}")
    buf = io.BytesIO()
    document.save(buf)
    return _write(path, buf.getvalue())
