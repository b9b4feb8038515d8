"""The synthetic corpus of the readiness benchmark: real files that re-ingest with the original's structure, and
whose passages differ from copy to copy (else the embedding cache would skip the work it is meant to cost).
Also the projection of a time to full quality from a partial run (arithmetic only; no timing is asserted)."""
from __future__ import annotations

from collections import Counter

import pytest

from benchmarks import readiness, synthetic_corpus
from benchmarks.report import _readiness
from documents.pipeline import DocumentPipeline
from tests.conftest import haidian_section


def _without_digits(text: str) -> Counter:
    return Counter(ch for ch in text if not ch.isdigit())


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    source = tmp_path_factory.mktemp("source") / "北京市海淀区双创经验总结.txt"
    source.write_text(haidian_section(), encoding="utf-8")
    out = tmp_path_factory.mktemp("synthetic")
    return source, synthetic_corpus.write([source], 3, out), out


def test_copies_are_text_files_with_the_original_structure(made):
    source, report, out = made
    files = sorted(out.glob("*.txt"))
    assert report["documents"] == len(files) == 3 and all("合成副本" in f.name for f in files)
    pipeline = DocumentPipeline()
    original = pipeline.run([str(source)]).documents[0]
    for doc in pipeline.run([str(out)]).documents:
        assert [h.text for h in doc.headings] == [h.text for h in original.headings]
        assert _without_digits(doc.text) == _without_digits(original.text)  # rearranged, not rewritten


def test_passages_differ_from_copy_to_copy(made):
    """By their text alone (the embedded text also holds the title, here the file's stem, different anyway):
    unchanged copies would give a third of them distinct; a title alone or an unlucky rotation repeats."""
    _, _, out = made
    texts = [c.text for c in DocumentPipeline().run([str(out)]).chunks]
    assert len(set(texts)) > 0.9 * len(texts) > 30


def test_digits_are_permuted_per_copy():
    first, second = synthetic_corpus.digit_table(1), synthetic_corpus.digit_table(2)
    assert "2017年".translate(first) != "2017年".translate(second)
    assert sorted("0123456789".translate(first)) == list("0123456789")


def test_projection_from_the_measured_rate_and_the_server_estimate():
    full = {"passages_from": {"seconds": 100.0, "embedded": 0},
            "last": {"seconds": 300.0, "embedded": 2000, "total": 52000, "seconds_left": 3000.0, "phase": "passages"}}
    projected = readiness.projection(full)
    assert projected["projected"] is True and projected["passages_per_s"] == 10.0
    assert projected["seconds_from_rate"] == 300 + 5000 and projected["seconds_from_server_estimate"] == 3300
    assert "2,000 of 52,000" in projected["measured"]
    assert readiness.projection({"passages_from": None, "last": {"seconds": 300.0, "phase": "terms"}})["seconds"] is None


def test_table_labels_a_projected_time_to_full_quality():
    upload = {"post_seconds": 0.8, "answerable_seconds": 1.1, "server_before": {
        "retrieval": "lexical", "embedding": {"phase": "passages"}}}
    corpus = {"passages": 52000, "distinct_texts": 51000, "lexical_ingest_seconds": 150.0, "first_answer_seconds": 180.0,
              "full_quality_seconds": None, "upload": upload, "synthetic": {"factor": 10, "note": "synthetic: ..."},
              "full_quality_projection": {"seconds_from_rate": 5300, "seconds_from_server_estimate": 3300,
                                          "passages_per_s": 10.0, "measured": "2,000 of 52,000 passages embedded"}}
    table = _readiness({"load_average_at_start": [1.0, 1.0, 1.0], "synthetic_10x": corpus})
    row = next(line for line in table if line.startswith("| synthetic 10x"))
    assert "**projected** 88 min 20 s" in row and "2,000 of 52,000" in row and "embedding (passages)" in row
