"""File discovery, the one walk behind `load_paths` and `qa ingest`: what is found, noted, refused and missing."""
from __future__ import annotations

import logging

from documents import UnsupportedFileType
from documents.loaders import discover_files


def test_folders_are_walked_in_order_hidden_skipped_unsupported_noted(tmp_path):
    (tmp_path / "b" / "deep").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    for rel in ("b/deep/z.md", "b/a.txt", "c.txt", ".secret.txt", ".hidden/h.txt"):
        (tmp_path / rel).write_text("内容", encoding="utf-8")
    (tmp_path / "图片.gif").write_bytes(b"GIF89a")
    found = discover_files([tmp_path])
    assert [f.path.relative_to(tmp_path).as_posix() for f in found.files] == ["b/a.txt", "b/deep/z.md", "c.txt"]
    assert all(f.in_folder and f.key == str(f.path.resolve()) for f in found.files)
    assert found.skipped == [str(tmp_path / "图片.gif")] and found.failures == [] and found.missing == []


def test_a_named_unsupported_file_and_a_missing_path_are_failures_naming_them(tmp_path):
    (tmp_path / "图片.gif").write_bytes(b"GIF89a")
    (tmp_path / "a.txt").write_text("内容", encoding="utf-8")
    found = discover_files([tmp_path / "图片.gif", tmp_path / "不存在", tmp_path / "a.txt"])
    assert [f.path.name for f in found.files] == ["a.txt"] and not found.files[0].in_folder
    unsupported, missing = found.failures
    assert isinstance(unsupported.error, UnsupportedFileType) and "图片.gif" in str(unsupported.error)
    assert str(missing.error) == f"{tmp_path / '不存在'}: no such file or directory"
    assert found.missing == [str((tmp_path / "不存在").resolve())]


def test_each_file_is_found_once_and_an_empty_folder_is_said(tmp_path, caplog):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("内容", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    with caplog.at_level(logging.WARNING):
        found = discover_files([tmp_path / "docs" / "a.txt", tmp_path / "docs", tmp_path / "empty"])
    assert len(found.files) == 1
    assert f"{tmp_path / 'empty'}: folder holds no supported files" in caplog.text
