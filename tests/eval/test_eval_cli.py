"""`qa eval` / `qa eval-compare` through argparse: HTTP and in-process backends, exit codes, reports."""
from __future__ import annotations

import argparse
import json
import logging
import socket
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from eval_fakes import EXPECTED_OVERALL, INFO, QUESTIONS, LiveServer, make_app, write_jsonl

from eval.commands import register
from eval.metrics import LATENCY_METRICS, METRIC_NAMES


def qa(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="qa")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(list(argv))
    return args.func(args)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.integration
def test_eval_over_http(live_server: LiveServer, questions_file: Path, tmp_path: Path, capsys):
    out, md = tmp_path / "r" / "report.json", tmp_path / "report.md"
    code = qa("eval", str(questions_file), "--url", live_server.url + "/", "--out", str(out), "--md", str(md))
    assert code == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    for name, value in EXPECTED_OVERALL.items():
        assert report["metrics"][name] == pytest.approx(value), name
    assert report["config"]["backend"] == "http" and report["config"]["url"] == live_server.url + "/"
    assert report["config"]["service"] == INFO and report["config"]["model"] == "fake-model"
    assert report["counts"]["questions"] == 5 and report["counts"]["skipped_lines"] == 0
    assert len(report["rows"]) == 5
    row = report["rows"][0]
    assert row["retrieved_ids"] == ["a1", "a2", "a3", "a4"] and row["first_relevant_rank"] == 2
    assert row["ask_ms"] > 0 and row["answer_contains"] is True and row["abstained"] is False
    assert set(report["by_type"]) == {"factoid", "list", "explain", "unanswerable"}
    assert "(unanswerable)" in report["by_doc"]
    text = md.read_text(encoding="utf-8")
    assert "## By type" in text and "## By document" in text and "| factoid | 1 | 1 |" in text
    assert "fake-model" in text and "chunk_tokens=320" in text
    captured = capsys.readouterr()
    assert "hit@1" in captured.out and str(out) in captured.out
    assert "5/5" in captured.err  # tqdm progress bar on stderr


@pytest.mark.integration
def test_eval_over_http_without_info_records_null(questions_file: Path, tmp_path: Path):
    out = tmp_path / "report.json"
    with LiveServer(make_app(with_info=False)) as server:
        assert qa("eval", str(questions_file), "--url", server.url, "--out", str(out), "--no-progress") == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["config"]["service"] is None and report["config"]["model"] is None
    assert report["metrics"]["hit@3"] == pytest.approx(2 / 3)


def test_unreachable_url_exits_2_with_one_line(questions_file: Path, tmp_path: Path, caplog):
    out = tmp_path / "report.json"
    with caplog.at_level(logging.ERROR):
        code = qa("eval", str(questions_file), "--url", f"http://127.0.0.1:{free_port()}", "--out", str(out))
    assert code == 2 and not out.exists()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "cannot reach" in errors[0].getMessage() and errors[0].exc_info is None


@pytest.mark.parametrize("url", ["localhost:8000", "ftp://x", "http://"])
def test_bad_url_exits_2(questions_file: Path, tmp_path: Path, url: str):
    assert qa("eval", str(questions_file), "--url", url, "--out", str(tmp_path / "r.json")) == 2


def test_missing_question_file_exits_2(tmp_path: Path, caplog):
    with caplog.at_level(logging.ERROR):
        assert qa("eval", str(tmp_path / "none.jsonl"), "--url", "http://127.0.0.1:1", "--out", str(tmp_path / "r.json")) == 2
    assert "not found" in caplog.text


def test_file_with_only_malformed_lines_exits_2(tmp_path: Path):
    path = write_jsonl(tmp_path / "bad.jsonl", ["{", "[]"])
    assert qa("eval", str(path), "--url", "http://127.0.0.1:1", "--out", str(tmp_path / "r.json")) == 2


def test_retriever_with_url_is_rejected(questions_file: Path, tmp_path: Path):
    out = str(tmp_path / "r.json")
    code = qa("eval", str(questions_file), "--url", "http://127.0.0.1:1", "--retriever", "bm25", "--out", out)
    assert code == 2


def test_api_key_without_url_is_rejected(questions_file: Path, tmp_path: Path):
    # in process no key is asked; a key given there would be silently unused
    assert qa("eval", str(questions_file), "--api-key", "k", "--out", str(tmp_path / "r.json")) == 2


def test_index_and_url_are_exclusive(questions_file: Path, tmp_path: Path):
    with pytest.raises(SystemExit) as exc:
        qa("eval", str(questions_file), "--url", "http://x", "--index", str(tmp_path), "--out", "r.json")
    assert exc.value.code == 2


