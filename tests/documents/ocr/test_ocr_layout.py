"""Reading order of recognised boxes (documents/ocr/layout.py), on boxes placed as a page would place them."""
from __future__ import annotations

from documents.ocr import OcrBox, reading_order

H = 20  # character height in pixels


def box(x0: float, y: float, text: str, width: float | None = None) -> OcrBox:
    return OcrBox(x0, y, x0 + (width if width is not None else len(text) * H), y + H, text, 0.99)


def test_lines_top_to_bottom_and_boxes_of_a_line_left_to_right():
    boxes = [box(100, 200, "第二行文字"), box(100, 100, "第一行"), box(170, 102, "同一行的后半")]
    assert reading_order(boxes) == ["第一行同一行的后半", "第二行文字"]


def test_two_columns_are_read_one_after_the_other_below_a_heading_across_the_page():
    left = [box(100, 100 + 40 * i, f"左栏第{i}行的正文内容在这里") for i in range(4)]
    right = [box(500, 100 + 40 * i, f"右栏第{i}行的正文内容在这里") for i in range(4)]
    heading = box(100, 40, "关于推进科技创新的若干措施（全文横跨两栏的标题）", width=700)
    lines = reading_order([*right, heading, *left])  # detection order does not matter
    assert lines == [heading.text] + [b.text for b in left] + [b.text for b in right]


def test_a_table_is_read_row_by_row_with_its_cells_separated():
    rows = [("项目", "金额"), ("研发投入", "120万元"), ("人才引进", "80万元")]
    boxes = [b for i, (a, c) in enumerate(rows) for b in (box(100, 100 + 40 * i, a), box(500, 100 + 40 * i, c))]
    assert reading_order(boxes) == ["项目 | 金额", "研发投入 | 120万元", "人才引进 | 80万元"]


def test_latin_words_split_into_boxes_keep_a_space_and_an_empty_page_has_no_lines():
    assert reading_order([box(100, 100, "PP-OCRv4"), box(100 + 8 * H + 5, 100, "model")]) == ["PP-OCRv4 model"]
    assert reading_order([]) == []
