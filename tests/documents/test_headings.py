from __future__ import annotations

from documents import clean, detect_headings
from documents.models import Heading
from documents_testlib import corpus_lines, excerpt, make_source

NATIONAL = "国家科技创新政策文件汇编.txt"
MOBILE = "中国移动双创示范基地建设方案.txt"
CETC = "中国电科双创示范基地建设方案.txt"
SHOUPI = "首批双创示范基地经验总结汇编.txt"
NANYANG = "南阳理工学院政策动态信息参阅2021年第26期.txt"


def _headings(text: str, name: str = "snippet.txt") -> list[Heading]:
    return detect_headings(clean(make_source(text, name)))


def _by_text(headings: list[Heading]) -> dict[str, Heading]:
    return {h.text: h for h in headings}


def test_numbering_styles_nest_by_first_appearance() -> None:
    hs = _by_text(_headings(corpus_lines(MOBILE, 130, 250)))
    assert hs["二、总体思路"].level == 1
    assert hs["（一）指导思想"].level == 2
    assert hs["（二）基本原则"].level == 2
    assert hs["1.坚持集团统筹"].level == 3
    assert hs["6.鼓励创新容错"].level == 3
    # A style seen before pops back to its level; the list under it restarts.
    assert hs["（三）“双创”工作定位"].level == 2
    assert hs["1.面向内部"].level == 3 and hs["2.面向外部"].level == 3


def test_part_chapter_section_levels() -> None:
    hs = _by_text(_headings(corpus_lines(NATIONAL, 20, 60)))
    part = hs["第二篇 坚持创新驱动发展 全面塑造发展新优势"]
    chapter = hs["第四章 强化国家战略科技力量"]
    first, second = hs["第一节 整合优化科技资源配置"], hs["第二节 加强原创性引领性科技攻关"]
    assert part.level < chapter.level < first.level == second.level
    assert (part.style, chapter.style, first.style) == ("part", "chapter", "section")


def test_article_keeps_only_its_label_when_long() -> None:
    hs = _headings(corpus_lines(NATIONAL, 29170, 29195))
    articles = [h.text for h in hs if h.style == "article"]
    assert articles == ["第十条", "第十一条", "第十二条", "第十三条"]


def test_yishi_enumeration_is_not_a_heading() -> None:
    source = make_source(corpus_lines(CETC, 1, 1591), CETC)
    hs = detect_headings(clean(source))
    assert not any(h.text.startswith(("一是", "二是", "三是")) for h in hs)
    assert _by_text(hs)["（一）拥有广泛而优厚的创新资源"].level == 2


def test_run_in_and_merged_headings() -> None:
    hs = _headings(corpus_lines(NATIONAL, 2975, 2990))
    assert [(h.text, h.level) for h in hs] == [("专栏 1 5G 创新应用工程", 1), ("1.加快 5G 网络建设。", 2), ("2.培育 5G 技术应用生态。", 2)]
    merged = _headings(corpus_lines(NATIONAL, 43055, 43066))
    assert len(merged) == 1
    assert merged[0].text.startswith("一、发展现状及面临形势") and len(merged[0].text) <= 40


def test_compilation_member_titles_from_real_excerpts() -> None:
    text = "\n".join(
        [
            excerpt(NATIONAL, 1, 40),  # preface, theme "一、总体文件", title 1 (two lines)
            excerpt(NATIONAL, 1170, 1215),  # end of a document, title 3 (wrapped), 一、/（一）
            excerpt(NATIONAL, 1536, 1552),  # title 4
            excerpt(NATIONAL, 1746, 1760),  # numbered item "1．构建先进技术体系。…" inside a document
            excerpt(NATIONAL, 2420, 2460),  # title 5
            excerpt(NATIONAL, 2975, 2992),  # "1.加快 5G 网络建设。…" inside a document
        ]
    )
    hs = _headings(text, NATIONAL)
    titles = [h.text for h in hs if h.kind == "title"]
    assert titles == [
        "中华人民共和国国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要（节选）（2021年 3月）",
        "关于推进实施国家文化数字化战略的意见（中办发〔2022〕27号）(中共中央办公厅、国务院办公厅/2022年 3月 28日)",
        "国家信息化发展战略纲要（中共中央办公厅、国务院办公厅/2016年 7月 27日）",
        "“十四五”国家信息化规划（中共中央网络安全和信息化委员会/2021年 12月 27日）",
    ]
    assert all(h.level == 0 for h in hs if h.kind == "title")
    themes = [h.text for h in hs if h.kind == "theme"]
    assert themes == ["一、总体文件"]
    items = _by_text(hs)
    assert items["1．构建先进技术体系。"].level > 0
    assert items["1.加快 5G 网络建设。"].level > 0
    # Numbering restarts inside each member document.
    assert items["一、总体要求"].level == 1 and items["（一）指导思想"].level == 2


def test_numbered_items_alone_do_not_make_a_compilation() -> None:
    hs = _headings(corpus_lines(NATIONAL, 1746, 1800))
    assert not any(h.level == 0 for h in hs)
    assert any(h.text == "1．构建先进技术体系。" for h in hs)


def test_unnumbered_member_titles_including_the_split_one() -> None:
    text = "\n".join([corpus_lines(SHOUPI, 1, 60), corpus_lines(SHOUPI, 405, 470), corpus_lines(SHOUPI, 4083, 4140)])
    hs = _headings(text, SHOUPI)
    titles = [h.text for h in hs if h.kind == "title"]
    assert titles == [
        "北京市海淀区双创经验总结",
        "天津市滨海新区中心商务区双创经验总结",
        "广东省广州高新技术产业开发区科学城园区双创经验总结",
    ]
    after = [h for h in hs if h.text == "一、基本情况"]
    assert len(after) == 2 and all(h.level == 1 for h in after)


def test_table_of_contents_entries_become_headings() -> None:
    source = make_source(corpus_lines(NANYANG, 1, 273), NANYANG)
    hs = detect_headings(clean(source))
    by = _by_text(hs)
    assert by["【政策动态速递】"].level == 1
    assert by["河南省科技厅发布 《河南省众创空间评价指标体系》"].level == 2
    assert by["（一）服务能力。"].level == 3
    assert by["【政策解读】"].level == 1
    assert by["一、《行动计划》出台的背景是什么？"].level == 3
    # The contents list itself is not a heading.
    assert sum(1 for h in hs if h.text.startswith("【政策动态速递】")) == 1
