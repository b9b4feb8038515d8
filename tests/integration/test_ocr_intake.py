"""Issue 22's done criterion against a real `qa serve`: a scanned two-page PDF (a Chinese text PDF rendered to
images, no text layer left) uploaded over HTTP answers a question about its page 2 with a citation of page 2
marked as OCR; an image file goes in the same way; a decompression-bomb image is refused with a clear error; the
server logs the scan's progress page by page. OCR runs in the server's parsing child (documents/sandbox.py)."""
from __future__ import annotations

import pytest
import requests

from tests.documents.ocr.ocr_pages import (ANSWER_PHRASE, IMAGE_PAGE, IMAGE_PHRASE, QUESTION, SCANNED_PAGE,
                                           TEXT_PAGE)
from tests.documents.ocr.scans import NEEDS_CJK_FONT, bomb_png, cjk_font_available, image_file, scanned_pdf
from tests.integration.misbehaving_clients import qa_serve
from tests.integration.test_document_intake import _ask, _upload
from tests.qa_service.intake_testlib import copy_index

pytestmark = [pytest.mark.integration, pytest.mark.skipif(not cjk_font_available(), reason=NEEDS_CJK_FONT)]

SCAN_NAME = "青岛海洋科技创新中心建设情况（扫描件）.pdf"


@pytest.fixture()
def own_index(built_index, tmp_path):
    return copy_index(built_index, tmp_path / "idx")


def test_scans_uploaded_over_http_answer_with_ocr_citations_and_a_bomb_is_refused(own_index, tmp_path):
    settings = own_index
    log = tmp_path / "serve.log"
    with qa_serve(settings.index_dir, log_file=log, QA_EMBEDDING_CACHE=settings.embedding_cache) as (base, _):
        resp = _upload(base, SCAN_NAME, scanned_pdf([TEXT_PAGE, SCANNED_PAGE]))
        assert resp.status_code == 201, resp.text
        assert (resp.json()["format"], resp.json()["pages"]) == ("pdf", 2)
        answer = _ask(base, QUESTION)
        assert answer["answerable"] and "47" in answer["answer"], answer
        cited = answer["citations"][0]
        assert (cited["doc"], cited["page"], cited.get("ocr")) == (SCAN_NAME, 2, True)
        assert ANSWER_PHRASE in cited["text"]

        resp = _upload(base, "智慧港口建设通知.png", image_file(IMAGE_PAGE))
        assert resp.status_code == 201, resp.text
        assert (resp.json()["format"], resp.json()["pages"]) == ("image", 1)
        found = requests.post(base + "/v1/search", json={"query": "自动化码头改造的期限", "top_k": 3}, timeout=60).json()
        top = found["results"][0]
        assert top["doc"] == "智慧港口建设通知.png" and top["ocr"] is True and IMAGE_PHRASE in top["text"]

        resp = _upload(base, "炸弹.png", bomb_png())
        assert resp.status_code == 422
        error = resp.json()["error"]
        assert error["code"] == "document_too_large"
        assert "炸弹.png" in error["message"] and "QA_OCR_MAX_PIXELS" in error["message"]

        corpus_answer = _ask(base, "海淀区有多少所高等院校？")  # a text passage's citation carries no OCR mark
        assert "ocr" not in corpus_answer["citations"][0]
    text = log.read_text(errors="replace")
    assert f"{SCAN_NAME}: 2 pages to read by OCR" in text and f"{SCAN_NAME}: OCR page 2 of 2 done" in text
