"""A tiny real Flask app serving canned /v1/search and /v1/ask answers for hand-made questions.

It stands in for the (separately built) QA service so the metric plumbing can be checked against
known values; it speaks exactly the HTTP contract the eval backends use.
"""
from __future__ import annotations

import json
import math
import threading
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.serving import make_server

DOC_A = "中国电科双创示范基地建设方案.txt"
DOC_B = "中国移动双创示范基地建设方案.txt"

EVIDENCE_1 = "开放了省部级以上资质的重点实验室、工程中心与检测机构共 34 个"
EVIDENCE_5 = "对社会尤其是中小企业、初创企业开放，提供“零资产”创业机会"


def passage(pid: str, text: str, score: float, doc: str = DOC_A) -> dict[str, Any]:
    return {"id": pid, "doc": doc, "title": doc[:-4], "section": "一、基础条件", "text": text, "score": score}


# Hand-made questions: see test_eval_runner.py for the values they must produce.
QUESTIONS: list[dict[str, Any]] = [
    {"id": "q1", "question": "中国电科开放了多少个实验室和检测机构？", "answerable": True, "answer": "34 个",
     "evidence": EVIDENCE_1, "doc": DOC_A, "section": "", "type": "factoid"},
    {"id": "q2", "question": "中国移动的三个平台是什么？", "answerable": True, "answer": "创新平台、孵化平台、开放平台",
     "evidence": "建设创新平台、孵化平台、开放平台三大平台", "doc": DOC_B, "section": "", "type": "list"},
    {"id": "q3", "question": "今天北京天气怎么样？", "answerable": False, "answer": "", "evidence": "", "doc": "",
     "section": "", "type": "unanswerable", "subtype": "off_topic"},
    {"id": "q4", "question": "中国电科双创基地2030年的营收目标是多少？", "answerable": False, "answer": "", "evidence": "",
     "doc": "", "section": "", "type": "unanswerable", "subtype": "near_miss"},
    {"id": "q5", "question": "中国电科开放资源想给中小企业带来什么？", "answerable": True, "answer": "“零资产”创业机会",
     "evidence": EVIDENCE_5, "doc": DOC_A, "section": "", "type": "explain"},
]

RELEVANT_1_SPACED = "……重点实验室、工程\n中心与检测机构共34个，聚集了价值超过 5 亿元的仪器设备"

CANNED: dict[str, dict[str, Any]] = {
    QUESTIONS[0]["question"]: {
        # Tie in score between rank 1 (irrelevant) and rank 2 (relevant): order as returned counts.
        "search": [
            passage("a1", "中国电科建设了一批双创平台。", 0.9),
            passage("a2", "与北京市科委共同建设的平台，" + EVIDENCE_1 + "，聚集了价值", 0.9),
            passage("a3", "开放了省部级以上资质的" + RELEVANT_1_SPACED, 0.5),
            passage("a4", "无关段落", 0.1),
        ],
        "ask": {"answer": "共有 34 个[1]。", "answerable": True,
                "citations": [dict(passage("a2", EVIDENCE_1, 0.9), ref=1),
                              dict(passage("a1", "中国电科建设了一批双创平台。", 0.9), ref=2)]},
    },
    QUESTIONS[1]["question"]: {
        "search": [passage("b1", "中国移动建设双创示范基地。", 0.8, DOC_B)],
        "ask": {"answer": "文档中没有找到相关信息。", "answerable": False, "citations": []},
    },
    QUESTIONS[2]["question"]: {
        "search": [passage("a1", "中国电科建设了一批双创平台。", 0.2)],
        "ask": {"answer": "文档中没有找到相关信息。", "answerable": False, "citations": []},
    },
    QUESTIONS[3]["question"]: {
        "search": [passage("a5", "到2020年，营业收入达到……", 0.7)],
        "ask": {"answer": "营收目标为 1000 亿元[1]。", "answerable": True,
                "citations": [dict(passage("a5", "到2020年，营业收入达到……", 0.7), ref=1)]},
    },
    QUESTIONS[4]["question"]: {
        "search": [passage("a6", "中国电科的仪器设备、测试环境" + EVIDENCE_5 + "，带动全行业共同发展", 3.0)],
        "ask": {"answer": "提供“零资产”创业[1]", "answerable": True,
                "citations": [dict(passage("a6", EVIDENCE_5 + "，带动全行业", 3.0), ref=1)]},
    },
}

INFO = {"model": "fake-model", "retriever": "bm25", "manifest": {"chunk_tokens": 320, "chunk_overlap_tokens": 80, "chunks": 6}}


# Values the hand-made set must produce (worked out by hand in the comments).
NDCG_Q1 = (1 / math.log2(3) + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
F1_Q1 = 2 * (3 / 5) * 1 / (3 / 5 + 1)  # gold 34个, system 共有34个
F1_Q5 = 5 / 7

EXPECTED_OVERALL = {
    "hit@1": 1 / 3,
    "hit@3": 2 / 3,
    "hit@5": 2 / 3,
    "hit@10": 2 / 3,
    "mrr@10": (0.5 + 0 + 1) / 3,
    "ndcg@10": (NDCG_Q1 + 0 + 1) / 3,
    "answer_contains": 1 / 3,
    "answer_char_f1": (F1_Q1 + 0 + F1_Q5) / 3,
    "citation_precision": 2 / 3,
    "citation_hit": 2 / 3,
    "abstain_precision": 1 / 2,
    "abstain_recall": 1 / 2,
}


def make_app(canned: dict[str, dict[str, Any]] | None = None, with_info: bool = True) -> Flask:
    """Serve canned responses; unknown questions get the contract's 400 error body."""
    canned = CANNED if canned is None else canned
    app = Flask("fake_qa_service")

    def error(code: str, message: str, status: int):
        return jsonify({"error": {"code": code, "message": message}}), status

    @app.post("/v1/search")
    def search():
        body = request.get_json(silent=True) or {}
        entry = canned.get(body.get("query"))
        if entry is None:
            return error("not_found", "no canned answer", 400)
        return jsonify({"results": entry["search"][: int(body.get("top_k", 10))]})

    @app.post("/v1/ask")
    def ask():
        body = request.get_json(silent=True) or {}
        entry = canned.get(body.get("question"))
        if entry is None:
            return error("not_found", "no canned answer", 400)
        return jsonify(entry["ask"])

    if with_info:
        @app.get("/v1/info")
        def info():
            return jsonify(INFO)

    return app


def write_jsonl(path: Path, items: list[Any]) -> Path:
    lines = [i if isinstance(i, str) else json.dumps(i, ensure_ascii=False) for i in items]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class LiveServer:
    """A real werkzeug server on a free loopback port, in a thread."""

    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()
