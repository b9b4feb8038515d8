"""Upload names: whatever a client sends, the stored name is a plain, visible, bounded base name."""
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


_TRICKY = st.sampled_from(["e", "a", ".", " ", "/", "\\", "\u0301", "\u0308", "\u0327", "\u200b", "\u200d", "\u202e",
                           "\u00e9", "\u1100", "\u1161", "\u11a8", "\uff0e", "\x00", "\n", "政", "策", "txt", ".pdf"])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=300), st.lists(_TRICKY, max_size=40).map("".join)))
def test_safe_file_name_is_idempotent_nfc_and_storable(name):
    safe = safe_file_name(name)
    assert safe_file_name(safe) == safe
    assert unicodedata.is_normalized("NFC", safe)
    assert safe and "/" not in safe and "\\" not in safe and not safe.startswith(".")
    assert len(safe.encode("utf-8")) <= MAX_NAME_BYTES
    UploadStore.relative_path("0123456789abcdef", "ab" * 32, safe)  # never refused as unsafe (was: a 500)


def test_a_format_character_between_a_letter_and_its_accent():
    assert safe_file_name("e\u200b\u0301.txt") == "\u00e9.txt" == safe_file_name("\u00e9.txt")
