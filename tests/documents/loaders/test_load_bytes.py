"""`load_bytes` for uploads and `load_file`: dispatch by extension, text files as before, clear errors."""
from __future__ import annotations

import pytest
from builders import make_chinese_pdf, make_docx

from documents import (
    SUPPORTED_EXTENSIONS,
    DocumentError,
    DocumentLoader,
    EmptyDocument,
    LoaderRegistry,
    SourceDocument,
    UndecodableFile,
    UnsupportedFileType,
    load_bytes,
    load_file,
)
from documents.loaders import default_registry

TEXT = "关于推进数字经济发展的实施方案\n一、总体要求\n坚持创新引领。𠀀\n"


def test_supported_extensions() -> None:
    assert SUPPORTED_EXTENSIONS == {".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"}


def test_gb18030_text_file_loads_as_before(tmp_path) -> None:
    raw = TEXT.encode("gb18030")
    (tmp_path / "方案.txt").write_bytes(raw)
    from_file = load_file(tmp_path / "方案.txt")
    uploaded = load_bytes("方案.txt", raw)
    assert from_file.text == uploaded.text == TEXT
    assert from_file.encoding == uploaded.encoding == "gb18030"
    assert from_file.sha256 == uploaded.sha256
    assert uploaded.format == "text" and uploaded.page_starts == () and uploaded.heading_lines == ()


def test_upload_names_never_reach_the_filesystem(tmp_path) -> None:
    doc = load_bytes("C:\\Users\\张三\\Desktop\\报告.PDF", make_chinese_pdf(None, ["报告正文。"]))
    assert doc.name == "报告.PDF" and doc.format == "pdf"
    doc = load_bytes("../../etc/方案.docx", make_docx(None, ["正文。"]))
    assert doc.name == "方案.docx" and doc.text == "正文。"


@pytest.mark.parametrize("name", ["空.txt", "空.md", "空.html", "空.docx", "空.pdf"])
def test_empty_files_raise_naming_the_file(name: str) -> None:
    with pytest.raises(EmptyDocument, match=rf"^{name}: empty file"):
        load_bytes(name, b"")


def test_whitespace_only_text_is_empty() -> None:
    with pytest.raises(EmptyDocument, match="空白.txt"):
        load_bytes("空白.txt", "\n  \u3000\n".encode("utf-8"))


@pytest.mark.parametrize("name, hint", [("表格.xlsx", "export"), ("旧文件.doc", "save it as .docx"), ("README", "(none)"),
                                        ("图片.gif", "save it as .png")])
def test_unsupported_types_raise_naming_the_file(name: str, hint: str) -> None:
    with pytest.raises(UnsupportedFileType, match=rf"^{name}: unsupported file type") as info:
        load_bytes(name, b"data")
    assert hint in str(info.value)


def test_undecodable_text_raises_naming_the_file(tmp_path) -> None:
    (tmp_path / "乱码.txt").write_bytes(b"\x81\xff\x80\xfe" * 8 + b"\x00\x01\x02")
    with pytest.raises(UndecodableFile, match="乱码.txt"):
        load_file(tmp_path / "乱码.txt")


def test_missing_file_is_a_document_error(tmp_path) -> None:
    with pytest.raises(DocumentError, match="不存在.pdf: no such file"):
        load_file(tmp_path / "不存在.pdf")


class _CsvLoader(DocumentLoader):
    """A format added by registering one class: rows of a CSV become lines."""

    extensions = (".csv",)
    format = "csv"

    def load_bytes(self, name: str, raw: bytes) -> SourceDocument:
        text = raw.decode("utf-8").replace(",", " | ")
        return SourceDocument(path=name, name=name, text=text, encoding="utf-8", sha256="0" * 64, format=self.format)


def test_a_new_format_is_one_registration() -> None:
    registry = default_registry()
    assert not registry.supports("数据.csv")
    registry.register(_CsvLoader())
    assert registry.load_bytes("数据.CSV", "指标,数值\n基站,200".encode()).text == "指标 | 数值\n基站 | 200"
    assert ".csv" in registry.extensions and ".csv" not in SUPPORTED_EXTENSIONS  # the default is untouched
    assert not LoaderRegistry().supports("a.txt")
