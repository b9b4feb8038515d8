"""The words of each quote of a passage (a sentence and the next), cutting each stretch of text once.

A quote shares its second sentence with the next quote: cutting every quote on its own cut each sentence twice,
and cutting words was most of what preparing a passage for the detail reader cost. jieba cuts each run of
characters that can form a word (Han, Latin letters, digits, +#&._%-) on its own, and the characters between runs
one by one, so where a cut falls between two characters that cannot share a run, the words of the two sides,
put together, are the words of the whole. Sentences end at punctuation or a line break, which no run holds; a
passage with a cut anywhere else (or a tokenizer other than jieba's) is cut quote by quote as before.
"""
from __future__ import annotations

import unicodedata
from typing import Callable

import jieba

from embeddings.lexical.chinese_tokenizer import ChineseTokenizer, normalise_for_matching
from qa_service.understanding.sentence_splitter import split_sentences


def _clean_cut(text: str, at: int) -> bool:
    """Cutting `text` at `at` splits no run jieba would cut as one, nor a character from its combining mark."""
    if at <= 0 or at >= len(text):
        return True
    if unicodedata.combining(text[at]):
        return False
    left, right = normalise_for_matching(text[at - 1]), normalise_for_matching(text[at])
    run = jieba.re_han_default
    return not (left and right and run.fullmatch(left[-1]) and run.fullmatch(right[0]))


def quote_words(text: str, tokenize: Callable[[str], list[str]]) -> list[list[str]]:
    """tokenize(quote) for each quote of `text`, in order: each of its sentences (split_sentences) with the next
    (the last alone), as detail_reader prepares them."""
    sentences = split_sentences(text)
    ends = [s.start + len(s.text) for s in sentences]
    spans = [(s.start, ends[i], ends[min(i + 1, len(ends) - 1)]) for i, s in enumerate(sentences)]
    if not isinstance(tokenize, ChineseTokenizer) or not all(_clean_cut(text, at) for s in spans for at in s[:2]):
        return [tokenize(text[start:end]) for start, _, end in spans]
    pieces: dict[tuple[int, int], list[str]] = {}

    def words(start: int, end: int) -> list[str]:
        if (start, end) not in pieces:
            pieces[start, end] = tokenize(text[start:end]) if start < end else []
        return pieces[start, end]

    out = []
    for i, (start, first_end, end) in enumerate(spans):
        following = spans[i + 1] if i + 1 < len(spans) else None
        if following is not None and end == following[1]:  # this sentence, what lies before the next, the next
            out.append(words(start, first_end) + words(first_end, following[0]) + words(following[0], end))
        elif following is None and end == first_end:
            out.append(words(start, end))
        else:
            out.append(tokenize(text[start:end]))
    return out
