"""Cutting each stretch of a passage once (readers/quote_words.py) gives every quote (a sentence and the next) the
words cutting the quote whole gives; where a cut could join what a whole cut keeps apart, each quote is cut whole."""
from __future__ import annotations

from embeddings.lexical.chinese_tokenizer import ChineseTokenizer
from qa_service.readers.quote_words import quote_words
from qa_service.understanding.sentence_splitter import split_sentences
from tests.conftest import CORPUS

TOKENIZE = ChineseTokenizer()


def _quotes(text: str) -> list[str]:
    sentences = split_sentences(text)
    ends = [s.start + len(s.text) for s in sentences]
    return [text[s.start:ends[min(i + 1, len(ends) - 1)]] for i, s in enumerate(sentences)]


class _Recording(ChineseTokenizer):
    def __init__(self) -> None:
        super().__init__()
        object.__setattr__(self, "cut", [])

    def __call__(self, text: str) -> list[str]:
        self.cut.append(text)
        return TOKENIZE(text)


def test_each_quote_has_the_words_of_cutting_it_whole_and_each_stretch_is_cut_once():
    text = (CORPUS / "中国电科双创示范基地建设方案.txt").read_text(encoding="utf-8")
    passages = [text[i:i + 600] for i in range(0, len(text), 600)]
    passages.append("标题行\n表格  第一列\n2019年 500 家；ＡＢＣ公司（全称）。短。\n接着的句子说到了 5G 和 AI！最后一句")
    for passage in passages:
        recording = _Recording()
        assert quote_words(passage, recording) == [TOKENIZE(q) for q in _quotes(passage)]
        assert sum(map(len, recording.cut)) <= len(passage)  # not each sentence twice


def test_a_sentence_starting_with_a_combining_mark_cuts_each_quote_whole():
    text = "第一句话说得很长很长。\n\u0301第二句也不短吧。第三句"
    recording = _Recording()
    assert quote_words(text, recording) == [TOKENIZE(q) for q in _quotes(text)]
    assert recording.cut == _quotes(text)


def test_another_tokenizer_cuts_each_quote_whole():
    cut: list[str] = []

    def tokenize(text: str) -> list[str]:
        cut.append(text)
        return text.split()

    text = "一 二。三 四。五六七八"
    assert quote_words(text, tokenize) == [q.split() for q in _quotes(text)]
    assert cut == _quotes(text)
