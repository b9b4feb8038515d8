from __future__ import annotations

import hashlib

import pytest

from documents import UndecodableFile, UnsupportedFileType, decode_bytes, load_paths
from documents.errors import DocumentError

# First line of 中国电科双创示范基地建设方案.txt.
SAMPLE = "为全面落实《国务院关于大力推进大众创业万众创新若干政策措施的意见》（国发[2015]32 号）\n一、基础条件\n"


@pytest.mark.parametrize(
    "raw, encoding",
    [
        (SAMPLE.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + SAMPLE.encode("utf-8"), "utf-8-sig"),
        (SAMPLE.encode("gb18030"), "gb18030"),
        (SAMPLE.encode("gbk"), "gb18030"),
    ],
)
def test_encodings_decode_to_the_same_text(raw: bytes, encoding: str) -> None:
    text, used = decode_bytes(raw, "x.txt")
    assert text == SAMPLE
    assert used == encoding


def test_gb18030_only_characters_survive() -> None:
    text = SAMPLE + "𠀀㐀"  # outside GBK: only GB18030 encodes them
    assert decode_bytes(text.encode("gb18030"), "x.txt")[0] == text


def test_undecodable_bytes_raise_and_name_the_file() -> None:
    with pytest.raises(UndecodableFile, match="bad.txt"):
        decode_bytes(b"\x81\xff\x80\xfe" * 8 + b"\x00\x01\x02", "bad.txt")


def test_load_paths_walks_folders_recursively_in_order(tmp_path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "deep").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "b" / "deep" / "z.md").write_text("# 标题", encoding="utf-8")
    (tmp_path / "b" / "a.txt").write_bytes(SAMPLE.encode("gbk"))
    (tmp_path / "c.txt").write_text(SAMPLE, encoding="utf-8")
    (tmp_path / ".secret.txt").write_text("x", encoding="utf-8")
    (tmp_path / ".hidden" / "h.txt").write_text("x", encoding="utf-8")
    (tmp_path / "skip.pdf").write_bytes(b"%PDF")
    docs = load_paths([tmp_path])
    assert [d.name for d in docs] == ["a.txt", "z.md", "c.txt"]
    assert docs[0].text == SAMPLE and docs[0].encoding == "gb18030"
    assert docs[0].sha256 == hashlib.sha256(SAMPLE.encode("gbk")).hexdigest()


def test_explicit_unsupported_file_raises(tmp_path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    with pytest.raises(UnsupportedFileType, match="report.pdf"):
        load_paths([pdf])


def test_missing_path_raises(tmp_path) -> None:
    with pytest.raises(DocumentError, match="nope.txt"):
        load_paths([tmp_path / "nope.txt"])


def test_same_file_twice_is_loaded_once(tmp_path) -> None:
    f = tmp_path / "a.txt"
    f.write_text(SAMPLE, encoding="utf-8")
    assert len(load_paths([f, tmp_path])) == 1
