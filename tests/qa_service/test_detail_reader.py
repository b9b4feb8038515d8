"""The detail reader on a real index: it answers from the sentence stating the asked detail, and otherwise says
why not (readers/detail_reader.py, answerers/extractive_answerer.py)."""
import pytest

from qa_service.readers.base import ANSWERED, CONTRADICTED, NOT_MENTIONED, NOT_STATED
from qa_service.service import QAService


def _read(service, question):
    chain = service._require().chain
    query = chain.query(question, 5)
    return chain.answerer.reader.read(query, chain.passages(query))


def test_an_asked_number_is_answered_with_the_figure_stating_it(service):
    answer = service.ask("海淀区有多少所高等院校？", 5)
    assert answer.answerable and answer.answer == "33 所[1]"
    assert "高等院校 33 所" in answer.citations[0].quote  # the citation keeps the whole quote
    assert len(answer.citations[0].quote) > len(answer.answer)


def test_without_short_answers_the_quote_is_the_answer(built_index, encoder):
    service = QAService.from_settings(built_index.with_overrides(short_answers=False), encoder)
    answer = service.ask("海淀区有多少所高等院校？", 5)
    assert answer.answerable and answer.answer == " ".join(answer.citations[0].quote.split()) + "[1]"


def test_a_detail_the_documents_do_not_state_is_not_answered_but_what_was_found_is_cited(service):
    reading = _read(service, "中关村创业大街累计吸引了多少名创业导师？")
    assert reading.verdict == NOT_STATED
    answer = service.ask("中关村创业大街累计吸引了多少名创业导师？", 5)
    assert not answer.answerable and answer.answer.startswith("文档提到了") and "但没有说明" in answer.answer
    assert answer.citations and "创业大街" in answer.citations[0].passage.chunk.text


def test_a_value_said_of_another_year_does_not_answer(service):
    assert _read(service, "2015年海淀区把中关村创业大街延展至多少公里的中关村大街？").verdict == ANSWERED
    assert _read(service, "2016年海淀区把中关村创业大街延展至多少公里的中关村大街？").verdict != ANSWERED


def test_a_false_premise_is_corrected_from_the_documents(service):
    reading = _read(service, "海淀区为什么关停了 50 家商品交易市场？")
    assert reading.verdict == CONTRADICTED and "36" in reading.stated
    answer = service.ask("海淀区为什么关停了 50 家商品交易市场？", 5)
    assert not answer.answerable and "36 家商品交易市场" in answer.answer and answer.citations


def test_something_the_documents_never_mention_is_named(service):
    answer = service.ask("“智慧海淀2030”计划总投资多少？", 5)
    assert not answer.answerable and "智慧海淀2030" in answer.answer and answer.citations == []
    assert _read(service, "“智慧海淀2030”计划总投资多少？").verdict == NOT_MENTIONED


@pytest.mark.parametrize("reader", ["detail", "quote"])
def test_both_readers_answer_a_question_worded_like_the_text(built_index, encoder, reader):
    service = QAService.from_settings(built_index.with_overrides(reader=reader), encoder)
    answer = service.ask("海淀区以中科院为代表的科研院所有多少家？", 5)
    assert answer.answerable and "138" in answer.answer


def test_a_value_said_to_change_is_read_with_the_value_it_changes_to():
    from qa_service.readers.asked_values import onward as _onward
    from qa_service.understanding.quantities import DATE
    from qa_service.understanding.quantities import find_quantities

    def spans(text):
        quantities = tuple(find_quantities(text))
        return [text[s:e] for s, e, _ in _onward(text, [(q.start, q.end, 1.0) for q in quantities], quantities)]

    assert spans("贫困数从最初的 16728 人，减少到目前 2432 人。") == ["16728 人，减少到目前 2432 人"]
    # the changed-to value of one change is not the start of the next
    assert spans("审批事项由 156 项减少到 11 项，注册时间缩减到 2 天") == ["156 项减少到 11 项", "2 天"]
    assert spans("建成 20 个分中心和 10 个行业级分中心") == ["20 个", "10 个"]
    text = "基地建设从2017年7月至2018年12月分三步"  # a date range: to the end of the second date
    assert [text[s:e] for s, e, _ in _onward(text, [(m.start(), m.end(), 1.0) for m in DATE.finditer(text)],
                                             tuple(find_quantities(text)))] == ["2017年7月至2018年12月"]


