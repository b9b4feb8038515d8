"""benchmarks.llm_endpoint end to end: `qa serve` spawned with its LLM pointed at the stand-in endpoint, scored
through the HTTP API by qa eval's runner; the report counts who wrote each answer and the tokens reported."""
from __future__ import annotations

import json

from benchmarks import llm_endpoint
from benchmarks.stand_in_llm import reply_to

QUESTIONS = [
    {"id": "a1", "question": "海淀区有多少所高等院校？", "answerable": True, "answer": "33 所",
     "evidence": "高等院校 33 所", "doc": "北京市海淀区双创经验总结.txt", "section": "", "type": "factoid"},
    {"id": "u1", "question": "2022年卡塔尔世界杯的冠军是哪个国家？", "answerable": False, "answer": "", "evidence": "",
     "doc": "", "section": "", "type": "unanswerable", "subtype": "off_topic"},
]


def test_stand_in_quotes_the_closest_sentence_without_a_marker():
    prompt = "资料：\n[1] 《甲.txt》 标题\n天气很好。海淀区有高等院校 33 所。\n\n[2] 《乙.txt》 \n别的。\n\n问题：海淀区有多少所高等院校？"
    assert reply_to(prompt) == "海淀区有高等院校 33 所。"


def test_an_endpoint_is_scored_through_the_service(built_index, tmp_path, capsys):
    questions = tmp_path / "q.jsonl"
    questions.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in QUESTIONS), encoding="utf-8")
    out = tmp_path / "report.json"
    assert llm_endpoint.main(["--stand-in", "--index", str(built_index.index_dir), "--out", str(out),
                              str(questions)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    rows = {r["id"]: r for r in report["rows"]}
    # The stand-in writes no marker: the answer is kept as the LLM's and cited by what it states.
    assert (rows["a1"]["generator"], rows["a1"]["revision"]) == ("llm", "cited")
    assert rows["a1"]["answer_contains"] and rows["a1"]["citation_hit"] and rows["a1"]["completion_tokens"] > 0
    # The reader abstains before the LLM is asked: no tokens.
    assert rows["u1"]["abstained"] and rows["u1"]["generator"] == "extractive" and rows["u1"]["prompt_tokens"] is None
    generation = report["generation"]
    assert generation["generator"] == {"llm": 1, "extractive": 1} and generation["llm_calls_reporting_usage"] == 1
    assert report["config"]["llm"]["stand_in"] is True
    assert "LLM tokens (1 calls reporting usage)" in capsys.readouterr().out
