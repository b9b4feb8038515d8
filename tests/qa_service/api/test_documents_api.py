"""GET/POST /v1/documents and DELETE /v1/documents/<id> through Flask's test client, on a private index copy."""
from __future__ import annotations

import io
import os
import subprocess
import threading

import psutil
import pytest

from embeddings.index_store import current_version_dir, load_index
from qa_service.service import QAService
from qa_service.upload_store import UPLOADS_DIR
from tests.documents.hostile_files import (docx_bomb, many_page_pdf, nested_html, pdf_with_huge_stream,
                                          random_gbk_pairs, random_han)
from tests.documents.loaders.builders import make_corrupt_pdf, make_encrypted_pdf, make_image_pdf
from tests.qa_service.apps import app_for
from tests.qa_service.intake_testlib import (ANSWER_ON_PAGE_TWO, CORPUS_ANSWER, CORPUS_QUESTION, PDF_NAME,
                                            QUESTION_ON_PAGE_TWO, copy_index, two_page_pdf)

REMOTE = {"REMOTE_ADDR": "10.1.2.3"}


def _error(resp, status, code):
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert "Traceback" not in resp.get_data(as_text=True)
    return body["error"]["message"]


def _page_client(app):
    """A test client that sends X-Requested-With on every request, as the question page does: without API keys
    a write must carry it (access.py)."""
    client = app.test_client()
    client.environ_base["HTTP_X_REQUESTED_WITH"] = "test"
    return client


def _upload(client, name, raw, **kwargs):
    return client.post("/v1/documents", data={"file": (io.BytesIO(raw), name)},
                       content_type="multipart/form-data", **kwargs)


@pytest.fixture()
def kb(built_index, encoder, tmp_path):
    """A private copy of the test index, served by its own app; returns (settings, service, client)."""
    settings = copy_index(built_index, tmp_path / "idx")
    service = QAService.from_settings(settings, encoder)
    return settings, service, _page_client(app_for(service, encoder=encoder))


def _names(client):
    return [d["name"] for d in client.get("/v1/documents").get_json()["documents"]]


def test_a_two_page_pdf_is_answerable_with_its_page_listed_and_deletable(kb):
    settings, service, client = kb
    before = client.post("/v1/ask", json={"question": CORPUS_QUESTION}).get_json()

    resp = _upload(client, PDF_NAME, two_page_pdf())
    assert resp.status_code == 201, resp.get_data(as_text=True)
    record = resp.get_json()
    assert record["name"] == PDF_NAME and record["pages"] == 2 and record["chunks"] >= 2
    assert record["origin"] == "upload" and record["format"] == "pdf" and record["status"] == "added"

    answer = client.post("/v1/ask", json={"question": QUESTION_ON_PAGE_TWO}).get_json()
    assert answer["answerable"] and ANSWER_ON_PAGE_TWO in answer["answer"]
    top = answer["citations"][0]
    assert top["doc"] == PDF_NAME and top["page"] == 2 and top["page_end"] == 2

    listing = client.get("/v1/documents").get_json()
    assert listing["uploads"] is True and listing["index_version"] == service.info()["index_version"]
    assert PDF_NAME in [d["name"] for d in listing["documents"]]
    assert all("source" not in d for d in listing["documents"])  # no server paths for clients

    assert client.delete(f"/v1/documents/{record['id']}").status_code == 204
    assert PDF_NAME not in _names(client)
    results = client.post("/v1/search", json={"query": QUESTION_ON_PAGE_TWO, "top_k": 10}).get_json()["results"]
    assert all(r["doc"] != PDF_NAME for r in results)
    after = client.post("/v1/ask", json={"question": CORPUS_QUESTION}).get_json()
    assert after.pop("answer_id") != before.pop("answer_id")  # each answer has its own id; nothing else changed
    assert CORPUS_ANSWER in after["answer"] and after == before
    _error(client.delete(f"/v1/documents/{record['id']}"), 404, "document_not_found")


def test_text_citations_carry_no_page(kb):
    _, _, client = kb
    citation = client.post("/v1/ask", json={"question": CORPUS_QUESTION}).get_json()["citations"][0]
    assert "page" not in citation and "page_end" not in citation


