"""Reading lower passages when the top 3 do not answer (QA_ANSWER_READ_FURTHER, readers/further_reading.py): a
section cut into several passages may state its detail in one ranked below its neighbour."""
from dataclasses import replace

import pytest

from documents.models import Chunk
from qa_service.readers.base import ANSWERED
from qa_service.readers.further_reading import SCOPES, further_passages
from qa_service.service import QAService
from qa_service.settings_reading import FURTHER_SCOPES
from qa_service.types import Passage

QUESTION = "海淀区有多少所高等院校？"


def _passage(id_, section, start, end, doc="a.txt", title="A"):
    text = "字" * (end - start)
    return Passage(Chunk(id=id_, doc=doc, title=title, section=section, text=text, start=start, end=end,
                         line_start=1, line_end=1), 1.0)


def test_the_scopes_choose_lower_passages_of_a_section_read():
    top = [_passage("t1", "一 > （一）", 100, 199), _passage("t2", "二", 500, 599), _passage("t3", "三", 900, 999)]
    next_to = _passage("n", "一 > （一）", 200, 299)  # continues t1's section right after it
    same_section = _passage("s", "一 > （一）", 400, 450)  # in t1's section, not next to it
    other_doc = _passage("o", "一 > （一）", 200, 299, doc="b.txt")  # same headings, another document
    other_title = _passage("m", "二", 600, 700, title="B")  # another member document of the same file
    ranked = [*top, other_doc, same_section, other_title, next_to]
    ids = lambda ps: [p.chunk.id for p in ps]  # noqa: E731
    assert ids(further_passages(ranked, 3, 7, "any")) == ["o", "s", "m", "n"]
    assert ids(further_passages(ranked, 3, 7, "section")) == ["s", "n"]
    assert ids(further_passages(ranked, 3, 7, "adjacent")) == ["n"]
    assert ids(further_passages(ranked, 3, 5, "section")) == ["s"]  # down to rank 5 only
    assert further_passages(ranked, 3, 3, "any") == []  # 3: no further
    assert further_passages(top, 3, 5, "any") == []  # nothing ranked lower
    assert SCOPES == FURTHER_SCOPES  # the settings list the same names


def _ranked(chain, answering_first_too: bool):
    """The answering passage of QUESTION put 4th, below a passage of its own section that does not state the
    figure (a copy of its headings with another sentence), or below three passages of other sections."""
    query = chain.query(QUESTION, 5)
    ranked = chain.passages(query)
    answering = chain.answerer.reader.read(query, ranked).passage
    assert answering is not None and "33" in answering.chunk.text
    chunk = answering.chunk
    text = "海淀区是北京市的高等院校聚集区，科研资源丰富。"
    sibling = Passage(replace(chunk, id="sibling", text=text, start=chunk.end + 1, end=chunk.end + 1 + len(text)),
                      answering.score)
    others = [p for p in ranked if p.chunk.id != chunk.id and (p.chunk.doc, p.chunk.title, p.chunk.section)
              != (chunk.doc, chunk.title, chunk.section)]
    assert len(others) >= 3
    top = [sibling, *others[:2]] if answering_first_too else others[:3]
    return [*top, answering]


@pytest.mark.parametrize("further,scope,sibling_read,answered", [
    (5, "section", True, True), (5, "adjacent", True, True), (3, "section", True, False),
    (5, "section", False, False), (5, "any", False, True)])
def test_a_detail_stated_lower_in_a_section_read_is_answered(built_index, encoder, further, scope, sibling_read,
                                                             answered):
    service = QAService.from_settings(built_index.with_overrides(answer_read_further=further,
                                                                 answer_read_further_scope=scope), encoder)
    chain = service._require().chain
    passages = _ranked(chain, sibling_read)
    reading = chain.answerer.reader.read(chain.query(QUESTION, 5), passages)
    assert (reading.verdict == ANSWERED) is answered
    if answered:
        assert reading.passage is passages[3] and "33" in reading.quote_text
