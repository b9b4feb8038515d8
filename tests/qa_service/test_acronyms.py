"""An acronym the question writes (PUE) stands for the long form the corpus writes beside it (电能使用效率（PUE）),
and a bound on the asked value (多少以内) names no detail (understanding/abbreviations.py, asked_detail.py,
readers/detail_reader.py QA_ANSWER_ACRONYMS)."""
from dataclasses import replace

import pytest

from documents.models import Chunk
from qa_service.readers.base import ANSWERED
from qa_service.readers.detail_reader import DetailReader
from qa_service.types import Passage
from qa_service.understanding.abbreviations import Abbreviations
from qa_service.understanding.entity_grounding import _compact
from qa_service.understanding.premises import Premises

# Real sentences of 国家科技创新政策文件汇编.txt: the long form is written beside the acronym once (as across a
# line break), and without it elsewhere.
DEFINING = ("行动目标：到 2018年，云计算和物联网原始创新能力显著增强，新建大型云计\n\n"
            "算数据中心电能使用效率（PUE）值不高于 1.5；到 2020年，形成具有国际竞争力的云计算和物联网产业体系。")
STATING = "鼓励对改造工程进行绿色测评。力争通过改造使既有大型、超大型数据中心电能使用效率值不高于 1.8。"
OTHER = "鼓励对改造工程进行绿色测评。力争通过改造使既有大型、超大型数据中心水资源利用效率值不高于 1.8。"
QUESTION = "绿色数据中心指导意见要求已经在用的大型数据中心改造后PUE控制在多少以内？"


def test_a_latin_acronym_stands_for_the_long_form_written_beside_it():
    abbreviations = Abbreviations(lambda: [DEFINING, STATING])
    forms = abbreviations.long_forms("PUE")
    assert forms and all(f.endswith("电能使用效率") for f in forms)
    assert abbreviations.written_out("PUE", _compact(STATING))
    assert not abbreviations.written_out("PUE", _compact(OTHER))
    assert abbreviations.long_forms("MEMS") == ()  # never written beside a long form
    # a stretch the corpus writes only before the bracket is a sentence's words, not a long form
    assert Abbreviations(lambda: ["推进某某试点工作（ABC）。"]).long_forms("ABC") == ()


@pytest.mark.parametrize("bound", ["以内", "以上", "不超过"])
def test_a_bound_on_the_value_names_no_detail(analyse, bound):
    detail = analyse(f"数据中心改造后电能使用效率控制在多少{bound}？").detail
    assert bound not in detail.counted and bound not in detail.specific_focus


def _passage(text):
    chunk = Chunk(id=f"pue-{len(text)}-{hash(text) % 1000}", doc="国家科技创新政策文件汇编.txt",
                  title="关于加强绿色数据中心建设的指导意见", section="二、重点任务 > 2.有序推动节能与绿色化改造",
                  text=text, start=0, end=len(text), line_start=1, line_end=2)
    return Passage(chunk, 1.0)


@pytest.mark.parametrize("acronyms", [True, False])
def test_an_asked_acronym_is_answered_by_its_long_form(service, analyse, acronyms):
    """The real reader (the test index's term vectors and tokenizer) over a corpus that writes 电能使用效率（PUE）."""
    real = service._require().chain.answerer.reader
    premises = Premises(_compact(DEFINING + STATING), Abbreviations(lambda: [DEFINING, STATING]))
    reader = DetailReader(real._scorer, real._matcher, premises, real._tokenize,
                          replace(real.config, acronyms=acronyms))
    reading = reader.read(analyse(QUESTION), [_passage(STATING)])
    assert (reading.verdict == ANSWERED) is acronyms
    if acronyms:
        assert STATING[reading.value[0]:reading.value[1]] == "不高于 1.8"
    # another measure's figure in the same words does not answer
    assert reader.read(analyse(QUESTION), [_passage(OTHER)]).verdict != ANSWERED
