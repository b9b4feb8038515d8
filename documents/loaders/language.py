"""Is decoded text language, or gibberish that happens to decode? (random GBK byte pairs, random Han, shuffled text)

Strict decoding cannot tell: any sequence of valid GBK double-byte codes decodes to Han characters, and 200 KB of
them once became 909 passages of nonsense. Two measures of adjacent Han characters tell, on runs of at least four
Han characters (a list of 2-3 character names or terms separated by spaces or commas is not judged by them):

- word share: the share of adjacent pairs that begin a word of jieba's dictionary (349,046 entries, simplified
  Chinese). Measured with this code on the bundled corpus: 0.550-0.568 per file, at least 0.489 in any 1,500- or
  5,000-character window; the same characters shuffled: 0.131-0.150; 200 KB of random GBK pairs from the Han
  areas 0.001, random Han (U+4E00-U+9FA5) 0.000. Text passes at 0.30 or more.
- repetition: distinct adjacent pairs divided by the distinct pairs of the same characters shuffled (cut into runs
  of the same lengths). Language repeats its words, so the ratio is well below 1 in any language or script variant
  the dictionary does not know (traditional characters, Japanese kanji compounds); gibberish and shuffles sit at 1.
  Corpus files 0.36-0.53, any window of 1,000 or more Han characters at most 0.784; shuffled at least 0.994; random
  1.000. Text of 1,000 or more such characters also passes at 0.90 or less.

Text with fewer than MIN_HAN such characters, or whose letters are mostly not Han, is not judged.
"""
from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass

MIN_HAN = 300  # below this the measures are too noisy to refuse anything (and the harm is a few passages)
MIN_WORD_SHARE = 0.30
MIN_HAN_FOR_REPETITION = 1_000
MAX_REPETITION = 0.90
SAMPLE_CHARS = 200_000  # judged on evenly spaced windows of the text of at most this many characters
_WINDOW = 2_000
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{4,}")
_NOT_LETTER = re.compile(r"[\W\d_]+")


def _is_han(ch: str) -> bool:
    """One Han character ("" is not)."""
    return "\u3400" <= ch <= "\u4dbf" or "\u4e00" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


@functools.lru_cache(maxsize=1)
def word_starts() -> frozenset[str]:
    """The first two characters of every jieba dictionary word that starts with two Han characters (178,168)."""
    import jieba

    with jieba.get_dict_file() as fh:
        lines = fh.read().decode("utf-8").splitlines()
    return frozenset(line[:2] for line in lines if _is_han(line[:1]) and _is_han(line[1:2]))


@dataclass(frozen=True)
class LanguageEvidence:
    """What the check measured, for the refusal message and for tests."""

    han: int  # Han characters in runs of 4 or more (in the sample)
    letters: int  # letters of any script (in the sample)
    word_share: float | None  # None: not judged
    repetition: float | None  # None: fewer than MIN_HAN_FOR_REPETITION characters, or not judged

    @property
    def judged(self) -> bool:
        return self.word_share is not None

    @property
    def plausible(self) -> bool:
        if not self.judged:
            return True
        if self.word_share >= MIN_WORD_SHARE:  # type: ignore[operator]
            return True
        return self.repetition is not None and self.repetition <= MAX_REPETITION


def _sample(text: str) -> str:
    """Evenly spaced windows of the text, about SAMPLE_CHARS characters in all: the cost and memory of the
    check do not grow with the document."""
    if len(text) <= SAMPLE_CHARS:
        return text
    windows = SAMPLE_CHARS // _WINDOW
    stride = len(text) // windows
    return "\n".join(text[i * stride:i * stride + _WINDOW] for i in range(windows))


def _pairs(runs: list[str]) -> list[str]:
    return [run[i:i + 2] for run in runs for i in range(len(run) - 1)]


def _shuffled_runs(runs: list[str]) -> list[str]:
    """The same characters in random order (a fixed seed), cut into runs of the same lengths."""
    chars = list("".join(runs))
    random.Random(0).shuffle(chars)
    out, at = [], 0
    for run in runs:
        out.append("".join(chars[at:at + len(run)]))
        at += len(run)
    return out


def measure(text: str) -> LanguageEvidence:
    sample = _sample(text)
    runs = _HAN_RUN.findall(sample)
    han = sum(map(len, runs))
    letters = len(_NOT_LETTER.sub("", sample))  # counted without a string per letter (7 million of them: 600 MB)
    if han < MIN_HAN or han < letters / 2:
        return LanguageEvidence(han, letters, None, None)
    pairs = _pairs(runs)
    starts = word_starts()
    share = sum(1 for p in pairs if p in starts) / len(pairs)
    repetition = None
    if han >= MIN_HAN_FOR_REPETITION:
        expected = len(set(_pairs(_shuffled_runs(runs))))
        repetition = len(set(pairs)) / expected if expected else 1.0
    return LanguageEvidence(han, letters, share, repetition)
