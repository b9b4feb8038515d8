"""Builders of hostile documents, small on the wire and costly to open, at sizes the suite can afford.

The full-size versions (issue 16: a 147 KB DOCX expanding to 100 MB, a 684 KB PDF of 10 x 70 MB streams, a
10,000-page PDF, 1,200 nested <div>s, 335 KB of nested tables, 200 KB of random GBK pairs) are these builders
with larger arguments.
"""
from __future__ import annotations

import io
import random
import zipfile
import zlib

from tests.documents.loaders.builders import make_docx


def docx_bomb(expanded_bytes: int, element: bytes = b"<w:p/>") -> bytes:
    """A real .docx (python-docx made) whose body is `expanded_bytes` of empty paragraphs, deflated."""
    base = zipfile.ZipFile(io.BytesIO(make_docx(None, ["正文。"])))
    head = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w=' \
           b'"http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    tail = b"</w:body></w:document>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in base.infolist():
            if info.filename != "word/document.xml":
                archive.writestr(info.filename, base.read(info.filename))
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(head)
            block = element * (1 << 16)
            written = 0
            while written < expanded_bytes:
                member.write(block)
                written += len(block)
            member.write(tail)
    return out.getvalue()


def raw_pdf(pages: int, content: bytes, compress: bool = True) -> bytes:
    """A hand-written PDF of `pages` pages that all draw the same content stream (one object, shared)."""
    data = zlib.compress(content, 9) if compress else content
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % (5 + i) for i in range(pages)) + b"] /Count %d >>" % pages,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d%s >>\nstream\n" % (len(data), b" /Filter /FlateDecode" if compress else b"") + data
        + b"\nendstream",
    ]
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> " \
           b"/Contents 4 0 R >>"
    objects.extend(page for _ in range(pages))
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def pdf_with_huge_stream(pages: int, stream_bytes: int) -> bytes:
    """Pages whose content stream inflates to `stream_bytes` of drawing operators (a few KB deflated)."""
    op = b"1 0 0 1 0 0 cm\n"
    return raw_pdf(pages, b"BT /F1 12 Tf 72 720 Td (text) Tj ET\n" + op * (stream_bytes // len(op)))


def many_page_pdf(pages: int) -> bytes:
    """`pages` pages each drawing one line of text."""
    return raw_pdf(pages, b"BT /F1 12 Tf 72 720 Td (page text) Tj ET\n")


def nested_html(depth: int, tag: str = "div") -> bytes:
    return ("<html><body>" + f"<{tag}>" * depth + "正文内容" + f"</{tag}>" * depth + "</body></html>").encode()


def nested_tables_html(depth: int) -> bytes:
    return ("<html><body>" + "<table><tr><td>格" * depth + "正文内容" + "</td></tr></table>" * depth
            + "</body></html>").encode()


def random_gbk_pairs(size: int, seed: int = 16, han_only: bool = True) -> bytes:
    """Random GBK double-byte codes; they decode strictly as GBK/GB18030. `han_only`: from the Han areas (GB2312's
    B0-F7 x A1-FE and GBK/3's 81-A0 x 40-FE), which decode to ordinary Han characters that only a language check
    tells from text; otherwise from the whole double-byte range (user-defined and unassigned codes included)."""
    rng = random.Random(seed)
    out = bytearray()
    while len(out) < size:
        if not han_only:
            lead, trail = rng.randint(0x81, 0xFE), rng.randint(0x40, 0xFE)
        elif rng.random() < 0.5:
            lead, trail = rng.randint(0xB0, 0xF7), rng.randint(0xA1, 0xFE)
        else:
            lead, trail = rng.randint(0x81, 0xA0), rng.randint(0x40, 0xFE)
        if trail != 0x7F:
            out += bytes((lead, trail))
    return bytes(out)


def random_han(chars: int, seed: int = 16) -> str:
    rng = random.Random(seed)
    return "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(chars))


def shuffled(text: str, seed: int = 16) -> str:
    chars = list(text)
    random.Random(seed).shuffle(chars)
    return "".join(chars)
