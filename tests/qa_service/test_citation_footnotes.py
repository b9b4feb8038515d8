"""The sources written under an answer's text: what one line says, and that the block comes off again."""
from documents.models import Chunk
from qa_service.citation_footnotes import (MAX_QUOTE_CHARS, cited_line, footnotes, source_line, with_footnotes,
                                          without_footnotes)
from qa_service.types import Citation, Passage


def _cited(ref: int, doc: str, title: str, section: str, page=None, page_end=None, lines=(11, 21),
           quote="正文") -> Citation:
    chunk = Chunk(id=f"c{ref}", doc=doc, title=title, section=section, text="正文", start=0, end=2,
                  line_start=lines[0], line_end=lines[1], page=page, page_end=page_end)
    return Citation(ref=ref, passage=Passage(chunk=chunk, score=1.0), quote=quote)


def test_a_line_names_document_title_section_and_page():
    pdf = _cited(2, "汇编.pdf", "北京市海淀区双创经验总结", "一、基本情况 > （一）总体情况。", page=3, page_end=4)
    assert source_line(pdf) == "[2] 汇编.pdf，《北京市海淀区双创经验总结》，一、基本情况 > （一）总体情况，第 3–4 页"
    one_page = _cited(1, "方案.pdf", "方案", "", page=7)
    assert source_line(one_page) == "[1] 方案.pdf，第 7 页"  # the title is the file's own name: said once
    text_file = _cited(1, "方案.txt", "方案", "二、目标", lines=(5, 5))
    assert source_line(text_file) == "[1] 方案.txt，二、目标，第 5 行"  # no pages: the lines of the file


def test_a_long_section_is_cut_to_its_start():
    line = source_line(_cited(1, "a.txt", "a", "节" * 300))
    assert "节" * 79 + "…" in line and "节" * 80 not in line


def test_the_block_follows_the_answer_and_comes_off_again():
    cited = [_cited(1, "a.txt", "a", "一、x"), _cited(2, "b.pdf", "b", "", page=2)]
    text = with_footnotes("答案[1][2]", cited)
    assert text == "答案[1][2]\n\n来源：\n- [1] a.txt，一、x，第 11–21 行：“正文”\n- [2] b.pdf，第 2 页：“正文”"
    assert without_footnotes(text) == "答案[1][2]"
    assert footnotes([]) == "" and with_footnotes("文档中没有找到", []) == "文档中没有找到"
    # Text that only looks like it keeps everything: a user's own "来源：" paragraph followed by prose.
    own = "答案\n\n来源：\n- [1] 我写的\n后面还有话"
    assert without_footnotes(own) == own and without_footnotes("答案") == "答案"


def test_the_cited_sentence_follows_a_short_answer_but_is_not_repeated():
    sentence = "海淀区目前有北大、清华等高等院校 33 所，以中科院为代表的科研院所 138 家。"
    cited = _cited(1, "a.txt", "a", "", lines=(3, 3), quote=sentence + "\n此外，企业超万家。")
    assert cited_line(cited, "33 所[1]") == f"[1] a.txt，第 3 行：“{sentence} 此外，企业超万家。”"  # one line
    # an answer that is the quote (spacing, punctuation and markers aside) is not followed by it again
    assert cited_line(cited, "海淀区目前有北大、清华等高等院校33所，以中科院为代表的科研院所138家。 此外，企业超万家[1]") \
        == "[1] a.txt，第 3 行"


def test_a_long_quote_keeps_whole_sentences():
    first = "甲" * 100 + "。"
    long = _cited(1, "a.txt", "a", "", lines=(3, 3), quote=first + "乙" * 100 + "。")
    assert cited_line(long, "答[1]").endswith(f"：“{first}”")
    one = _cited(1, "a.txt", "a", "", lines=(3, 3), quote="丙" * 400)  # a single sentence over the limit is cut
    assert cited_line(one, "答[1]").endswith("丙" * (MAX_QUOTE_CHARS - 1) + "…”")
