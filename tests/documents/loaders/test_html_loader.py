"""HTML: main text without page chrome, h1-h6 as structure, tables as rows, declared charsets honoured."""
from __future__ import annotations

import pytest

from documents import DocumentPipeline, EmptyDocument, HeadingLine, load_bytes

PAGE = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>某市人民政府门户网站</title>
<style>.content { color: red }</style>
<script>var tracker = "不要索引这段脚本";</script></head>
<body>
<header><div class="logo">某市人民政府</div><nav><a href="/">首页</a><a href="/zw">政务公开</a></nav></header>
<div class="content">
<h1>关于支持中小企业发展的若干措施</h1>
<p>为进一步支持中小企业
发展，现提出如下措施。</p>
<h2>一、加大财政支持</h2>
<p>对符合条件的企业给予<b>最高100万元</b>补贴。<!-- 编辑备注 --></p>
<table>
<tr><th>项目</th><th>补贴标准</th></tr>
<tr><td>研发投入</td><td>10%</td></tr>
<tr><td><p>设备</p><p>购置</p></td><td>5%</td></tr>
</table>
<h2>二、优化服务</h2>
<ul><li>设立企业服务窗口。</li><li>简化审批流程。</li></ul>
<div style="display: none">隐藏的内容</div>
</div>
<aside>相关链接：其他文件</aside>
<div role="navigation">上一篇 下一篇</div>
<footer>版权所有 某市人民政府 网站标识码1234</footer>
<script>document.write("脚本输出");</script>
</body></html>"""

NOISE = ["不要索引", "首页", "政务公开", "某市人民政府门户网站", "隐藏的内容", "相关链接", "上一篇", "版权所有", "脚本输出",
         "编辑备注", "color"]


def test_main_text_headings_and_table_rows_without_noise() -> None:
    doc = load_bytes("措施.html", PAGE.encode("gb18030"))
    assert doc.format == "html" and doc.encoding == "gb18030"
    assert doc.text.split("\n") == [
        "关于支持中小企业发展的若干措施",
        "为进一步支持中小企业发展，现提出如下措施。",  # a source line break between Chinese characters is no space
        "一、加大财政支持",
        "对符合条件的企业给予最高100万元补贴。",
        "项目 | 补贴标准",
        "研发投入 | 10%",
        "设备购置 | 5%",
        "二、优化服务",
        "设立企业服务窗口。",
        "简化审批流程。",
    ]
    assert not [word for word in NOISE if word in doc.text]
    assert doc.heading_lines == (
        HeadingLine(1, 1, "关于支持中小企业发展的若干措施"),
        HeadingLine(3, 2, "一、加大财政支持"),
        HeadingLine(8, 2, "二、优化服务"),
    )


def test_headings_reach_chunk_sections(small_pipeline: DocumentPipeline) -> None:
    _, chunks = small_pipeline.process(load_bytes("措施.html", PAGE.encode("gb18030")))
    table = next(c for c in chunks if "研发投入 | 10%" in c.text)
    assert table.section == "关于支持中小企业发展的若干措施 > 一、加大财政支持"
    assert chunks[-1].section == "关于支持中小企业发展的若干措施 > 二、优化服务"
    assert all(c.page is None for c in chunks)


def test_main_element_is_the_content_and_article_headers_stay() -> None:
    page = """<html><body><div id="menu">网站导航 机构设置</div>
    <main><article><header><h1>政策解读</h1></header><p>政策的主要内容如下。</p></article></main>
    <div class="sidebar">热门文章</div></body></html>"""
    doc = load_bytes("解读.htm", page.encode("utf-8"))
    assert doc.text == "政策解读\n政策的主要内容如下。"
    assert doc.heading_lines == (HeadingLine(1, 1, "政策解读"),)


def test_latin_words_keep_their_spaces_and_pre_keeps_lines() -> None:
    page = "<p>Open\n  source <em>software</em> policy</p><pre>第一行\n  第二行</pre><p>甲<br>乙</p>"
    assert load_bytes("a.html", page.encode("utf-8")).text.split("\n") == [
        "Open source software policy", "第一行", "  第二行", "甲", "乙"]


def test_page_without_text_is_empty() -> None:
    with pytest.raises(EmptyDocument, match="空页.html"):
        load_bytes("空页.html", b"<html><head><title>t</title></head><body><script>x()</script></body></html>")


def test_layout_tables_are_read_as_blocks_not_rows() -> None:
    article = "为进一步优化营商环境，激发市场主体活力，推动经济高质量发展，结合本市实际，现提出以下意见。" * 4
    page = f"""<table><tr><td class="left">栏目导航</td><td class="main">
      <h1>关于优化营商环境的意见</h1><p>{article}</p>
      <table><tr><td>事项</td><td>时限</td></tr><tr><td>开办企业</td><td>1个工作日</td></tr></table>
    </td></tr></table>"""
    doc = load_bytes("意见.html", page.encode("utf-8"))
    assert doc.text.split("\n") == ["栏目导航", "关于优化营商环境的意见", article, "事项 | 时限", "开办企业 | 1个工作日"]
    assert doc.heading_lines == (HeadingLine(2, 1, "关于优化营商环境的意见"),)
