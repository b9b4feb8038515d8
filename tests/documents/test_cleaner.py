from __future__ import annotations

import random

from documents import clean, line_at
from documents.cleaning.page_numbers import page_number_lines

from documents_testlib import corpus_lines, make_source, normalize

HEALTH = ("国家科技创新政策文件汇编.txt", 2187, 2203)  # page number "51" mid-sentence
CETC_PAGE = ("中国电科双创示范基地建设方案.txt", 278, 290)  # "－ 8 －"
CETC_BOLD = ("中国电科双创示范基地建设方案.txt", 41, 62)  # headings printed four times
CMCC_START = ("中国移动双创示范基地建设方案.txt", 1, 12)  # ‚中国移动‛, indented paragraphs
CMCC_PAGE = ("中国移动双创示范基地建设方案.txt", 38, 50)  # page number "2 " mid-sentence
CMCC_SPACES = ("中国移动双创示范基地建设方案.txt", 62, 70)  # a line ending in 2,700 spaces
SPACED = ("国家科技创新政策文件汇编.txt", 25865, 25872)  # "9.数 据 中 心 水 资 源 利 用 效 率 （ Water …"
DEBRIS = ("国家科技创新政策文件汇编.txt", 38049, 38057)  # "javascript:SLC(305507,0)"


def _clean(spec):
    return clean(make_source(corpus_lines(*spec), spec[0]))


def test_mid_sentence_lines_join_without_spaces_and_page_number_goes() -> None:
    text = _clean(HEALTH).text
    assert "探索医疗联合体等新型服务模式" in text
    assert "促进和规范健康医疗大数据应用发展" in text
    assert "51" not in text
    # A finished sentence ends its paragraph; the next numbered item starts a line.
    assert "\n41．提高就业和社会保障信息化水平。" in text


def test_every_sentence_character_is_kept() -> None:
    for spec, page in [(HEALTH, "51"), (CETC_PAGE, "－ 8 －"), (CMCC_PAGE, "2")]:
        original = corpus_lines(*spec)
        lines = [l for l in original.split("\n") if l.strip() != page]
        assert normalize("\n".join(lines)) == normalize(_clean(spec).text), spec


def test_decorated_page_number_dropped() -> None:
    text = _clean(CETC_PAGE).text
    assert "－ 8 －" not in text
    assert "打造特色军民融合科技产业集群" in text


def test_page_number_chain_keeps_table_row_numbers() -> None:
    pages = ["正文" * 18] * 10
    lines = []
    for n in (3, 4, 5):
        lines += pages + [str(n)]
    table = ["序号 指标", "1", "网民规模（亿） 9.89 12 预期性", "2", "5G 用户普及率（%） 15 56 预期性"]
    found = page_number_lines(lines + table)
    assert found == {10, 21, 32}


def test_low_quotes_repaired_and_indentation_collapsed() -> None:
    text = _clean(CMCC_START).text
    assert "（以下简称“中国移动”）" in text
    assert "\n中国移动通信集团公司" in text  # the 4-space indent is gone, a paragraph starts
    assert text.split("\n")[:2] == ["一、基础条件", "（一）企业基本情况"]


def test_runs_of_spaces_collapse() -> None:
    cleaned = _clean(CMCC_SPACES)
    assert "  " not in cleaned.text
    assert "占 GDP增长的 9.6%。" in cleaned.text


def test_letter_spaced_characters_are_closed_up() -> None:
    text = _clean(SPACED).text
    assert "9.数据中心水资源利用效率 （ Water Usage Effectiveness ，" in text


def test_bold_headings_printed_four_times_are_collapsed() -> None:
    # The artefact is only collapsed in documents that clearly have it, so clean the whole file.
    source = make_source(corpus_lines("中国电科双创示范基地建设方案.txt", 1, 1591), "中国电科双创示范基地建设方案.txt")
    text = clean(source).text
    assert "\n（一）拥有广泛而优厚的创新资源\n" in text
    assert "一是地域覆盖广泛。中国电科具有网信领域完整的创新资源禀赋" in text
    assert "\n1、科技人员双创成效更加显著\n" in text
    assert "1111" not in text and "地域覆盖广泛。一是" not in text


def test_snippet_without_the_artefact_is_left_alone() -> None:
    text = _clean(CETC_BOLD).text  # five quadruple lines are needed; this snippet has three
    assert normalize(text) == normalize(corpus_lines(*CETC_BOLD))


def test_url_debris_line_removed() -> None:
    text = _clean(DEBRIS).text
    assert "javascript" not in text
    assert "制造业数字化、网络" in text


def test_char_rewrite_is_opt_in() -> None:
    raw = "以解决实际问题为出发点，充分发挥市场配臵资源的决定性作用。"
    assert "配臵" in clean(make_source(raw)).text
    assert "配置资源" in clean(make_source(raw), rewrite_chars=True).text


def test_line_at_maps_back_to_source_lines() -> None:
    spec = HEALTH
    cleaned = _clean(spec)
    original = corpus_lines(*spec).split("\n")
    for needle in ["等新型服务模式", "促进优质医疗资源纵向流动", "41．提高就业", "生育、保险等信息全国联网"]:
        offset = cleaned.text.index(needle)
        line = line_at(cleaned, offset)
        assert needle in original[line - 1], needle
    assert line_at(cleaned, 0) == 1
    assert line_at(cleaned, len(cleaned.text) - 1) == len(original)


def test_cleaning_twice_keeps_characters() -> None:
    once = _clean(HEALTH)
    twice = clean(make_source(once.text))
    assert normalize(twice.text) == normalize(once.text)


def test_never_crashes_on_arbitrary_unicode() -> None:
    rng = random.Random(7)
    alphabet = [chr(c) for c in range(0x20, 0x3000, 7)] + list("\n\n\n 　\t\r一二（）、。1．－‚‛臵") + ["\ud800", "\U0001f600"]
    for _ in range(200):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400)))
        cleaned = clean(make_source(text))
        assert all(0 <= a <= len(cleaned.text) for a, _ in cleaned.line_anchors)
    assert clean(make_source("")).text == ""
    assert clean(make_source("\n\n  \n")).text == ""