@pytest.mark.parametrize("name, raw, status, code", [
    ("损坏.pdf", make_corrupt_pdf(None), 422, "corrupt_document"),
    ("空文件.txt", b"", 422, "empty_document"),
    ("只有空白.md", "  \n\n  ".encode(), 422, "empty_document"),
    ("表格.xlsx", b"PK\x03\x04 not really", 415, "unsupported_file_type"),
    ("无扩展名", "正文".encode(), 415, "unsupported_file_type"),
    ("乱码.txt", b"\x81\xff\x80\xfe" * 8 + b"\x00\x01\x02", 422, "undecodable_file"),
    ("扫描件.pdf", make_image_pdf(None), 422, "scanned_pdf"),
    ("加密.pdf", make_encrypted_pdf(None, ["机密内容。"]), 422, "encrypted_document"),
])
def test_bad_files_are_refused_naming_the_file_and_nothing_changes(kb, name, raw, status, code):
    settings, service, client = kb
    version = current_version_dir(settings.index_dir).name
    message = _error(_upload(client, name, raw), status, code)
    assert name in message
    assert current_version_dir(settings.index_dir).name == version == service.info()["index_version"]
    assert not (settings.index_dir / UPLOADS_DIR).exists()
    assert CORPUS_ANSWER in client.post("/v1/ask", json={"question": CORPUS_QUESTION}).get_json()["answer"]


def test_size_limit_applies_to_uploads_and_json_limit_to_json(built_index, encoder, tmp_path):
    settings = copy_index(built_index, tmp_path / "idx", max_upload_bytes=4096, max_body_bytes=2048)
    client = _page_client(app_for(QAService.from_settings(settings, encoder), encoder=encoder))
    message = _error(_upload(client, "大文件.txt", ("政策" * 1000).encode()), 413, "file_too_large")
    assert "大文件.txt" in message and "4,096" in message
    huge = ("政策" * 60_000).encode()  # far over the limit: refused from Content-Length, still named
    assert "大文件.txt" in _error(_upload(client, "大文件.txt", huge), 413, "file_too_large")
    over_json_limit = ("小文件正文：创新驱动发展战略。" * 60).encode()
    assert 2048 < len(over_json_limit) < 4096
    assert _upload(client, "小文件.txt", over_json_limit).status_code == 201
    _error(client.post("/v1/ask", json={"question": "海" * 3000}), 413, "payload_too_large")


def test_malformed_upload_requests(kb):
    _, _, client = kb
    _error(client.post("/v1/documents", json={"file": "x"}), 415, "unsupported_media_type")
    _error(client.post("/v1/documents", data={"other": (io.BytesIO(b"x"), "a.txt")},
                       content_type="multipart/form-data"), 422, "missing_field")
    _error(client.post("/v1/documents", data={"file": [(io.BytesIO("一".encode()), "a.txt"),
                                                       (io.BytesIO("二".encode()), "b.txt")]},
                       content_type="multipart/form-data"), 422, "too_many_files")
    _error(client.post("/v1/documents", data={"file": (io.BytesIO("正文".encode()), "")},
                       content_type="multipart/form-data"), 422, "missing_file_name")
    _error(client.put("/v1/documents"), 405, "method_not_allowed")


@pytest.mark.parametrize("sent, stored", [
    ("../../../../etc/cron.d/evil.txt", "evil.txt"),
    ("..\\..\\Windows\\system32\\evil.txt", None),  # HTTP quoting may already drop the backslashes
    ("/etc/passwd.txt", "passwd.txt"),
    (".hidden.txt", "hidden.txt"),
    ("..txt", "document.txt"),
    ("a\x00b\x1f\u202ec.txt", "abc.txt"),
    ("政策" * 200 + ".txt", None),  # capped in length, extension kept
])
def test_upload_names_are_sanitised_and_stay_inside_the_upload_folder(kb, sent, stored):
    settings, _, client = kb
    resp = _upload(client, sent, "上传文件的正文：加快建设科技强国。".encode())
    assert resp.status_code == 201, resp.get_data(as_text=True)
    name = resp.get_json()["name"]
    if stored is not None:
        assert name == stored
    assert name.endswith(".txt") and len(name.encode()) <= 180 and "/" not in name and not name.startswith(".")
    root = (settings.index_dir / UPLOADS_DIR).resolve()
    files = [p for p in root.rglob("*") if p.is_file()]
    assert [p.name for p in files] == [name] and all(p.resolve().is_relative_to(root) for p in files)


