"""Short forms the question uses for what the documents write out: 党代会 for 第七次代表大会, 工信部 for 工业和信息化部.

Chinese short forms keep characters of the long form in order, from its first character on (工业和信息化部 ->
工信部). The long forms of a short form are read from the corpus, not from a word list: the stretches of Han
characters that begin with its first character and hold its other characters in order, each gap at most
MAX_GAP characters and the whole at most SPAN_FACTOR times the short form. A stretch that occurs only once is
as likely chance (党 … 代 … 会 in unrelated words) as a long form, so only stretches the corpus repeats
(MIN_COUNT times, counted in the documents, not in overlapping passages) count, most frequent first.

A short form in Latin letters (PUE, MEMS) keeps none of its long form's characters; the corpus says which long
form it stands for where it writes the two side by side, 电能使用效率（PUE）. Of the Han characters before the
bracket, the long form is the longest ending there (at least MIN_ACRONYM_LONG characters) that the corpus also
writes without the short form after it (so 电能使用效率 of 数据中心电能使用效率（PUE）: a longer stretch the
corpus writes only there is a sentence's words, not a name).

Used where the question's named things must stand in the corpus or a passage (understanding/premises.py,
readers/detail_reader.py): a named thing the text writes only out in full is not "never mentioned".
"""
from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from typing import Callable, Iterable, Sequence

from documents.models import Chunk

MIN_COUNT = 2  # times the corpus must write a long form
MAX_GAP = 6  # Han characters between two characters of the short form
SPAN_FACTOR = 4  # a long form is at most this many times as long as the short form
MAX_LONG_FORMS = 3  # most frequent long forms kept per short form
# Short forms of this many Han characters are resolved. Two characters give too few anchors: 高企 found 高校和企 beside
# 高新技术企, and 西湖 found long forms of 西…湖 (dev: du-029 then read a passage on 四川大学 instead of "never mentioned").
MIN_SHORT, MAX_SHORT = 3, 4
_HAN_ONLY = re.compile(r"[\u4e00-\u9fff]+")
_ACRONYM = re.compile(r"[a-z][a-z0-9\-]{1,9}")  # normalised: PUE -> pue, NB-IoT -> nb-iot
MIN_ACRONYM_LONG, MAX_ACRONYM_LONG = 4, 16  # Han characters of a long form written beside a Latin short form


def document_texts(chunks: Sequence[Chunk]) -> list[str]:
    """Each document's text once, rebuilt from its passages (they overlap: counting in passages would count
    the overlap twice)."""
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc, []).append(chunk)
    texts = []
    for parts in by_doc.values():
        parts.sort(key=lambda c: (c.start, c.end))
        pieces, reached = [], None
        for chunk in parts:
            skip = 0 if reached is None else max(0, min(reached - chunk.start, len(chunk.text)))
            pieces.append(chunk.text[skip:])
            reached = chunk.end if reached is None else max(reached, chunk.end)
        texts.append("".join(pieces))
    return texts


class Abbreviations:
    def __init__(self, texts: Callable[[], Iterable[str]], memo: int = 4096) -> None:
        """`texts` gives the documents' texts, asked on the first short form: a load or reload (each upload) that
        no question with a short form follows does not rebuild them."""
        self._texts = texts
        self.long_forms = functools.lru_cache(maxsize=memo)(self._long_forms)  # type: ignore[method-assign]

    @functools.cached_property
    def _corpus(self) -> str:
        return "\n".join(unicodedata.normalize("NFKC", t).lower() for t in self._texts())  # on first need: 0.5 s

    def _long_forms(self, short: str) -> tuple[str, ...]:
        """The corpus's long forms of `short` (most frequent first); () when it is not a short form of Han
        characters or the corpus repeats none."""
        short = unicodedata.normalize("NFKC", short).lower()
        if _ACRONYM.fullmatch(short):
            return self._acronym_long_forms(short)
        if not (MIN_SHORT <= len(short) <= MAX_SHORT) or not _HAN_ONLY.fullmatch(short):
            return ()
        gap = rf"[\u4e00-\u9fff]{{0,{MAX_GAP}}}?"
        pattern = re.compile(re.escape(short[0]) + "".join(gap + re.escape(c) for c in short[1:]))
        limit = SPAN_FACTOR * len(short)
        counts = Counter(m.group(0) for m in pattern.finditer(self._corpus)
                         if len(short) < len(m.group(0)) <= limit)
        return tuple(form for form, n in counts.most_common(MAX_LONG_FORMS) if n >= MIN_COUNT)

    def _acronym_long_forms(self, short: str) -> tuple[str, ...]:
        """The long forms the corpus writes right before `short` in brackets (电能使用效率（PUE）), most frequent
        first; () when it writes none."""
        corpus = self._corpus
        runs = []
        for m in re.finditer(rf"[(（]\s*{re.escape(short)}\s*[)）]", corpus):
            before = corpus[max(0, m.start() - MAX_ACRONYM_LONG - 2):m.start()].rstrip()
            run = re.search(r"[\u4e00-\u9fff]*$", before).group(0)  # type: ignore[union-attr]
            if len(run) >= MIN_ACRONYM_LONG:
                runs.append(run)
        counts: Counter[str] = Counter()
        for run, times in Counter(runs).items():  # a long form written N times before the short form: looked at once
            beside = [run[-k:] for k in range(MIN_ACRONYM_LONG, len(run) + 1)]
            # written elsewhere too: more often in the corpus than before the short form
            elsewhere = [form for form in beside if corpus.count(form) > sum(r.endswith(form) for r in runs)]
            if elsewhere:
                counts[elsewhere[-1]] += times
        return tuple(form for form, _ in counts.most_common(MAX_LONG_FORMS))

    def written_out(self, short: str, text: str) -> bool:
        """`text` (normalised as the corpus: NFKC, lower case) holds one of the corpus's long forms of `short`."""
        return any(form in text for form in self.long_forms(short))
