"""Bounded work per question: a 2,000-character question of any content costs about what a search costs.

One /v1/ask of 2,000 rare Han characters once took 34 s: jieba's part-of-speech HMM tries all of its
states for every character its model does not know. The tests count what reaches that HMM (structure,
not timing) for every kind of long text, check that normal questions are tagged exactly as before, and
bound the per-question work of grounding (entities checked, corpus scans) and the character memo.
"""
from __future__ import annotations

import time
import unicodedata

import jieba.posseg
import pytest

from benchmarks.common import questions
from benchmarks.long_questions import long_texts
from qa_service.understanding import entity_grounding
from qa_service.understanding.entity_grounding import (ENTITY_TAGS, HMM_CHARS, HMM_UNKNOWN_CHARS, MAX_ENTITIES,
                                                       EntityGrounding, _compact)
from qa_service.settings import PROJECT_ROOT

URO = [chr(c) for c in range(0x4E00, 0x9FD6)]  # the Han characters jieba's HMM is given
UNKNOWN_TO_HMM = [c for c in URO if c not in jieba.posseg.char_state_tab_P]


@pytest.fixture()
def hmm_input(monkeypatch):
    """Every observation sequence jieba's part-of-speech HMM is given, as it is given."""
    seen: list[str] = []
    viterbi = jieba.posseg.viterbi

    def counting(obs, *args):
        seen.append(obs)
        return viterbi(obs, *args)

    monkeypatch.setattr(jieba.posseg, "viterbi", counting)
    return seen


@pytest.mark.parametrize("kind", list(long_texts()))
def test_hmm_sees_a_bounded_part_of_any_long_question(kind, hmm_input):
    text = long_texts()[kind]
    EntityGrounding().entities(text)
    given = "".join(hmm_input)
    assert len(given) <= HMM_CHARS
    assert sum(1 for c in given if c in UNKNOWN_TO_HMM) <= HMM_UNKNOWN_CHARS


def test_without_the_bounds_the_same_text_would_reach_the_hmm_whole(hmm_input):
    """The counter is real: an unbounded cut sends every unknown character to the HMM."""
    text = long_texts(60)["rare Han"]
    list(jieba.posseg.cut(text))
    assert sum(1 for c in "".join(hmm_input) if c in UNKNOWN_TO_HMM) == 60


def _unbounded_entities(grounding: EntityGrounding, question: str) -> list[str]:
    """Entity extraction as written before the bounds: one posseg cut of the whole question."""
    found = []
    for groups in entity_grounding._QUOTED.findall(question):
        quoted = next(g for g in groups if g)
        found.extend(part.strip() for part in entity_grounding.QUOTED_PART_SEPARATORS.split(quoted))
    for word, tag in jieba.posseg.cut(unicodedata.normalize("NFKC", question)):
        if tag in ENTITY_TAGS:
            found.append(word.strip())
    unique: list[str] = []
    for word in found:
        if len(_compact(word)) >= 2 and word not in unique:
            unique.append(word)
    return unique


def _dev_questions() -> list[str]:
    import json

    shared = PROJECT_ROOT.parent / "shared" / "eval"
    items = list(questions())
    for name in ("dev.jsonl", "dev_paraphrase.jsonl", "dev_unanswerable.jsonl"):
        if (shared / name).exists():
            items += [json.loads(line)["question"] for line in (shared / name).read_text(encoding="utf-8").splitlines()
                      if line.strip()]
    return items


def test_normal_questions_get_exactly_the_entities_they_got_before():
    grounding = EntityGrounding()
    items = _dev_questions() + ["苏州工业园区的“金鸡湖科技领军人才计划”给创业类人才多少项目资助？", "长三角G60科创走廊覆盖哪几个城市？",
                                "ＩＰｖ６ 规模部署", "中国电科“8+2+X”体系", "北京市海淀区和上海市浦东新区的做法有何不同？"]
    for question in items:
        assert grounding.entities(question) == _unbounded_entities(grounding, question), question


class _CountingGrounding(EntityGrounding):
    scans = 0

    def _is_generic(self, word: str) -> bool:
        self.scans += 1
        return super()._is_generic(word)


def test_entities_and_corpus_scans_per_question_are_capped(analyse):
    grounding = _CountingGrounding(["中国的政策文件"] * 40)
    question = "".join(f"“地名{i:03d}”" for i in range(300))
    entities = grounding.entities(question)
    assert len(entities) == MAX_ENTITIES and entities[0] == "地名000"
    assert len(grounding.ungrounded(analyse(question), [])) == MAX_ENTITIES
    assert grounding.scans == MAX_ENTITIES  # not 300 scans of the corpus


def test_long_words_are_not_remembered(analyse):
    grounding = EntityGrounding(["中国的政策文件"] * 40)
    long_word = "x" * 2000
    assert grounding.entities(long_word) == [long_word]  # one Latin "word" of 2,000 letters
    assert grounding.ungrounded(analyse(long_word), []) == [long_word]
    assert grounding._generic_memo.cache_info().currsize == 0
    grounding.ungrounded(analyse("深圳的示范基地"), [])
    assert grounding._generic_memo.cache_info().currsize == 1


def test_the_character_memo_stays_bounded():
    table = entity_grounding._REMOVE_SPACE_AND_PUNCTUATION
    limit = type(table).MEMO_LIMIT
    for start in range(0x4E00, 0x4E00 + 3 * limit, 1000):  # many more distinct characters than the limit
        _compact("".join(chr(c) for c in range(start, start + 1000)))
    _compact("".join(chr(c) for c in range(0x20000, 0x20000 + limit)))
    assert len(table) <= limit
    # Past the limit characters are still handled: punctuation and spaces of any block are removed.
    assert _compact("\U00020001，\u3000「x」\u2014\U0002A6D6") == "\U00020001x\U0002A6D6"


def test_long_questions_of_any_content_answer_over_http(client):
    """Through /v1/ask on the real app: every kind answers (200 JSON), none takes anything like 34 s."""
    for kind, text in long_texts().items():
        started = time.monotonic()
        resp = client.post("/v1/ask", json={"question": text})
        elapsed = time.monotonic() - started
        assert resp.status_code == 200, (kind, resp.get_data(as_text=True)[:200])
        assert isinstance(resp.get_json()["answerable"], bool)
        assert elapsed < 10.0, (kind, elapsed)  # was 34 s for rare Han; about a second now on a busy machine
