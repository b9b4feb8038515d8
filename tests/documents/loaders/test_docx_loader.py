"""DOCX: headings from paragraph styles reach chunk sections, tables read as rows, body order kept."""
from __future__ import annotations

import io

import docx
import pytest
from builders import make_docx
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from documents import Chunk, CorruptDocument, DocumentPipeline, EmptyDocument, HeadingLine, load_bytes, load_file

def chunk_with(chunks: list[Chunk], line: str) -> Chunk:
    """The first chunk holding `line` as a whole line."""
    return next(c for c in chunks if line in c.text.split("\n"))


BLOCKS = [
    ("heading", 0, "关于推进数字经济发展的实施方案"),
    ("heading", 1, "总体要求"),
    "为贯彻落实国家创新驱动发展战略，加快建设科技强国，制定本方案。",
    ("style", "标题 2", "发展目标"),
    "到2025年，数字经济核心产业增加值占GDP比重达到10%。",
    ("table", [["指标", "2020年", "2025年"], ["5G基站数（万个）", "70", "200"], ["数据中心机架数", "300", "500"]]),
    "表中数据为预期性指标。",
    ("style", "标题 1", "保障措施"),
    "加强组织领导，健全工作机制。",
]


def test_headings_table_rows_and_body_order(tmp_path) -> None:
    make_docx(tmp_path / "方案.docx", BLOCKS)
    doc = load_file(tmp_path / "方案.docx")
    assert doc.format == "docx" and doc.page_starts == ()
    assert doc.text.split("\n") == [
        "关于推进数字经济发展的实施方案",
        "总体要求",
        "为贯彻落实国家创新驱动发展战略，加快建设科技强国，制定本方案。",
        "发展目标",
        "到2025年，数字经济核心产业增加值占GDP比重达到10%。",
        "指标 | 2020年 | 2025年",
        "5G基站数（万个） | 70 | 200",
        "数据中心机架数 | 300 | 500",
        "表中数据为预期性指标。",
        "保障措施",
        "加强组织领导，健全工作机制。",
    ]
    assert doc.heading_lines == (
        HeadingLine(1, 0, "关于推进数字经济发展的实施方案"),
        HeadingLine(2, 1, "总体要求"),
        HeadingLine(4, 2, "发展目标"),
        HeadingLine(10, 1, "保障措施"),
    )


def test_stated_headings_reach_chunk_sections_and_title(small_pipeline: DocumentPipeline) -> None:
    cleaned, chunks = small_pipeline.process(load_bytes("方案.docx", make_docx(None, BLOCKS)))
    assert {c.title for c in chunks} == {"关于推进数字经济发展的实施方案"}  # the Title style names the document
    assert chunk_with(chunks, "总体要求").section == "总体要求"
    goal = chunk_with(chunks, "发展目标")
    assert goal.section == "总体要求 > 发展目标"
    assert "5G基站数（万个） | 70 | 200\n数据中心机架数 | 300 | 500" in goal.text  # rows stay rows
    assert chunk_with(chunks, "保障措施").section == "保障措施"
    assert [(h.level, h.text) for h in cleaned.headings] == [
        (0, "关于推进数字经济发展的实施方案"), (1, "总体要求"), (2, "发展目标"), (1, "保障措施")]


def test_a_long_heading_line_is_not_joined_to_its_paragraph(pipeline: DocumentPipeline) -> None:
    long_heading = "关于进一步优化营商环境更好服务市场主体加快建设现代化经济体系的若干政策措施和工作安排"
    body = "各地区各部门要结合实际认真贯彻落实，确保各项政策措施落地见效，" * 3 + "取得实效"
    raw = make_docx(None, [("heading", 1, long_heading), body, ("heading", 2, "附则"), body + "。"])
    cleaned, chunks = pipeline.process(load_bytes("长标题.docx", raw))
    assert cleaned.text.split("\n")[0] == long_heading
    assert cleaned.text.split("\n")[2] == "附则"
    assert [c.section for c in chunks] == [long_heading, f"{long_heading} > 附则"]


def test_numbered_headings_in_body_nest_under_styled_headings(small_pipeline: DocumentPipeline) -> None:
    raw = make_docx(None, [
        ("heading", 1, "第一章 总则"),
        "第一条 为规范市级财政科技项目的立项、实施、验收和资金管理，提高财政资金使用效益，根据有关规定，制定本办法。",
        "第二条 本办法适用于市级财政资金支持的各类科技计划项目，包括重点研发项目、基础研究项目和科技服务项目。",
        ("heading", 1, "第二章 项目管理"),
        "一、立项",
        "项目立项应当遵循公开、公平、公正的原则，实行专家评审和社会公示制度，确保立项过程规范透明。",
    ])
    cleaned, chunks = small_pipeline.process(load_bytes("办法.docx", raw))
    levels = {h.text: h.level for h in cleaned.headings}
    assert list(levels) == ["第一章 总则", "第一条", "第二条", "第二章 项目管理", "一、立项"]
    assert levels["第一章 总则"] == levels["第二章 项目管理"] == 1  # as styled
    assert levels["第一条"] == levels["第二条"] > 1 and levels["一、立项"] > 1  # detected, nested below
    sections = [c.section for c in chunks]
    assert "第一章 总则 > 第一条" in sections and "第一章 总则 > 第二条" in sections
    assert sections[-1] == "第二章 项目管理 > 一、立项"


def test_merged_cells_are_written_once() -> None:
    raw = make_docx(None, [("table", [["类别", "说明", None], ["研发", "按投入", "10%"]])])
    assert load_bytes("表.docx", raw).text.split("\n") == ["类别 | 说明", "研发 | 按投入 | 10%"]


def test_custom_style_with_an_outline_level_is_a_heading() -> None:
    document = docx.Document()
    style = document.styles.add_style("公文一级标题", WD_STYLE_TYPE.PARAGRAPH)
    outline = OxmlElement("w:outlineLvl")
    outline.set(qn("w:val"), "0")
    style.element.get_or_add_pPr().append(outline)
    document.add_paragraph("一、工作目标", style="公文一级标题")
    document.add_paragraph("全面提升服务水平。")
    buf = io.BytesIO()
    document.save(buf)
    assert load_bytes("公文.docx", buf.getvalue()).heading_lines == (HeadingLine(1, 1, "一、工作目标"),)


def test_unreadable_and_empty_docx_name_the_file() -> None:
    with pytest.raises(CorruptDocument, match=r"^坏\.docx: not a readable \.docx"):
        load_bytes("坏.docx", b"PK\x03\x04" + b"\x00garbage" * 50)
    with pytest.raises(CorruptDocument, match=r"旧格式\.docx: not a \.docx but an old binary \.doc"):
        load_bytes("旧格式.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(EmptyDocument, match="空白.docx"):
        load_bytes("空白.docx", make_docx(None, ["", ("table", [["", ""]])]))


def test_a_one_column_box_keeps_its_paragraphs_apart() -> None:
    document = docx.Document()
    document.add_paragraph("正文第一段。")
    box = document.add_table(rows=1, cols=1).cell(0, 0)
    box.text = "专栏1 重点工程"
    box.add_paragraph("建设一批创新平台。")
    box.add_paragraph("培育一批领军企业。")
    document.add_paragraph("正文第二段。")
    buf = io.BytesIO()
    document.save(buf)
    assert load_bytes("专栏.docx", buf.getvalue()).text.split("\n") == [
        "正文第一段。", "专栏1 重点工程", "建设一批创新平台。", "培育一批领军企业。", "正文第二段。"]