def test_missing_index_dir_exits_2(questions_file: Path, tmp_path: Path):
    assert qa("eval", str(questions_file), "--index", str(tmp_path / "no-index"), "--out", str(tmp_path / "r.json")) == 2


def test_output_path_that_is_a_directory_exits_2(questions_file: Path, tmp_path: Path):
    assert qa("eval", str(questions_file), "--url", "http://127.0.0.1:1", "--out", str(tmp_path)) == 2


@pytest.fixture
def fake_service_modules(monkeypatch) -> dict[str, Any]:
    """Stand-ins for qa_service.composition / qa_service.api.app with the agreed signatures."""
    calls: dict[str, Any] = {}

    class FakeQAService:
        def __init__(self, settings: Any) -> None:
            self.settings = settings

        def info(self) -> dict[str, Any]:
            return {"model": "fake-model", "retriever": self.settings.retriever,
                    "manifest": {"chunk_tokens": self.settings.chunk_tokens, "index_dir": self.settings.index_dir}}

    class FakeServiceRoot:
        def __init__(self, settings: Any, serving: bool = False) -> None:
            calls["settings"] = settings
            self.settings = settings
            self.qa = FakeQAService(settings)

        def warm_up(self, strict: bool = False) -> FakeServiceRoot:
            calls["strict"] = strict
            return self

    def create_app(root: Any):
        calls["create_app"] = root
        return make_app()

    composition_mod = types.ModuleType("qa_service.composition")
    composition_mod.ServiceRoot = FakeServiceRoot
    app_mod = types.ModuleType("qa_service.api.app")
    app_mod.create_app = create_app
    monkeypatch.setitem(sys.modules, "qa_service.api", types.ModuleType("qa_service.api"))
    monkeypatch.setitem(sys.modules, "qa_service.composition", composition_mod)
    monkeypatch.setitem(sys.modules, "qa_service.api.app", app_mod)
    return calls


def test_eval_in_process_uses_service_and_app(fake_service_modules, questions_file: Path, tmp_path: Path, monkeypatch):
    monkeypatch.delenv("QA_RETRIEVER", raising=False)
    index = tmp_path / "index-256"
    index.mkdir()
    out = tmp_path / "report.json"
    code = qa("eval", str(questions_file), "--index", str(index), "--retriever", "dense", "--top-k", "3",
              "--out", str(out), "--no-progress")
    assert code == 0
    settings = fake_service_modules["settings"]
    assert settings.index_dir == index and settings.retriever == "dense"
    assert fake_service_modules["create_app"].settings is settings and fake_service_modules["strict"] is True
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["config"]["backend"] == "in-process" and report["config"]["index"] == str(index)
    assert report["config"]["retriever"] == "dense" and report["config"]["requested_retriever"] == "dense"
    assert report["config"]["manifest"]["index_dir"] == str(index)  # Path made JSON-safe
    assert report["config"]["top_k"] == 3
    assert report["metrics"]["hit@1"] == pytest.approx(1 / 3) and report["metrics"]["hit@10"] == pytest.approx(2 / 3)


def test_eval_in_process_without_service_exits_2(questions_file: Path, tmp_path: Path, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "qa_service.composition", None)  # import fails
    with caplog.at_level(logging.ERROR):
        assert qa("eval", str(questions_file), "--out", str(tmp_path / "r.json")) == 2
    assert "not available" in caplog.text


def test_eval_in_process_startup_failure_exits_2(fake_service_modules, questions_file: Path, tmp_path: Path, monkeypatch):
    def broken(self, strict: bool = False):
        raise FileNotFoundError("no manifest.json in index")

    monkeypatch.setattr(sys.modules["qa_service.composition"].ServiceRoot, "warm_up", broken)
    assert qa("eval", str(questions_file), "--out", str(tmp_path / "r.json"), "--no-progress") == 2


@pytest.mark.integration
def test_skipped_lines_are_counted_and_limit(live_server: LiveServer, tmp_path: Path):
    path = write_jsonl(tmp_path / "q.jsonl", [QUESTIONS[0], "{broken", QUESTIONS[1], {"id": "x"}, QUESTIONS[2]])
    out = tmp_path / "r.json"
    assert qa("eval", str(path), "--url", live_server.url, "--out", str(out), "--limit", "2", "--no-progress") == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["counts"]["skipped_lines"] == 2 and report["counts"]["questions"] == 2
    assert [s["line"] for s in report["questions"]["skipped"]] == [2, 4]
    assert any("malformed" in n for n in report["notes"])