def test_the_passage_the_reader_answers_from_leads_and_is_answered_from_once(service):
    """DetailReader.lead (QA_READING_LEADS): the answering passage is put first for search and ask alike, and the
    answer is that reading, not a second one over the new order; confidence still knows it was not the first."""
    from qa_service.answerers.answer_confidence import AnswerConfidence

    chain = service._require().chain
    reader = chain.answerer.reader
    query = chain.query("海淀区有多少所高等院校？", 5)
    ranked = chain.passages(query)
    answering = reader.read(query, ranked).passage
    assert ranked[0] is answering  # as served: it leads
    demoted = [p for p in ranked if p is not answering][:2] + [answering]  # as if the reranker had put it third
    fresh = chain.query("海淀区有多少所高等院校？", 5)
    led = reader.lead(fresh, demoted)
    assert led[0].chunk.id == answering.chunk.id and led[0].evidence.led
    assert [p.chunk.id for p in led[1:]] == [p.chunk.id for p in demoted[:2]]
    assert led[0].score >= led[1].score
    reading = reader.read(fresh, led)
    assert reading.passage is led[0] and len(fresh.readings) == 2  # the original order's reading and the led one
    assert AnswerConfidence().features(reading, led)[0] == 0.0  # not the reranker's first


def test_an_organisation_the_question_names_is_not_the_one_it_asks_for():
    from qa_service.readers.asked_values import values_of_asked_kind
    from qa_service.understanding.asked_detail import analyse_detail

    question = "清华大学在美国办的学院是跟哪所大学合作建的？"
    detail = analyse_detail(question, ("清华", "大学", "美国", "学院", "合作"))
    text = "全球创新学院是清华大学与华盛顿大学合作设立的。"
    found = [text[s:e] for s, e, _ in values_of_asked_kind(detail, text, (), question)]
    assert found and not any("清华大学" in f for f in found)


def _table_passage():
    from documents.models import Chunk
    from qa_service.types import Passage
    text = ("中国移动通信集团公司专利奖励\n管理办法实施细则\n已完成 2015 年 11月 16日。序号 15。"
            "中国移动通信集团公司专利管理\n办法\n已完成 2009 年 9月 20日。")
    chunk = Chunk(id="patent-rows", doc="中国移动双创示范基地建设方案.txt", title="中国移动双创示范基地建设方案",
                  section="附件 2：“双创”制度文件制定情况", text=text, start=0, end=len(text), line_start=1, line_end=3)
    return Passage(chunk, 1.0)


@pytest.mark.parametrize("quoted", [True, False])
def test_a_quote_holding_the_quoted_term_whole_is_worth_more(built_index, encoder, quoted):
    """QA_RERANK_QUOTED: 《专利管理办法》 stands whole in the row that names it (across the line break), not in the
    row of 专利奖励管理办法 that holds all its words."""
    from qa_service.readers.detail_reader import QUOTED_BONUS
    chain = QAService.from_settings(built_index.with_overrides(rerank_quoted=quoted), encoder)._require().chain
    query = chain.query("中国移动集团那份《专利管理办法》是哪一天出台的？", 5)
    bonuses = chain.answerer.reader.quote_bonuses(query, _table_passage())  # quotes: rows 1+2, 2+3, 3
    assert bonuses[1] - bonuses[0] == pytest.approx(QUOTED_BONUS if quoted else 0.0)
    assert bonuses[2] == pytest.approx(bonuses[1])
    plain = chain.query("中国移动集团的专利管理办法是哪一天出台的？", 5)  # nothing quoted: no bonus
    assert len(set(chain.answerer.reader.quote_bonuses(plain, _table_passage()))) == 1


def test_an_ordinal_is_not_a_count(analyse):
    """第一、二条 says which articles, not how many: no answer to 有多少家."""
    from qa_service.readers.asked_values import values_of_asked_kind
    from qa_service.understanding.quantities import find_quantities
    detail = analyse("第一批清单里一共有多少家企业？").detail

    def values(text):
        return [text[s:e] for s, e, _ in values_of_asked_kind(detail, text, tuple(find_quantities(text)))]
    assert values("本办法第一、二条中，第一批免税进口企业清单自发布之日起实施。") == []
    assert values("依照第八条规定，第一批清单共有 47 家企业。") == ["47 家"]


@pytest.mark.parametrize("list_counts", [True, False])
def test_which_two_takes_two_items_or_an_enumeration_said_to_be_two(analyse, list_counts):
    """QA_LIST_COUNTS: 哪三个 is not answered by five items, nor by two; an enumeration the text counts as three
    (“三证合一”) is, though its clause runs on."""
    from qa_service.readers.asked_values import values_of_asked_kind
    detail = analyse("国办发提出的“三证合一”改革，把哪三个证件合并在了一起？").detail
    assert detail.detail.kind == "list" and detail.detail.items == 3

    def enumerations(text):
        return [text[s:e] for s, e, _ in values_of_asked_kind(detail, text, (), "", list_counts)]
    five = "建设以交通物流、教育、金融、医疗、党政等领域通用平台"
    assert enumerations(five) == ([] if list_counts else [five])
    assert enumerations("税务登记证“三证合一”、“一照一码”登记制度改革") == []  # two of three
    said = "全面实行工商营业执照、组织机构代码证和税务登记证“三证合一”、“一照一码”登记制度改革"
    assert enumerations(said) == [said]
    assert enumerations("工商营业执照、组织机构代码证和税务登记证") == ["工商营业执照、组织机构代码证和税务登记证"]
    assert enumerations("党政\n军、工业互联网等平台、") == []  # empty items are not items


