"""OCR runs inside the parsing child (documents/sandbox.py), under the default memory limit, and the child's
progress reports stretch the file's time limit by the pages it announced, instead of the child being killed."""
from __future__ import annotations

import logging

import pytest

from ocr_pages import IMAGE_PAGE, IMAGE_PHRASE
from scans import NEEDS_CJK_FONT, cjk_font_available, image_file

from documents.sandbox import ParseLimits, ParseSandbox


@pytest.mark.skipif(not cjk_font_available(), reason=NEEDS_CJK_FONT)
def test_an_image_is_read_in_the_child_within_the_default_memory_limit_with_its_time_stretched_per_page(caplog):
    caplog.set_level(logging.INFO, logger="documents.sandbox")
    # 3 s would not even load the OCR model on this machine: only the 300 s the announced page adds lets it finish.
    limits = ParseLimits(timeout_seconds=3.0, wait_seconds=300.0, workers=1, ocr_page_seconds=300.0)
    sandbox = ParseSandbox(limits)
    try:
        sandbox.parse("warm.txt", "正文内容。".encode())  # the child started (its imports are not the file's time)
        doc = sandbox.parse("通知.jpg", image_file(IMAGE_PAGE, "JPEG"))
        assert doc.format == "image" and doc.ocr_pages == (1,) and doc.page_starts == (1,)
        assert IMAGE_PHRASE in doc.text
        assert sandbox.stats.killed == 0 and sandbox.stats.memory == 0
        # OCR ran in the child, under its limit: the recogniser's runtime took the child's address space past the
        # ~300 MB a text parse needs (its imports alone reserve ~590 MB)
        assert 900 * 1024 < sandbox.stats.last_vm_peak_kb <= limits.memory_mb * 1024
        messages = [r.getMessage() for r in caplog.records]
        assert "通知.jpg: 1 pages to read by OCR; time limit now 303 s" in messages
    finally:
        sandbox.close()
