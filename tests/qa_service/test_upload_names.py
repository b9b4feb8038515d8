"""Upload names: whatever a client sends, the stored name is a plain, visible, bounded base name."""
import pytest

from qa_service.upload_store import MAX_NAME_BYTES, UploadStore, safe_file_name


@pytest.mark.parametrize("sent, safe", [
    ("报告.pdf", "报告.pdf"),
    ("../../etc/passwd", "passwd"),
    ("..\\..\\Windows\\system32\\evil.docx", "evil.docx"),
    ("C:\\Users\\张三\\Desktop\\通知.PDF", "通知.PDF"),
    ("/abs/path/", "path"),
    (".bashrc", "bashrc"),
    ("..", "document"),
    ("..pdf", "document.pdf"),
    ("", "document"),
    ("a\x00b\nc\u202e\u200bd.txt", "abcd.txt"),
    ('a<b>c:d"e|f?g*h.md', "a_b_c_d_e_f_g_h.md"),
    ("  空格 .txt", "空格.txt"),
    ("trailing.txt. ", "trailing.txt"),
])
def test_safe_file_name(sent, safe):
    assert safe_file_name(sent) == safe


def test_long_names_are_capped_in_bytes_and_keep_their_extension():
    name = safe_file_name("政" * 500 + ".docx")
    assert name.endswith(".docx") and len(name.encode()) <= MAX_NAME_BYTES and name.startswith("政")


def test_stored_paths_cannot_leave_the_upload_folder(tmp_path):
    store = UploadStore(tmp_path)
    assert store.relative_path("0123456789abcdef", "ab" * 32, "报告.pdf") == f"uploads/0123456789abcdef/{'ab' * 32}/报告.pdf"
    for bad in (("../x", "ab", "a.txt"), ("0123", "../..", "a.txt"), ("0123", "ab", "../a.txt"), ("0123", "ab", ".a")):
        with pytest.raises(ValueError):
            store.relative_path(*bad)
    with pytest.raises(ValueError):
        store.read("uploads/../../outside.txt")
