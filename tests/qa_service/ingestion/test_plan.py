"""The sync plan, a pure function: the index as it is and the files as found -> what each document of the new
version is made from and what changed. No model, no files."""
from __future__ import annotations

import dataclasses

from qa_service.document_records import FOLDER, LEGACY, UPLOAD, DocumentRecord, document_id
from qa_service.ingestion.plan import (CARRY, KEEP, PROCESS, REPROCESS, FoundState, IndexAsIs, changes_between,
                                       plan_sync)

ROOT = "/corpus"


def _file(name: str, content: str = "", folder: str = ROOT) -> FoundState:
    return FoundState(f"{folder}/{name}", name, f"sha-{name}-{content}", size=100)


def _record(f: FoundState, chunks: int = 3) -> DocumentRecord:
    return DocumentRecord(id=document_id(FOLDER, f.key), name=f.name, origin=FOLDER, source=f.key, sha256=f.sha256,
                          format="text", encoding="utf-8", pages=None, chunks=chunks, size=f.size,
                          added_at="2026-01-01T00:00:00+00:00", updated_at="2026-01-01T00:00:00+00:00")


def _upload(name: str) -> DocumentRecord:
    doc_id = document_id(UPLOAD, name)
    return DocumentRecord(id=doc_id, name=name, origin=UPLOAD, source=f"uploads/{doc_id}/sha-{name}/{name}",
                          sha256=f"sha-{name}", format="pdf", encoding="", pages=2, chunks=4, size=900,
                          added_at="2026-01-02T00:00:00+00:00", updated_at="2026-01-02T00:00:00+00:00")


A, B, C = _file("甲.txt"), _file("乙.txt"), _file("丙.txt")
INDEXED = IndexAsIs([_record(A), _record(B), _record(C), _upload("上传.pdf")], reusable=True)


def _actions(plan) -> list[tuple[str, str]]:
    return [(d.action, d.name) for d in plan.documents]


def test_an_empty_index_processes_every_file():
    plan = plan_sync(IndexAsIs([], reusable=True, exists=False), [A, B, C])
    assert _actions(plan) == [(PROCESS, "甲.txt"), (PROCESS, "乙.txt"), (PROCESS, "丙.txt")]
    assert plan.to_process == (A.key, B.key, C.key) and plan.writes and not plan.current
    assert plan.changes.added == ("甲.txt", "乙.txt", "丙.txt") and plan.changes.removed == ()
    assert not plan.changes.rebuilt


def test_an_index_holding_the_files_as_they_are_is_current_and_nothing_is_written():
    plan = plan_sync(INDEXED, [A, B, C])
    assert plan.current and not plan.writes and plan.to_process == ()
    assert _actions(plan) == [(CARRY, "甲.txt"), (CARRY, "乙.txt"), (CARRY, "丙.txt"), (KEEP, "上传.pdf")]
    assert [d.record for d in plan.documents] == list(INDEXED.records)
    assert plan.changes.unchanged == ("甲.txt", "乙.txt", "丙.txt", "上传.pdf")
    assert plan.changes == changes_between(INDEXED.records, INDEXED.records)


def test_only_what_changed_is_processed_and_each_change_is_named():
    b2, d = _file("乙.txt", "v2"), _file("丁.txt")
    plan = plan_sync(INDEXED, [A, b2, d])  # 乙 changed, 丙 gone, 丁 new
    assert plan.to_process == (b2.key, d.key) and plan.writes and not plan.current
    assert _actions(plan) == [(CARRY, "甲.txt"), (PROCESS, "乙.txt"), (PROCESS, "丁.txt"), (KEEP, "上传.pdf")]
    changes = plan.changes
    assert (changes.added, changes.updated, changes.removed) == (("丁.txt",), ("乙.txt",), ("丙.txt",))
    assert changes.unchanged == ("甲.txt", "上传.pdf")
    updated = plan.documents[1]
    assert updated.earlier == INDEXED.records[1]  # its history: added_at is kept when it is processed