@pytest.mark.integration
def test_eval_compare(live_server: LiveServer, questions_file: Path, tmp_path: Path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert qa("eval", str(questions_file), "--url", live_server.url, "--out", str(a), "--no-progress") == 0
    assert qa("eval", str(questions_file), "--url", live_server.url, "--top-k", "1", "--out", str(b), "--no-progress") == 0
    capsys.readouterr()
    assert qa("eval-compare", str(a), str(b)) == 0
    out = capsys.readouterr().out
    assert "[overall]" in out and "[type:factoid]" in out and "[type:unanswerable]" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("hit@3"))
    assert line.split() == ["hit@3", "0.667", "0.333", "-0.333"]
    line = next(ln for ln in out.splitlines() if ln.startswith("hit@1 "))
    assert line.split()[-1] == "+0.000"
    assert "top_k=1" in out


def test_eval_compare_bad_inputs_exit_2(tmp_path: Path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"metrics": {}}), encoding="utf-8")
    not_json = tmp_path / "x.json"
    not_json.write_text("{", encoding="utf-8")
    assert qa("eval-compare", str(good), str(tmp_path / "missing.json")) == 2
    assert qa("eval-compare", str(good), str(not_json)) == 2
    other = tmp_path / "other.json"
    other.write_text("[1]", encoding="utf-8")
    assert qa("eval-compare", str(other), str(good)) == 2


@pytest.mark.integration
def test_http_timeout_and_server_errors_are_per_question(tmp_path: Path):
    import time

    from flask import Flask

    app = Flask("slow")

    @app.post("/v1/search")
    def search():
        time.sleep(0.5)
        return {"results": []}

    @app.post("/v1/ask")
    def ask():
        return "boom", 500

    path = write_jsonl(tmp_path / "q.jsonl", QUESTIONS[:2])
    out = tmp_path / "r.json"
    with LiveServer(app) as server:
        code = qa("eval", str(path), "--url", server.url, "--timeout", "0.2", "--out", str(out), "--no-progress")
    assert code == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["counts"]["errors"] == 2 and report["config"]["service"] is None
    errors = report["rows"][0]["errors"]
    assert errors[0].startswith("search: timeout") and errors[1] == "ask: http_error: request failed (HTTP 500)"
    assert report["metrics"]["hit@10"] == 0.0 and report["metrics"]["answer_contains"] == 0.0


@pytest.mark.integration
def test_eval_of_several_files_reports_each_and_the_whole(live_server: LiveServer, tmp_path: Path, capsys):
    """Two question files in one run: the overall metrics are those of all questions together (the same as one
    file holding them all), each file has its own group, and the console shows a column per file."""
    first = write_jsonl(tmp_path / "plain.jsonl", QUESTIONS[:3])
    second = write_jsonl(tmp_path / "other.jsonl", [dict(q, id="o" + q["id"]) for q in QUESTIONS[3:]])
    out, md = tmp_path / "all.json", tmp_path / "all.md"
    assert qa("eval", str(first), str(second), "--url", live_server.url, "--out", str(out), "--md", str(md),
              "--no-progress") == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    for name, value in EXPECTED_OVERALL.items():
        assert report["metrics"][name] == pytest.approx(value), name
    assert {name: group["count"] for name, group in report["by_set"].items()} == {"plain": 3, "other": 2}
    assert [row["set"] for row in report["rows"]] == ["plain"] * 3 + ["other"] * 2
    assert [f["set"] for f in report["questions"]["files"]] == ["plain", "other"]
    alone = tmp_path / "plain.json"
    assert qa("eval", str(first), "--url", live_server.url, "--out", str(alone), "--no-progress") == 0
    by_itself = json.loads(alone.read_text(encoding="utf-8"))["metrics"]
    for name in METRIC_NAMES:
        if name not in LATENCY_METRICS:
            assert report["by_set"]["plain"]["metrics"][name] == by_itself[name], name
    header = capsys.readouterr().out.splitlines()[1]
    assert header.split() == ["metric", "plain", "other", "all"]
    assert "## By question file" in md.read_text(encoding="utf-8")


def test_eval_refuses_a_missing_second_file(questions_file: Path, tmp_path: Path, caplog):
    with caplog.at_level(logging.ERROR):
        code = qa("eval", str(questions_file), str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "r.json"))
    assert code == 2 and "question file not found" in caplog.text
    assert not (tmp_path / "r.json").exists()
