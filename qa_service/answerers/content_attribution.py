"""Citations by what an LLM answer's sentences state, not by the markers the model wrote.

Models often write a good answer with no marker at all (a small Qwen2.5 behind llama.cpp: 0 markers in 50
answers), or one pointing at the wrong passage. Each sentence of the answer is attributed to the passages it
was given by its content, with the checks the service already has:
- its numbers with units, dates, names and quoted terms must all be stated by the passage
  (qa_service.answerers.claim_check);
- and most of its words must be there: the IDF-weighted share of the sentence's terms found in the passage's
  title, headings and text (the sentence-evidence measure the reranker uses, with the sentence as the query)
  is at least `min_support`.
A sentence whose own markers point at passages that pass both keeps them. Otherwise it is cited to the one
passage that supports it best (or the best two together, when its claims come from two passages), markers
added or corrected; a sentence no passage supports is removed and reported (its unchecked numbers and names,
or its words as a "content" claim). The caller decides whether what is left still answers. The work is
bounded by claim_check's MAX_CHECKED_CHARS: 4,000 characters of corpus text (75 sentences) against five
passages took 140-150 ms here, once per answer (a one-off timing, not kept).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

from qa_service.answerers.citation_markers import MARKER, has_text
from qa_service.answerers.claim_check import (MAX_CHECKED_CHARS, ClaimChecker, ClaimSession, answer_sentences,
                                              cited_refs)
from qa_service.types import Passage, UnsupportedClaim
from qa_service.understanding.query import Query
from qa_service.understanding.question_types import holds_kind
from qa_service.understanding.sentence_evidence import SentenceEvidenceScorer

# Share of a sentence's (IDF-weighted) terms a passage must hold to support it. Against the passages of 海淀区有
# 多少所高等院校？ in the test corpus: sentences restating a passage 1.0 (海淀区有33所高等院校, 科研院所 138 家),
# a generic one 0.3 to 0.7 by passage (海淀区是中国科技创新的重要中心: its words are common), a paraphrase in other
# words 0.14 (海淀区大约有三十多所高校: the passage says 高等院校), off-topic ones 0 to 0.03. Below 0.5 a sentence
# shares little more than the question's own words. A generic sentence can pass: this measure catches sentences
# about something else, the claim check invented figures and names.
MIN_TERM_SUPPORT = 0.5
_LEAD_IN = ("：", ":")
_CLOSING = re.compile(r"[。！？；!?;，,：:、]*\s*$")


@dataclass(frozen=True)
class Attribution:
    text: str  # the kept sentences, each with markers to passages that state it
    unsupported: tuple[UnsupportedClaim, ...]  # what the removed sentences state that no passage does
    recited: int  # kept sentences whose markers were added or corrected
    removed: int  # sentences removed
    unchecked_chars: int = 0  # removed unchecked at the end of a very long answer (MAX_CHECKED_CHARS)
    # For each cited passage, the first kept sentence citing it, analysed as a query: its citation quotes the
    # passage's sentence that best matches what the answer says, not what the question asked.
    rests_on: Mapping[int, Query] = field(default_factory=dict)

    @property
    def trimmed(self) -> bool:
        return bool(self.removed or self.unchecked_chars)

    def answers(self, query: Query) -> bool:
        """What is left says something, cites a passage and holds the kind of content the question requires."""
        if not MARKER.search(self.text) or not has_text(self.text):
            return False
        kind = query.required_kind
        return kind is None or holds_kind(MARKER.sub("", self.text), kind)

    def describe(self, uncited: bool) -> str:
        """What was changed, for the answer's notice."""
        parts = []
        if uncited and self.recited:
            parts.append("the LLM answer cited no passage: its sentences were cited by what they state")
        elif self.recited:
            parts.append(f"the citations of {self.recited} sentence(s) were corrected by what they state")
        if self.unsupported:
            claims = "、".join(dict.fromkeys(c.claim for c in self.unsupported if c.kind != "content"))
            contents = sum(1 for c in self.unsupported if c.kind == "content")
            if claims:
                parts.append(f"the passages do not state {claims}")
            if contents:
                parts.append(f"{contents} sentence(s) stated nothing the passages state")
        if self.unchecked_chars:
            parts.append(f"{self.unchecked_chars} characters past the first {MAX_CHECKED_CHARS} were not checked")
        return "; ".join(parts)