def test_a_file_that_cannot_be_read_or_processed_keeps_its_indexed_version():
    unreadable = dataclasses.replace(B, sha256=None, size=None)
    plan = plan_sync(INDEXED, [A, unreadable, C])
    assert _actions(plan)[1] == (KEEP, "乙.txt") and plan.to_process == () and not plan.current
    b2 = _file("乙.txt", "v2")
    failed = plan_sync(INDEXED, [A, b2, C], failed=frozenset({b2.key}))
    assert _actions(failed)[1] == (KEEP, "乙.txt") and not failed.writes  # nothing else changed
    new = _file("新.txt")
    assert "新.txt" not in [d.name for d in plan_sync(INDEXED, [A, B, C, new], failed=frozenset({new.key})).documents]


def test_documents_under_a_path_that_cannot_be_read_stay():
    other = _file("戊.txt", folder="/elsewhere")
    index = IndexAsIs([*INDEXED.records[:3], _record(other), INDEXED.records[3]], reusable=True)
    plan = plan_sync(index, [A, B, C], missing=["/elsewhere"])
    assert _actions(plan)[3] == (KEEP, "戊.txt") and plan.changes.removed == ()
    assert plan_sync(index, [A, B, C]).changes.removed == ("戊.txt",)


def test_a_moved_file_is_carried_over_not_processed_and_counts_as_added_and_removed():
    moved = _file("甲.txt", folder="/moved")
    plan = plan_sync(INDEXED, [moved, B, C])
    first = plan.documents[0]
    assert first.action == CARRY and first.row == 0 and plan.to_process == ()
    assert first.record.id == document_id(FOLDER, moved.key) and first.record.source == moved.key
    assert plan.changes.added == ("甲.txt",) and plan.changes.removed == ("甲.txt",) and plan.writes


def test_other_settings_or_a_rebuild_process_everything_uploads_from_their_copies():
    for plan in (plan_sync(dataclasses.replace(INDEXED, reusable=False), [A, B, C]),
                 plan_sync(INDEXED, [A, B, C], rebuild=True)):
        assert _actions(plan) == [(PROCESS, "甲.txt"), (PROCESS, "乙.txt"), (PROCESS, "丙.txt"),
                                  (REPROCESS, "上传.pdf")]
        assert plan.changes.rebuilt and plan.writes and not plan.current
        assert plan.changes.unchanged == ("甲.txt", "乙.txt", "丙.txt", "上传.pdf")
    upload = INDEXED.records[3]
    failed = plan_sync(INDEXED, [A, B, C], rebuild=True, failed=frozenset({upload.id}))
    assert "上传.pdf" not in [d.name for d in failed.documents] and failed.changes.removed == ("上传.pdf",)


def test_records_of_old_manifests_are_matched_by_name_and_upgraded_without_processing():
    legacy = [DocumentRecord.from_dict({"name": f.name, "sha256": f.sha256, "encoding": "utf-8", "chunks": 3},
                                       "2025-12-01T00:00:00+00:00") for f in (A, B, C)]
    assert legacy[0].id == document_id(LEGACY, "甲.txt") and legacy[0].source is None
    plan = plan_sync(IndexAsIs(legacy, reusable=True), [A, B, C])
    assert [d.action for d in plan.documents] == [CARRY] * 3 and plan.to_process == ()
    assert plan.changes.unchanged == ("甲.txt", "乙.txt", "丙.txt") and plan.changes.removed == ()
    assert not plan.current and plan.writes  # the records get ids and sources: a version is written
    assert all(d.record.added_at == "2025-12-01T00:00:00+00:00" for d in plan.documents)


def test_the_same_files_in_another_order_are_not_current_but_need_no_processing():
    plan = plan_sync(INDEXED, [C, A, B])
    assert not plan.current and plan.writes and plan.to_process == ()
    assert plan.changes.unchanged == ("丙.txt", "甲.txt", "乙.txt", "上传.pdf")


def test_no_index_is_never_current():
    assert not plan_sync(IndexAsIs([], reusable=True, exists=False), []).current
    assert not plan_sync(dataclasses.replace(INDEXED, reusable=False), [A, B, C]).current
