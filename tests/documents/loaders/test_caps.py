"""The loaders' caps: small hostile files are refused at once, with a clear error naming the file and the cap;
real documents stay far inside them. (The sandbox behind them is tested in tests/documents/test_sandbox.py.)"""
from __future__ import annotations

import pytest

from documents.errors import CorruptDocument, DocumentTooDeep, DocumentTooLarge, NotText, UndecodableFile
from documents.loaders import REGISTRY
from documents.loaders.language import measure
from documents.loaders.limits import MAX_DOCX_XML_TAGS, MAX_HTML_DEPTH, MAX_PDF_PAGES, MAX_PDF_STREAM_BYTES
from tests.conftest import CORPUS
from tests.documents.hostile_files import (docx_bomb, many_page_pdf, nested_html, nested_tables_html,
                                          pdf_with_huge_stream, random_gbk_pairs, random_han, shuffled)


def refused(name: str, raw: bytes, kind: type[Exception]) -> Exception:
    with pytest.raises(kind) as info:
        REGISTRY.load_bytes(name, raw)
    assert name in str(info.value)
    return info.value


def test_a_docx_bomb_is_refused_before_python_docx_opens_it():
    bomb = docx_bomb(MAX_DOCX_XML_TAGS * 6 + (1 << 20))  # empty paragraphs "<w:p/>": one tag each
    assert len(bomb) < 200_000
    assert refused("炸弹.docx", bomb, DocumentTooLarge).limit == "docx_xml_tags"


def test_pdf_streams_pages_and_page_content_are_capped():
    assert refused("大流.pdf", pdf_with_huge_stream(2, MAX_PDF_STREAM_BYTES + (4 << 20)),
                   DocumentTooLarge).limit == "pdf_stream"
    assert refused("大页.pdf", pdf_with_huge_stream(2, 20 << 20), DocumentTooLarge).limit == "pdf_page_content"
    assert refused("多页.pdf", many_page_pdf(MAX_PDF_PAGES + 1), DocumentTooLarge).limit == "pdf_pages"
    assert len(REGISTRY.load_bytes("够用.pdf", many_page_pdf(50)).page_starts) == 50


@pytest.mark.parametrize("raw", [nested_html(1_200), nested_html(MAX_HTML_DEPTH + 1, "span"),
                                 nested_tables_html(335_000 // 40)])
def test_deep_markup_is_refused_and_never_a_recursion_error(raw):
    assert refused("嵌套.html", raw, DocumentTooDeep).limit == "html_depth"


def test_markup_inside_the_caps_is_read():
    assert "正文内容" in REGISTRY.load_bytes("浅.html", nested_html(MAX_HTML_DEPTH - 10)).text
    assert "正文内容" in REGISTRY.load_bytes("表.html", nested_tables_html(60)).text


def test_html_element_count_is_capped():
    page = ("<html><body>" + "<b>字</b>" * 250_000 + "</body></html>").encode()
    assert refused("元素.html", page, DocumentTooLarge).limit == "html_elements"


@pytest.mark.parametrize("name, raw", [
    ("随机GBK.txt", random_gbk_pairs(200_000)),
    ("随机汉字.txt", random_han(20_000).encode("utf-8")),
    ("随机.html", b"<html><body><p>" + random_gbk_pairs(30_000) + b"</p></body></html>"),
    ("打乱.txt", shuffled((CORPUS / "中国电科双创示范基地建设方案.txt").read_text(encoding="utf-8")).encode()),
])
def test_text_that_decodes_but_is_not_language_is_refused(name, raw):
    message = str(refused(name, raw, NotText))
    assert "not language" in message


def test_random_pairs_from_the_whole_gbk_range_are_refused_by_the_decoder():
    refused("全区随机.txt", random_gbk_pairs(200_000, han_only=False), UndecodableFile)


@pytest.mark.parametrize("path", sorted(CORPUS.iterdir()), ids=lambda p: p.name[:8])
def test_every_corpus_file_passes_the_language_check_with_margin(path):
    evidence = measure(path.read_text(encoding="utf-8"))
    assert evidence.plausible and evidence.word_share >= 0.45 and evidence.repetition <= 0.6


def test_short_text_and_lists_of_names_are_not_judged():
    assert not measure("王伟、李娜、张敏、刘洋、陈静、杨勇" * 40).judged
    assert not measure("短文本" * 50).judged
    assert measure("Plain English text about innovation policy. " * 200).plausible


def test_a_loader_crash_is_the_files_refusal(monkeypatch):
    loader = REGISTRY.loader_for("x.txt")
    monkeypatch.setattr(type(loader), "load_bytes", lambda self, name, raw: (_ for _ in ()).throw(ValueError("boom")))
    assert "ValueError: boom" in str(refused("坏.txt", "正文".encode(), CorruptDocument))

    def deep(self, name, raw):
        return deep(self, name, raw)

    monkeypatch.setattr(type(loader), "load_bytes", deep)
    assert refused("深.txt", "正文".encode(), DocumentTooDeep).limit == "recursion"
