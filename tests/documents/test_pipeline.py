from __future__ import annotations

import pytest

from documents import DocumentBatch, DocumentPipeline, EmptyDocument
from documents_testlib import CORPUS, corpus_lines


def test_corpus_members(corpus_batch: DocumentBatch) -> None:
    docs = {d.name: d for d in corpus_batch.documents}
    assert len(docs) == 5
    titles = {name: sum(1 for h in d.headings if h.kind == "title") for name, d in docs.items()}
    assert titles["国家科技创新政策文件汇编.txt"] == 101
    assert titles["首批双创示范基地经验总结汇编.txt"] == 28
    assert titles["中国电科双创示范基地建设方案.txt"] == 0


def test_run_mixed_encodings(tmp_path) -> None:
    text = corpus_lines("中国移动双创示范基地建设方案.txt", 1, 40)
    (tmp_path / "a.txt").write_bytes(text.encode("gbk", errors="ignore"))
    (tmp_path / "b.md").write_text(text, encoding="utf-8-sig")
    batch = DocumentPipeline().run([tmp_path])
    assert [s.encoding for s in batch.sources] == ["gb18030", "utf-8-sig"]
    assert batch.chunks and {c.doc for c in batch.chunks} == {"a.txt", "b.md"}


@pytest.mark.parametrize("content", ["", "\n\n   \n", "\n\n－ 3 －\n\n"])
def test_empty_documents_raise(tmp_path, content: str) -> None:
    f = tmp_path / "empty.txt"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(EmptyDocument, match="empty.txt"):
        DocumentPipeline().run([f])


def test_fingerprint_depends_on_content_not_order(corpus_batch: DocumentBatch) -> None:
    sources = corpus_batch.sources
    fp = DocumentPipeline.fingerprint(sources)
    assert fp == DocumentPipeline.fingerprint(list(reversed(sources)))
    assert len(fp) == 64
    assert fp != DocumentPipeline.fingerprint(sources[1:])
