"""The index writer: a version is complete or absent. A failure at any point of a write leaves the current
version in service, untouched, and no half-written version behind; the lexical side is built without the model."""
from __future__ import annotations

import errno
import os

import numpy as np
import pytest

from documents.models import Chunk
from embeddings import index_writer
from embeddings.index_spec import IndexSpec
from embeddings.index_store import CURRENT_FILE, current_version_dir, load_index, read_manifest
from embeddings.index_writer import IndexWriter
from embeddings.lexical.chinese_tokenizer import ChineseTokenizer
from embeddings.lexical.term_vectors import TermVectors

SPEC = IndexSpec.build("m", "torch-fp32", {"chunk_tokens": 320, "overlap_tokens": 80}, "title-section-text", "pdf",
                       ChineseTokenizer())


def _chunks(n: int, doc: str = "a.txt") -> list[Chunk]:
    return [Chunk(id=f"{doc}-{i}", doc=doc, title="创新政策", section="一、总体要求",
                  text=f"第{i}条 支持创新创业平台建设", start=i, end=i + 1, line_start=1, line_end=1) for i in range(n)]


def _encode(texts: list[str]) -> np.ndarray:
    """A stand-in for the model where only the vectors' shape matters: one fixed unit vector per text."""
    rows = np.random.default_rng(len(texts)).normal(size=(len(texts), 16)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _write(writer: IndexWriter, chunks: list[Chunk], terms: bool = True):
    bm25 = writer.bm25(chunks)
    return writer.write(chunks, _encode([c.text for c in chunks]), bm25,
                        writer.term_vectors(bm25, _encode) if terms else None,
                        [{"name": chunks[0].doc, "sha256": "s", "chunks": len(chunks)}], "fingerprint")


@pytest.fixture()
def written(tmp_path):
    writer = IndexWriter(tmp_path / "idx", SPEC)
    version = _write(writer, _chunks(5))
    return writer, version, read_manifest(writer.index_dir)


def _assert_only(index_dir, version, manifest) -> None:
    """The given version is current and intact; nothing else is in the directory but the token cache."""
    assert current_version_dir(index_dir) == version and read_manifest(index_dir) == manifest
    assert len(load_index(index_dir).chunks) == manifest.chunk_count  # checksums verified
    assert sorted(p.name for p in index_dir.iterdir()) == sorted([CURRENT_FILE, version.name, "tokens.sqlite"])


def test_a_version_records_the_specification_and_its_lexical_side(written):
    writer, version, manifest = written
    assert {k: getattr(manifest, k) for k in ("model", "embedding_variant", "chunking", "lexical")} == \
        SPEC.manifest_fields()
    assert SPEC.matches(manifest) and manifest.corpus_fingerprint == "fingerprint"
    index = load_index(writer.index_dir)
    assert index.terms is not None and "创新" in index.terms and len(index.terms) == len(index.bm25.vocabulary)
    assert index.bm25.tokenize.to_dict() == SPEC.lexical["tokenizer"]
    assert writer.texts(index.chunks[:1]) == ["创新政策\n一、总体要求\n第0条 支持创新创业平台建设"]


class _FailingTerms(TermVectors):
    """Term vectors whose saving fails half-way (a full disk): the version's other files are written by then."""

    def save(self, directory):
        (directory / "terms").mkdir()
        (directory / "terms" / "vectors.npy").write_bytes(b"\x93NUMPY half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_failure_while_writing_the_files_leaves_the_current_version_and_no_staging(written):
    writer, version, manifest = written
    chunks = _chunks(7, "b.txt")
    bm25 = writer.bm25(chunks)
    with pytest.raises(OSError, match="No space left"):
        writer.write(chunks, _encode([c.text for c in chunks]), bm25, _FailingTerms(["x"], _encode(["x"])),
                     [{"name": "b.txt", "sha256": "t", "chunks": 7}], "other")
    _assert_only(writer.index_dir, version, manifest)


def test_a_failure_between_the_rename_and_the_switch_removes_the_renamed_version(written, monkeypatch):
    writer, version, manifest = written
    real_replace = os.replace

    def replace(src, dst):
        if str(dst).endswith(CURRENT_FILE):
            raise OSError(errno.EIO, "the pointer cannot be written")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OSError, match="pointer"):
        _write(writer, _chunks(6, "c.txt"))
    monkeypatch.undo()
    _assert_only(writer.index_dir, version, manifest)


def test_a_failure_after_the_switch_keeps_the_new_version(written, monkeypatch):
    """Once CURRENT names the new version it is in service: a failing last fsync must not remove it."""
    writer, old, _ = written
    calls = []

    def fsync_dir(directory):
        calls.append(directory)
        if directory == writer.index_dir:
            raise OSError(errno.EIO, "fsync failed")

    monkeypatch.setattr(index_writer, "_fsync_dir", fsync_dir)
    with pytest.raises(OSError, match="fsync"):
        _write(writer, _chunks(4, "d.txt"))
    monkeypatch.undo()
    current = current_version_dir(writer.index_dir)
    assert current != old and {c.doc for c in load_index(writer.index_dir).chunks} == {"d.txt"}
    assert not list(writer.index_dir.glob(".tmp-v-*")) and not list(writer.index_dir.glob(f".{CURRENT_FILE}.tmp-*"))


def test_an_interrupted_write_leaves_nothing_and_the_next_write_switches(written, monkeypatch):
    writer, version, manifest = written

    def interrupted(root):
        raise KeyboardInterrupt

    monkeypatch.setattr(index_writer, "_fsync_tree", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _write(writer, _chunks(3, "e.txt"))
    monkeypatch.undo()
    _assert_only(writer.index_dir, version, manifest)
    new = _write(writer, _chunks(3, "e.txt"), terms=False)
    assert current_version_dir(writer.index_dir) == new and load_index(writer.index_dir).terms is None
    assert sorted(p.name for p in writer.index_dir.glob("v-*")) == sorted([version.name, new.name])  # one kept


def test_versions_beyond_the_previous_one_are_pruned(written):
    writer, first, _ = written
    second = _write(writer, _chunks(2, "f.txt"))
    third = _write(writer, _chunks(2, "g.txt"))
    assert sorted(p.name for p in writer.index_dir.glob("v-*")) == sorted([second.name, third.name])
    assert not first.exists()