def test_same_name_replaces_and_identical_upload_changes_nothing(kb):
    settings, service, client = kb
    first = _upload(client, "通知.txt", "第一版：关于开展创新试点的通知。".encode()).get_json()
    version = service.info()["index_version"]
    same = _upload(client, "通知.txt", "第一版：关于开展创新试点的通知。".encode())
    assert same.status_code == 200 and same.get_json()["status"] == "unchanged"
    assert service.info()["index_version"] == version
    second = _upload(client, "通知.txt", "第二版：关于开展创新试点工作的补充通知。".encode())
    assert second.status_code == 200
    body = second.get_json()
    assert body["status"] == "updated" and body["id"] == first["id"] and body["added_at"] == first["added_at"]
    assert _names(client).count("通知.txt") == 1
    texts = [c.text for c in load_index(settings.index_dir).chunks if c.doc == "通知.txt"]
    assert texts and all("第二版" in t for t in texts)
    copies = lambda: list((settings.index_dir / UPLOADS_DIR).rglob("通知.txt"))  # noqa: E731
    assert len(copies()) == 2  # the previous version, kept for readers still on it, refers to the old copy
    _upload(client, "另一个.txt", "另一个上传的文件：推进科技成果转化。".encode())
    assert len(copies()) == 1 and copies()[0].read_text(encoding="utf-8").startswith("第二版")


def test_writes_need_a_key_when_keys_are_set(built_index, encoder, tmp_path):
    settings = copy_index(built_index, tmp_path / "idx", api_keys="k1:write")
    client = _page_client(app_for(QAService.from_settings(settings, encoder), encoder=encoder))
    _error(client.get("/v1/documents"), 401, "unauthorized")
    _error(_upload(client, "a.txt", "正文".encode()), 401, "unauthorized")
    _error(client.delete("/v1/documents/0123456789abcdef"), 401, "unauthorized")
    key = {"Authorization": "Bearer k1"}
    assert client.get("/v1/documents", headers=key).get_json()["uploads"] is True
    assert client.get("/v1/info", headers=key, environ_base=REMOTE).get_json()["uploads"] is True
    resp = _upload(client, "a.txt", "带密钥上传的文件：支持创新创业。".encode(), headers=key, environ_base=REMOTE)
    assert resp.status_code == 201
    assert client.delete(f"/v1/documents/{resp.get_json()['id']}", headers=key, environ_base=REMOTE).status_code == 204


def test_without_keys_only_loopback_may_write(kb):
    settings, _, client = kb
    assert client.get("/v1/info").get_json()["uploads"] is True
    assert client.get("/v1/info", environ_base=REMOTE).get_json()["uploads"] is False
    listing = client.get("/v1/documents", environ_base=REMOTE).get_json()
    assert listing["uploads"] is False and len(listing["documents"]) == 2  # reading stays open
    _error(_upload(client, "a.txt", "正文".encode(), environ_base=REMOTE), 403, "forbidden")
    doc_id = listing["documents"][0]["id"]
    _error(client.delete(f"/v1/documents/{doc_id}", environ_base=REMOTE), 403, "forbidden")
    assert len(_names(client)) == 2


def test_the_last_document_cannot_be_removed(kb):
    _, _, client = kb
    ids = [d["id"] for d in client.get("/v1/documents").get_json()["documents"]]
    assert client.delete(f"/v1/documents/{ids[0]}").status_code == 204
    _error(client.delete(f"/v1/documents/{ids[1]}"), 409, "last_document")
    assert len(_names(client)) == 1


