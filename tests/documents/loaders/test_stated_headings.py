"""Stated headings (from the file's format) merged with numbered headings detected in the text."""
from __future__ import annotations

import hashlib

from builders import make_docx

from documents import Chunk, DocumentPipeline, HeadingLine, SourceDocument, load_bytes
from documents.cleaning.line_keeper import keep_lines
from documents.structure import detect_headings, merge_headings, place_stated_headings

TEXT = "总体要求\n一、指导思想\n坚持创新引领，强化企业创新主体地位。\n二、基本原则\n坚持开放合作。\n保障措施\n加强组织领导。"


def _source(text: str, stated: tuple[HeadingLine, ...]) -> SourceDocument:
    return SourceDocument(path="s.md", name="s.md", text=text, encoding="utf-8",
                          sha256=hashlib.sha256(text.encode()).hexdigest(), format="markdown", heading_lines=stated)


def test_detected_headings_nest_below_the_stated_heading_above_them() -> None:
    source = _source(TEXT, (HeadingLine(1, 1, "总体要求"), HeadingLine(6, 1, "保障措施")))
    cleaned = DocumentPipeline().block_cleaner(source)
    stated = place_stated_headings(cleaned, source.heading_lines)
    merged = merge_headings(cleaned, detect_headings(cleaned), stated)
    assert [(h.text, h.level) for h in merged] == [
        ("总体要求", 1), ("一、指导思想", 2), ("二、基本原则", 2), ("保障措施", 1)]
    assert all(cleaned.text[h.start:].startswith(h.text) for h in merged)


def test_a_stated_heading_wins_over_a_detected_one_on_its_line() -> None:
    source = _source(TEXT, (HeadingLine(2, 3, "一、指导思想"),))
    cleaned = DocumentPipeline().block_cleaner(source)
    merged = merge_headings(cleaned, detect_headings(cleaned), place_stated_headings(cleaned, source.heading_lines))
    first = next(h for h in merged if h.text == "一、指导思想")
    assert (first.level, first.style) == (3, "stated_h3")
    assert [h.text for h in merged].count("一、指导思想") == 1


def test_stated_headings_survive_the_keep_lines_cleaner() -> None:
    pipeline = DocumentPipeline(cleaner=keep_lines)
    raw = make_docx(None, [("heading", 1, "总体要求"), "坚持创新引领。", ("heading", 1, "保障措施"), "加强组织领导。"])
    _, chunks = pipeline.process(load_bytes("a.docx", raw))
    assert [c.section for c in chunks] == ["总体要求", "保障措施"]


def test_text_files_chunk_exactly_as_before(pipeline: DocumentPipeline) -> None:
    text = TEXT + "\n" + "为贯彻落实国家创新驱动发展战略，加快建设科技强国。" * 30
    raw = text.encode("utf-8")
    old_style = SourceDocument(path="a.txt", name="a.txt", text=text, encoding="utf-8",
                               sha256=hashlib.sha256(raw).hexdigest())
    assert load_bytes("a.txt", raw) == old_style  # the new fields keep their defaults for text
    _, chunks = pipeline.process(old_style)
    assert all(c.page is None and c.page_end is None for c in chunks)
    for c in chunks:
        assert c.id == hashlib.sha1(f"{c.doc}\x00{c.start}\x00{c.text}".encode()).hexdigest()[:16]


def test_chunk_dicts_written_before_pages_existed_still_load() -> None:
    old = {"id": "53d857f427a96197", "doc": "a.txt", "title": "a", "section": "一、基本情况", "text": "正文",
           "start": 0, "end": 2, "line_start": 1, "line_end": 1}
    chunk = Chunk.from_dict(old)
    assert chunk.page is None and chunk.page_end is None
    assert Chunk.from_dict(chunk.to_dict()) == chunk
    paged = Chunk.from_dict({**old, "page": 3, "page_end": 4})
    assert (paged.page, paged.page_end) == (3, 4)
