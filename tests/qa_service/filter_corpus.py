"""A small real corpus for filters: two text files, a Markdown bulletin that states its date, an HTML notice that
states another, indexed with the real model (the session's embedding cache makes the shared passages free)."""
from __future__ import annotations

from pathlib import Path

from tests.conftest import CORPUS

HAIDIAN = "北京市海淀区双创经验总结.txt"
CETC = "中国电科双创示范基地建设方案.txt"
BULLETIN = "南阳理工学院政策动态信息参阅2021年第26期.md"  # its text ends with 2021年10月4日
NOTICE = "关于推进双创示范基地建设的通知.html"  # ends with 二〇一六年五月二十日
NOTICE_HTML = """<html><head><meta charset="utf-8"><title>关于推进双创示范基地建设的通知</title></head><body>
<h1>关于推进双创示范基地建设的通知</h1>
<p>各有关单位：为深入实施创新驱动发展战略，推进大众创业万众创新，现就双创示范基地建设有关事项通知如下。</p>
<h2>一、建设目标</h2>
<p>到2018年，双创示范基地形成一批可复制可推广的经验，创新创业服务能力明显提升，孵化一批科技型中小企业。</p>
<h2>二、主要任务</h2>
<p>完善创业孵化服务体系，建设众创空间和孵化器，加强知识产权保护，拓宽创业投融资渠道，集聚创新创业人才。</p>
<h2>三、保障措施</h2>
<p>各单位要加强组织领导，落实财政支持政策，建立双创示范基地建设评估机制，及时总结推广典型经验。</p>
<p>某某省发展和改革委员会</p>
<p>二〇一六年五月二十日</p>
</body></html>
"""


def bulletin_excerpt() -> str:
    """The bulletin's opening (masthead, contents and its first items, about 2,400 characters) and its last three
    questions with its closing lines (物联网示范基地; editors, 2021年10月4日, the date a date filter reads): the
    11,000 characters of the whole issue, 63 passages and 1,000 BM25 terms not in the session's embedding cache,
    were the slowest fixture of the filter tests (41 s on a loaded machine)."""
    text = (CORPUS / "南阳理工学院政策动态信息参阅2021年第26期.txt").read_text(encoding="utf-8")
    return text[:text.find("\n\n", 2200)] + text[text.rfind("\n\n六、"):]


def write_filter_corpus(root: Path, small_corpus: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for path in small_corpus.iterdir():
        (root / path.name).write_bytes(path.read_bytes())
    (root / BULLETIN).write_text(bulletin_excerpt(), encoding="utf-8")
    (root / NOTICE).write_text(NOTICE_HTML, encoding="utf-8")
    return root
