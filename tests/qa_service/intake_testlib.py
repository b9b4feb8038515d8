"""Shared pieces of the document-intake tests: a two-page Chinese PDF whose answer is on page 2, index copies."""
from __future__ import annotations

import functools
import shutil
from pathlib import Path

from qa_service.settings import Settings
from tests.documents.loaders.builders import make_chinese_pdf

PDF_NAME = "青岛海洋科技创新中心建设情况.pdf"
PAGE_ONE = (
    "青岛海洋科技创新中心建设情况\n"
    "一、建设背景\n"
    "为贯彻落实海洋强国战略，加快建设具有全球影响力的海洋科技创新高地，青岛市依托驻青高校和科研院所，"
    "统筹海洋科学研究、技术开发和成果转化，规划建设青岛海洋科技创新中心。中心坚持政府引导、市场运作，"
    "面向深海探测、海洋生物医药、海洋新材料和智能装备等方向，集聚创新资源，完善服务体系。\n"
    "建设过程中，青岛市先后出台支持海洋科技创新的若干政策措施，在用地保障、资金扶持、人才引进和知识产权"
    "保护等方面给予支持，推动产学研用协同创新，形成了研发在中心、转化在园区的工作格局。各参与单位共同"
    "制定章程，明确议事规则和成果共享机制，定期召开联席会议，协调解决建设中的重大问题。"
)
PAGE_TWO = (
    "二、建设成效\n"
    "截至二〇二三年底，青岛海洋科技创新中心共建成重点实验室47个，引进高层次人才1200名，"
    "孵化海洋科技企业260家。中心牵头承担国家重点研发计划项目35项，获得发明专利授权900余件。\n"
    "三、下一步安排\n"
    "中心将继续完善公共技术服务平台，扩大开放共享范围，深化与沿海城市的合作，"
    "推动海洋科技成果在更大范围内转化应用。"
)
QUESTION_ON_PAGE_TWO = "青岛海洋科技创新中心共建成多少个重点实验室？"
ANSWER_ON_PAGE_TWO = "47"
CORPUS_QUESTION = "海淀区有多少所高等院校？"
CORPUS_ANSWER = "33"


@functools.lru_cache(maxsize=1)
def _pdf_bytes() -> bytes:
    return make_chinese_pdf(None, [PAGE_ONE, PAGE_TWO])


def two_page_pdf(path: Path | None = None) -> bytes:
    """A real two-page Chinese PDF (reportlab STSong-Light); the answer to QUESTION_ON_PAGE_TWO is on page 2.

    Made once per session: reportlab stamps each file with its creation time, and tests compare bytes.
    """
    raw = _pdf_bytes()
    if path is not None:
        Path(path).write_bytes(raw)
    return raw


def copy_index(settings: Settings, destination: Path, **overrides) -> Settings:
    """Settings for a private copy of an index directory (tests that change an index never touch the shared one)."""
    shutil.copytree(settings.index_dir, destination)
    return settings.with_overrides(index_dir=destination, **overrides)