def test_which_two_is_not_answered_by_a_list_of_something_else(built_index, encoder):
    """An enumeration of as many items that does not name what is counted in its own clause does not answer;
    without QA_LIST_COUNTS the whole quote naming it was enough."""
    from documents.models import Chunk
    from qa_service.types import Passage
    text = "报告指出，坚持绿色崛起、美丽富民这条主线，实现一县一省级开发区，新增 2 个国家级开发区。"
    chunk = Chunk(id="two-zones", doc="报告.txt", title="南阳市党代会报告", section="", text=text, start=0,
                  end=len(text), line_start=1, line_end=1)
    for counts, expected in ((True, False), (False, True)):
        chain = QAService.from_settings(built_index.with_overrides(list_counts=counts), encoder)._require().chain
        query = chain.query("南阳党代会报告里说要新增的2个国家级开发区，具体是哪两个？", 5)
        reader = chain.answerer.reader
        unit = reader._prepared(chunk).units[0]
        assert (reader._value(query, Passage(chunk, 1.0), unit) is not None) == expected


def _numbered_passage():
    from documents.models import Chunk
    from qa_service.types import Passage
    text = "十、本意见有效期为 2015年 6月 11日至 2020年 12月 31日。"
    chunk = Chunk(id="numbered", doc="汇编.txt", title="国务院关于大力推进大众创业万众创新若干政策措施的意见（国发〔2015〕32号）",
                  section="", text=text, start=0, end=len(text), line_start=1, line_end=1)
    return Passage(chunk, 1.0)


UNTIL_WHEN = "国发〔2015〕32号这份推进大众创业万众创新的政策措施意见，管到什么时候为止？"


@pytest.mark.parametrize("end_dates", [True, False])
def test_until_when_is_answered_by_the_end_of_a_range(built_index, encoder, end_dates):
    """QA_END_DATES: the question asks until when with a verb (管到) the sentence does not use; the range's second
    date answers it, and without the setting nothing does."""
    chain = QAService.from_settings(built_index.with_overrides(end_dates=end_dates), encoder)._require().chain
    passage = _numbered_passage()
    reading = chain.answerer.reader._read(chain.query(UNTIL_WHEN, 5), [passage])
    if end_dates:
        assert reading.verdict == ANSWERED and passage.chunk.text[slice(*reading.value)] == "2020年 12月 31日"
    else:
        assert reading.verdict != ANSWERED


def test_a_title_holding_the_numbered_document_counts_fully_toward_coverage(built_index, encoder):
    """QA_NUMBERED_TITLES: the question's words in the title of the document it names by number count as stated;
    in another document's title, or with the setting off, half."""
    chains = {on: QAService.from_settings(built_index.with_overrides(numbered_titles=on), encoder)._require().chain
              for on in (True, False)}

    def coverage(question, numbered_titles):
        chain = chains[numbered_titles]
        return chain.answerer.reader._read(chain.query(question, 5), [_numbered_passage()]).coverage
    assert coverage(UNTIL_WHEN, True) > coverage(UNTIL_WHEN, False) + 0.1
    another = UNTIL_WHEN.replace("32号", "33号")
    assert coverage(another, True) == pytest.approx(coverage(another, False))


@pytest.mark.parametrize("bilateral", [True, False])
def test_a_partner_country_is_named_by_its_bilateral_form(built_index, encoder, bilateral):
    """QA_BILATERAL_FORMS: a passage writing 中以 names the 以色列 of the question."""
    from documents.models import Chunk
    from qa_service.types import Passage
    text = "以生物产业为突破口，成立 6 亿元的中以生物产业投资基金。"
    chunk = Chunk(id="fund", doc="汇编.txt", title="经验汇编", section="", text=text, start=0, end=len(text),
                  line_start=1, line_end=1)
    chain = QAService.from_settings(built_index.with_overrides(bilateral_forms=bilateral), encoder)._require().chain
    query = chain.query("和以色列合作的那支生物产业基金规模多大？", 5)
    assert "以色列" in query.named
    assert chain.answerer.reader._constraints_hold(query, Passage(chunk, 1.0)) == bilateral