class ContentAttributor:
    def __init__(self, claims: ClaimChecker, scorer: SentenceEvidenceScorer, analyse: Callable[[str], Query],
                 min_support: float = MIN_TERM_SUPPORT) -> None:
        self._claims = claims
        self._scorer = scorer
        self._analyse = analyse
        self._min_support = min_support

    def attribute(self, query: Query, text: str, shown: list[Passage]) -> Attribution:
        """`text` carries verified [n] markers into `shown` (1-based), or none."""
        session = self._claims.session(query, shown)
        kept: list[str] = []
        unsupported: list[UnsupportedClaim] = []
        rests_on: dict[int, Query] = {}
        recited = removed = used = 0
        sentences = answer_sentences(text)
        for i, sentence in enumerate(sentences):
            if used + len(sentence) > MAX_CHECKED_CHARS:
                return Attribution("".join(kept).strip(), tuple(unsupported), recited, removed,
                                   sum(len(s) for s in sentences[i:]), rests_on)
            used += len(sentence)
            bare = MARKER.sub("", sentence)
            if not has_text(bare):
                kept.append(bare)  # layout (a line break); a lone marker goes
                continue
            refs = cited_refs(sentence, len(shown))
            every = tuple(range(1, len(shown) + 1))
            if bare.rstrip().endswith(_LEAD_IN) and not session.unsupported(bare, every):
                kept.append(bare)  # "主要措施包括：" introduces the cited lines that follow; it states nothing
                continue
            support = self._support_of(bare, shown)
            if refs and self._supports(session, bare, refs, support):
                kept.append(sentence)
                rests_on.update({r: support.asked for r in refs if r not in rests_on})
                continue
            found = self._find(session, bare, shown, support)
            if found:
                kept.append(_cited(bare, found))
                rests_on.update({r: support.asked for r in found if r not in rests_on})
                recited += 1
                continue
            removed += 1
            against = refs or every
            claims = session.unsupported(bare, against)
            stated = sentence.strip()
            unsupported.extend(UnsupportedClaim(c, kind, stated, against) for c, kind in claims)
            if not claims:
                unsupported.append(UnsupportedClaim(bare.strip(), "content", stated, against))
        return Attribution("".join(kept).strip(), tuple(unsupported), recited, removed, rests_on=rests_on)

    def _support_of(self, sentence: str, shown: list[Passage]) -> "_Support":
        return _Support(self._analyse(sentence), self._scorer, shown)

    def _supports(self, session: ClaimSession, sentence: str, refs: tuple[int, ...],
                  support: "_Support") -> bool:
        return support(refs) >= self._min_support and not session.unsupported(sentence, refs)

    def _find(self, session: ClaimSession, sentence: str, shown: list[Passage],
              support: "_Support") -> tuple[int, ...]:
        """The passage that supports the sentence best, else the best two together; () when none do."""
        ranked = sorted(range(1, len(shown) + 1), key=lambda r: -support((r,)))
        for ref in ranked:
            if support((ref,)) < self._min_support:
                break
            if not session.unsupported(sentence, (ref,)):
                return (ref,)
        if len(ranked) >= 2:
            pair = tuple(sorted(ranked[:2]))
            if self._supports(session, sentence, pair, support):
                return pair
        return ()


class _Support:
    """One sentence's term support by sets of passages (1-based refs), computed when first asked."""

    def __init__(self, asked: Query, scorer: SentenceEvidenceScorer, shown: list[Passage]) -> None:
        self.asked = asked  # the sentence analysed as a query: also what its citations' quotes are chosen by
        self._scorer = scorer
        self._shown = shown
        self._cache: dict[tuple[int, ...], float] = {}

    def __call__(self, refs: tuple[int, ...]) -> float:
        if refs not in self._cache:
            if len(refs) == 1:
                self._cache[refs] = self._scorer.support(self.asked, self._shown[refs[0] - 1])
            else:
                joined = "\n".join(f"{p.chunk.title}\n{p.chunk.section}\n{p.chunk.text}"
                                   for p in (self._shown[r - 1] for r in refs))
                self._cache[refs] = self._scorer.coverage(self.asked, joined)
        return self._cache[refs]


def _cited(sentence: str, refs: tuple[int, ...]) -> str:
    """The sentence (markers removed) with `refs` as markers before its closing punctuation."""
    body = sentence.rstrip()
    end = _CLOSING.search(body)
    cut = end.start() if end else len(body)
    markers = "".join(f"[{r}]" for r in refs)
    return body[:cut].rstrip() + markers + body[cut:] + sentence[len(body):]
