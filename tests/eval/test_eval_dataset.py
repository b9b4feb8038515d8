"""Loading question files: the dev set loads cleanly; malformed lines are reported and skipped."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from eval.dataset import DatasetError, load_questions, parse_question

DEV = Path(__file__).resolve().parents[3] / "shared" / "eval" / "dev.jsonl"
GOOD = {"id": "g1", "question": "问？", "answerable": True, "answer": "答", "evidence": "证据里有答", "doc": "a.txt",
        "section": "一", "type": "factoid"}


@pytest.mark.skipif(not DEV.exists(), reason="shared dev set not present")
def test_dev_set_loads_without_skips():
    qs = load_questions(DEV)
    assert len(qs.questions) == 84
    assert qs.skipped == []
    assert sum(not q.answerable for q in qs.questions) == 21
    assert all(q.doc_group == "(unanswerable)" for q in qs.questions if not q.answerable)
    assert len(qs.sha256) == 64


def test_malformed_lines_are_logged_with_line_number_and_skipped(tmp_path: Path, caplog):
    lines = [
        json.dumps(GOOD, ensure_ascii=False),
        "{not json",
        json.dumps({k: v for k, v in GOOD.items() if k != "evidence"} | {"id": "g2"}),
        json.dumps(GOOD | {"id": "g3", "answerable": "yes"}),
        json.dumps(GOOD | {"id": 4}),
        "",  # blank lines are ignored, not counted
        json.dumps([1, 2]),
        json.dumps(GOOD),  # duplicate id
        json.dumps(GOOD | {"id": "g5", "evidence": ""}),  # answerable without evidence
        json.dumps(GOOD | {"id": "g6", "answerable": False, "answer": "", "evidence": "", "doc": "",
                           "type": "unanswerable", "subtype": "absent"}),
    ]
    path = tmp_path / "q.jsonl"
    path.write_bytes("\n".join(lines).encode("utf-8") + b"\n\xff\xfe\n")
    with caplog.at_level(logging.WARNING, logger="eval.dataset"):
        qs = load_questions(path)
    assert [q.id for q in qs.questions] == ["g1", "g6"]
    assert [q.line for q in qs.questions] == [1, 10]
    assert [s.line for s in qs.skipped] == [2, 3, 4, 5, 7, 8, 9, 11]
    reasons = {s.line: s.reason for s in qs.skipped}
    assert "invalid JSON" in reasons[2]
    assert "evidence" in reasons[3]
    assert "answerable" in reasons[4]
    assert "'id'" in reasons[5]
    assert "object" in reasons[7]
    assert "duplicate" in reasons[8]
    assert "UTF-8" in reasons[11]
    assert qs.questions[1].subtype == "absent" and qs.questions[1].doc_group == "(unanswerable)"
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 8 and any(":2:" in w for w in warned)


def test_section_and_subtype_optional():
    q = parse_question({k: v for k, v in GOOD.items() if k != "section"}, line=3)
    assert q.section == "" and q.subtype is None and q.line == 3


def test_missing_file_is_a_dataset_error(tmp_path: Path):
    with pytest.raises(DatasetError, match="not found"):
        load_questions(tmp_path / "nope.jsonl")
    with pytest.raises(DatasetError, match="directory"):
        load_questions(tmp_path)


def test_bom_is_accepted(tmp_path: Path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD).encode())
    assert [q.id for q in load_questions(path).questions] == ["g1"]
