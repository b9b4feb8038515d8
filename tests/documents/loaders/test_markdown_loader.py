"""Markdown: # headings become structure, markup is stripped, blocks stay on their source lines."""
from __future__ import annotations

from documents import DocumentPipeline, HeadingLine, load_bytes

MARKDOWN = """---
title: 实施方案
---
# 关于推进数字经济发展的实施方案

为贯彻落实**国家创新驱动发展战略**，加快建设[科技强国](https://example.com/kj)，
制定本方案。![示意图](img.png)

## 一、总体要求

1. 坚持创新引领，强化企业创新主体地位。
2. 坚持开放合作。

### （一）发展目标

| 指标 | 2025年 |
|------|--------|
| 5G基站数 | 200万个 |

```python
print("代码块保留为文本")
```

最后一段包含 `inline code` 和 ~~删除线~~ 文字。
"""


def test_markup_is_stripped_and_blocks_keep_their_source_lines() -> None:
    doc = load_bytes("方案.md", MARKDOWN.encode("utf-8"))
    assert doc.format == "markdown" and doc.encoding == "utf-8"
    lines = doc.text.split("\n")
    source = MARKDOWN.split("\n")
    expected = {
        4: "关于推进数字经济发展的实施方案",
        6: "为贯彻落实国家创新驱动发展战略，加快建设科技强国，制定本方案。示意图",
        9: "一、总体要求",
        11: "1. 坚持创新引领，强化企业创新主体地位。",
        12: "2. 坚持开放合作。",
        14: "（一）发展目标",
        16: "指标 | 2025年",
        18: "5G基站数 | 200万个",
        21: 'print("代码块保留为文本")',
        24: "最后一段包含 inline code 和 删除线 文字。",
    }
    for number, text in expected.items():
        assert lines[number - 1] == text
        assert source[number - 1].strip()  # the block's line in the .md file
    assert not any(line for number, line in enumerate(lines, 1) if line and number not in expected)
    assert "title: 实施方案" not in doc.text and "**" not in doc.text and "https://" not in doc.text
    assert doc.heading_lines == (
        HeadingLine(4, 1, "关于推进数字经济发展的实施方案"),
        HeadingLine(9, 2, "一、总体要求"),
        HeadingLine(14, 3, "（一）发展目标"),
    )


def test_headings_reach_sections_and_lines_point_into_the_file(small_pipeline: DocumentPipeline) -> None:
    _, chunks = small_pipeline.process(load_bytes("方案.md", MARKDOWN.encode("utf-8")))
    table = next(c for c in chunks if "5G基站数 | 200万个" in c.text)
    assert table.section.startswith("关于推进数字经济发展的实施方案 > 一、总体要求")
    assert table.section.endswith("（一）发展目标")
    first = chunks[0]
    assert first.section == "关于推进数字经济发展的实施方案" and first.line_start == 4


def test_gb18030_markdown_and_setext_headings() -> None:
    text = "政策解读\n========\n\n正文第一段。\n\n说明\n----\n\n正文第二段。\n"
    doc = load_bytes("解读.md", text.encode("gb18030"))
    assert doc.encoding == "gb18030"
    assert doc.heading_lines == (HeadingLine(1, 1, "政策解读"), HeadingLine(6, 2, "说明"))
