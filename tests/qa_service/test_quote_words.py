"""Cutting each stretch of a passage once (readers/quote_words.py) gives every quote the words cutting the quote
whole gives; where a cut could split a word, each quote is cut whole."""
from __future__ import annotations

from embeddings.lexical.chinese_tokenizer import ChineseTokenizer
from qa_service.readers.quote_words import quote_words
from qa_service.understanding.sentence_splitter import split_sentences
from tests.conftest import CORPUS


def _spans(text: str) -> list[tuple[int, int, int]]:
    sentences = split_sentences(text)
    return [(s.start, s.start + len(s.text), (sentences[i + 1] if i + 1 < len(sentences) else s).start
             + len((sentences[i + 1] if i + 1 < len(sentences) else s).text)) for i, s in enumerate(sentences)]


def test_each_quote_has_the_words_of_cutting_it_whole():
    tokenize = ChineseTokenizer()
    text = (CORPUS / "中国电科双创示范基地建设方案.txt").read_text(encoding="utf-8")
    passages = [text[i:i + 600] for i in range(0, len(text), 600)]
    passages.append("标题行\n表格  第一列\n2019年 500 家；ＡＢＣ公司（全称）。短。\n接着的句子说到了 5G 和 AI！最后一句")
    cut: list[str] = []

    class Recording(ChineseTokenizer):
        def __call__(self, text: str) -> list[str]:
            cut.append(text)
            return tokenize(text)

    for passage in passages:
        spans = _spans(passage)
        cut.clear()
        assert quote_words(passage, spans, Recording()) == [tokenize(passage[a:c]) for a, _, c in spans]
        assert sum(map(len, cut)) <= len(passage)  # each stretch cut once, not each sentence twice


def test_a_cut_inside_a_word_cuts_each_quote_whole():
    cut: list[str] = []
    tokenizer = ChineseTokenizer()

    class Recording(ChineseTokenizer):
        def __call__(self, text: str) -> list[str]:
            cut.append(text)
            return tokenizer(text)

    text = "科技创新平台建设。企业孵化器"  # a span ending inside 科技创新: not a place to cut
    spans = [(0, 3, 9), (3, 9, 14)]
    words = quote_words(text, spans, Recording())
    assert cut == [text[0:9], text[3:14]]
    assert words == [tokenizer(text[0:9]), tokenizer(text[3:14])]


def test_another_tokenizer_cuts_each_quote_whole():
    cut: list[str] = []

    def tokenize(text: str) -> list[str]:
        cut.append(text)
        return text.split()

    text = "一 二。三 四。五"
    spans = _spans(text)
    assert quote_words(text, spans, tokenize) == [text[a:c].split() for a, _, c in spans]
    assert cut == [text[a:c] for a, _, c in spans]
