"""The benchmark suite end to end on a tiny corpus: it runs, writes its JSON and table, and what it reports
about behaviour holds (nothing embedded twice, only a changed document's new chunks re-embedded, every
request answered). Timings are recorded by the run, never asserted here.

Kept small because it is the slowest fixture of the suite (94 s on a quiet machine with 30 chunks and all 42
benchmark questions, each asked or encoded about ten times over the steps; 74 s with 16 chunks): two documents
of 800 characters (9 chunks), every fifth benchmark question (the same mix of factoid, list and unanswerable
questions), and the quick plan with 4 requests per measured run and 2 per growth run (16 and 8): the sweeps
still run every endpoint at every concurrency (16 clients still send 32 requests)."""
from __future__ import annotations

import json

import pytest

from benchmarks import common, run_all
from tests.conftest import CORPUS, haidian_section


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-corpus")
    haidian = haidian_section()
    (root / "北京市海淀区双创经验总结.txt").write_text(haidian[:800], encoding="utf-8")
    plan = (CORPUS / "中国电科双创示范基地建设方案.txt").read_text(encoding="utf-8")
    (root / "中国电科双创示范基地建设方案.txt").write_text(plan[:800], encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def result(tiny_corpus, tmp_path_factory):
    work = tmp_path_factory.mktemp("bench")
    out = work / "latest.json"
    some_questions = work / "questions.txt"
    some_questions.write_text("\n".join(common.questions()[::5]) + "\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:  # read by the steps run in this process
        patch.setattr(common, "QUESTIONS_FILE", some_questions)
        quick_plan = run_all._plan
        patch.setattr(run_all, "_plan", lambda quick, wait: {**quick_plan(quick, wait), "requests": 4,
                                                              "growth_requests": 2})
        # readiness (two servers, embedding to the end) would triple this; test_synthetic_corpus.py tests its parts
        assert run_all.main(["--quick", "--corpus", str(tiny_corpus), "--out", str(out), "--work", str(work),
                             "--skip", "readiness"]) == 0
    return json.loads(out.read_text(encoding="utf-8")), (work / "latest.md").read_text(encoding="utf-8")


def test_result_records_machine_libraries_and_encoder(result):
    data, _ = result
    assert data["quick"] is True and data["machine"]["cores"] >= 1 and data["machine"]["cpu"]
    assert data["libraries"]["faiss-cpu"] and data["embedding"]["variant"] in {"torch-fp32", "openvino-fp32",
                                                                                "openvino-int8"}


def test_ingest_embeds_each_chunk_once_and_only_changed_text_again(result):
    ingest = result[0]["ingest"]
    assert ingest["cold"]["embedded"] == ingest["chunks"] > 5
    assert ingest["unchanged"]["embedded"] == 0
    changed = ingest["one_document_changed"]
    assert changed["new_chunk_texts_outside_document"] == 0
    assert 1 <= changed["embedded"] == changed["new_chunk_texts"] <= changed["document_chunks"]
    assert ingest["floor"]["chunks"] == ingest["chunks"]


def test_every_query_is_answered(result):
    queries = result[0]["queries"]
    for mode in ("in_process", "http_waitress"):
        for run in (v for k, v in queries[mode].items() if "@" in k):
            assert run["statuses"] == {"200": run["n"]}
    assert {"search@1", "ask@4", "ask@16"} <= set(queries["http_waitress"])


def test_growth_doubles_the_index_and_reports_recall(result):
    growth = result[0]["growth"]["factors"]["2"]
    assert growth["chunks"] == 2 * result[0]["ingest"]["chunks"]
    assert growth["stores"]["flat"]["recall@10_vs_exact"] == 1.0
    for kind in ("hnsw", "ivf"):
        assert 0.0 <= growth["stores"][kind]["recall@10_vs_exact"] <= 1.0
    assert growth["serve"]["http_ask@1"]["statuses"] == {"200": growth["serve"]["http_ask@1"]["n"]}
    assert "synthetic" in result[0]["growth"]["note"]


def test_table_shows_every_section(result):
    _, table = result
    for heading in ("| ingest | figure |", "| queries", "| start-up and memory |", "Growth (synthetic"):
        assert heading in table
    assert "QUICK" in table