def test_concurrent_uploads_all_go_in(kb):
    """The writer lock serialises the writes: no upload overwrites another's version."""
    _, _, client = kb
    names = [f"并发{i}.txt" for i in range(4)]
    statuses: list[int] = []

    def send(name: str) -> None:
        statuses.append(_upload(client, name, f"{name}：第{name[2]}份并发上传的文件，内容各不相同。".encode()).status_code)

    threads = [threading.Thread(target=send, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert statuses == [201] * 4
    assert set(names) <= set(_names(client))


def test_info_manifest_shows_no_server_paths(kb):
    settings, _, client = kb
    info = client.get("/v1/info").get_json()
    documents = info["manifest"]["documents"]
    assert documents and all("source" not in d and d["id"] for d in documents)
    assert str(settings.index_dir.parent) not in str(documents)
    assert info["limits"] == {"max_question_chars": settings.max_question_chars,
                              "max_upload_bytes": settings.max_upload_bytes}


def test_an_empty_deployment_gets_its_first_document_by_upload(base_settings, encoder, tmp_path):
    settings = base_settings.with_overrides(index_dir=tmp_path / "empty")
    service = QAService.from_settings(settings, encoder, strict=False)
    client = _page_client(app_for(service, encoder=encoder))
    assert client.get("/readyz").status_code == 503
    assert client.get("/v1/documents").get_json()["documents"] == []
    resp = _upload(client, PDF_NAME, two_page_pdf())
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert client.get("/readyz").status_code == 200
    answer = client.post("/v1/ask", json={"question": QUESTION_ON_PAGE_TWO}).get_json()
    assert ANSWER_ON_PAGE_TWO in answer["answer"] and answer["citations"][0]["page"] == 2
    _error(client.delete(f"/v1/documents/{resp.get_json()['id']}"), 409, "last_document")


# -- issue 16: hostile uploads, official names, full disks --------------------------------------------------------


@pytest.mark.parametrize("name, build, code", [
    ("炸弹.docx", lambda: docx_bomb(100 << 20), "document_too_large"),  # issue 16's 100 MB of empty paragraphs
    ("大流.pdf", lambda: pdf_with_huge_stream(2, 40 << 20), "document_too_large"),
    ("嵌套.html", lambda: nested_html(1_200), "document_too_deep"),
    ("乱码.txt", lambda: random_gbk_pairs(200_000), "not_text"),
    ("乱字.txt", lambda: random_han(30_000).encode("utf-8"), "not_text"),
])
def test_hostile_uploads_are_refused_at_their_cap_and_cost_the_server_nothing(kb, name, build, code):
    settings, service, client = kb
    version = current_version_dir(settings.index_dir).name
    assert _upload(client, "热身.txt", "热身上传的文件：推进科技成果转化。".encode()).status_code == 201
    rss = psutil.Process().memory_info().rss
    message = _error(_upload(client, name, build()), 422, code)
    assert name in message
    assert psutil.Process().memory_info().rss - rss < 150 << 20  # the raw bytes and their multipart copy at most
    assert service.info()["index_version"] != version  # the warm-up went in; the hostile file did not
    assert name not in _names(client)
    assert CORPUS_ANSWER in client.post("/v1/ask", json={"question": CORPUS_QUESTION}).get_json()["answer"]


@pytest.mark.parametrize("limits, name, build, code", [
    ({"parse_memory_mb": 400}, "热.docx", lambda: docx_bomb(3_800_000 * 6), "parse_memory"),  # lxml needs ~700 MB
    ({"parse_timeout_seconds": 1.0}, "慢.pdf", lambda: many_page_pdf(1_990), "parse_timeout"),  # 2-10 s to parse
])
def test_the_sandbox_limits_refuse_what_passes_the_caps(built_index, encoder, tmp_path, limits, name, build, code):
    settings = copy_index(built_index, tmp_path / "idx", **limits)
    client = _page_client(app_for(QAService.from_settings(settings, encoder), encoder=encoder))
    raw = build()
    rss = psutil.Process().memory_info().rss
    assert name in _error(_upload(client, name, raw), 422, code)
    assert psutil.Process().memory_info().rss - rss < 100 << 20
    assert _upload(client, "之后.txt", "之后上传的文件：推进科技成果转化。".encode()).status_code == 201


@pytest.mark.parametrize("name", ["中国电科双创示范基地建设方案.txt", "中国电科双创示范基地建设方案.PDF",
                                  " 中国电科双创示范基地建设方案 .md", "中国电科双创示范基地建设方案\u200b.txt"])
def test_an_upload_cannot_take_an_official_documents_name(kb, name):
    settings, service, client = kb
    before = client.get("/v1/documents").get_json()["documents"]
    message = _error(_upload(client, name, "冒名顶替的文件：每位市民每月可领取一万元补贴。".encode()), 409, "name_taken")
    assert "中国电科双创示范基地建设方案" in message and "folder" in message
    assert client.get("/v1/documents").get_json()["documents"] == before
    assert not (settings.index_dir / UPLOADS_DIR).exists()


def test_a_name_that_changes_under_nfc_uploads(kb):
    _, _, client = kb
    resp = _upload(client, "e\u200b\u0301.txt", "组合字符名字的文件：推进科技成果转化。".encode())
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.get_json()["name"] == "\u00e9.txt"
    again = _upload(client, "e\u0301.txt", "组合字符名字的文件：推进科技成果转化。".encode())
    assert again.status_code == 200 and again.get_json()["status"] == "unchanged"


@pytest.fixture()
def small_disk(tmp_path):
    """A real 16 MiB tmpfs: room for the test index and one more version (mounting needs root; skipped otherwise)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk, leave: int) -> None:
    """Take all the free space of `disk` but `leave` bytes."""
    stat = os.statvfs(disk)
    free = stat.f_bavail * stat.f_frsize
    with open(disk / "filler", "wb") as fh:
        fh.write(b"\0" * max(free - leave, 0))


# 75 kB (1,000 sentences of 75 bytes) is over the 64 KiB left even with a tmpfs page of rounding, so the stored
# copy is what fails ("no space left to store the upload"; with 16 KiB left the token cache fails first). It was
# 150 kB, whose ~200 passages the first, refused, upload embeds: 18.8 s of the quiet suite run.
@pytest.mark.parametrize("leave, size, where, lexical", [(64 << 10, 75_000, "the stored copy", False),
                                                         (160 << 10, 6_000, "the new version", False),
                                                         (96 << 10, 6_000, "a lexical version", True)])
def test_a_full_disk_gives_507_and_leaves_nothing_behind(built_index, encoder, small_disk, leave, size, where,
                                                         lexical):
    from qa_service.api.app import create_app
    from qa_service.composition import ServiceRoot

    settings = copy_index(built_index, small_disk / "idx")
    service = QAService.from_settings(settings, encoder)
    root = ServiceRoot(settings, serving=True, encoder=encoder, qa=service)
    root.documents.lexical = lexical  # as a server with background embedding writes uploads
    client = _page_client(create_app(root))
    _fill(small_disk, leave)
    before = sorted(p.name for p in settings.index_dir.iterdir())
    text = ("满盘测试文件：推进科技成果转化，加快建设科技强国。" * (size // 75 + 1)).encode()[:size]
    message = _error(_upload(client, "满盘.txt", text), 507, "insufficient_storage")
    assert "满盘.txt" in message, where
    assert sorted(p.name for p in settings.index_dir.iterdir()) == before  # no copy, no version, no temporaries
    assert not (settings.index_dir / UPLOADS_DIR).exists() or not any((settings.index_dir / UPLOADS_DIR).rglob("*"))
    assert CORPUS_ANSWER in client.post("/v1/ask", json={"question": CORPUS_QUESTION}).get_json()["answer"]
    (small_disk / "filler").unlink()
    assert _upload(client, "满盘.txt", text).status_code == 201  # with space again it goes in


def test_with_ocr_off_images_are_an_unsupported_type_and_scans_are_refused(built_index, encoder, tmp_path):
    settings = copy_index(built_index, tmp_path / "idx", ocr=False)
    client = _page_client(app_for(QAService.from_settings(settings, encoder), encoder=encoder))
    assert ".png" not in client.get("/v1/documents").get_json()["accepted_types"]
    assert "QA_OCR=on" in _error(_upload(client, "照片.png", b"\x89PNG\r\n\x1a\n"), 415, "unsupported_file_type")
    assert "扫描件.pdf" in _error(_upload(client, "扫描件.pdf", make_image_pdf(None)), 422, "scanned_pdf")
