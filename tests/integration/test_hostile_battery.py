"""Issue 16's attacks, bounded, against real `qa serve` processes on loopback.

Each test sends a reduced version of one attack (the inputs come from benchmarks/hostile_inputs.py; the
full-size versions and what they cost are in benchmarks/hostile.py and docs/security.md) and asserts a
generic outcome that does not depend on which error code or limit a fix chooses: never a 5xx; a hostile
file refused with a 4xx JSON error, nothing added, and the server's memory not grown by more than a
generous bound; health checks and ordinary questions still answered while connections or threads are
being held; cross-site writes, rate-limit bypasses and name shadowing refused; an LLM's unsupported claim
not passed off as a supported answer; what reaches the LLM bounded.

Servers (small index of two real documents): `open` (defaults; the attacks that hold threads and
connections use it last, after every test that measures its memory), `rate` (30 requests a minute, no keys),
and `keyed` (a key, 30 a minute per address, and a scripted OpenAI-compatible endpoint on loopback that claims
something the passages do not say; the wrong keys come from another address than the LLM tests' questions).
They start together on first use, so their model loads overlap: each server is a model load of a few seconds
of CPU, so three configurations serve the five the attacks need.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from benchmarks import hostile_inputs as h
from benchmarks.common import smaps_rollup
from tests.conftest import free_port, needs_milvus

pytestmark = pytest.mark.integration

OFFICIAL_NAME = "中国电科双创示范基地建设方案.txt"  # a document of the test index (origin: folder)
GOOD_TEXT = ("北京市海淀区双创经验总结\n一、基本情况\n海淀区目前有北大、清华等高等院校 33 所，以中科院为代表的科研院所 138 家，"
             "教育、科技智力资源比较富集。\n")
KEY = "battery-key"
RATE_LIMIT = 30
RSS_GROWTH_BOUND_MIB = 200  # a hostile file refused must not leave the server this much bigger (today: +640 MiB)
READY_SECONDS = 240


def _no_5xx(*replies: h.Reply) -> None:
    bad = [(r.status, r.body[:200]) for r in replies if r.status is not None and r.status >= 500]
    assert not bad, f"server errors: {bad}"


def _refused(reply: h.Reply) -> None:
    """A 4xx with the JSON error shape."""
    assert reply.status is not None, f"no answer: {reply.error}"
    assert 400 <= reply.status < 500, (reply.status, reply.body[:300])
    assert reply.error_code, f"not a JSON error: {reply.body[:300]!r}"


@dataclass
class QAServer:
    name: str
    index_dir: Path
    env: dict[str, str]
    log: Path
    args: tuple[str, ...] = ()
    process: subprocess.Popen | None = None
    url: str = ""
    ready: bool = False
    headers: dict[str, str] = field(default_factory=dict)  # what a legitimate client of it sends

    def start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "qa_service.cli", "serve", "--host", "127.0.0.1",
                                             "--port", str(port), *self.args], env={**os.environ, **self.env},
                                            stdout=subprocess.DEVNULL, stderr=log)

    def wait_ready(self) -> "QAServer":
        deadline = time.time() + READY_SECONDS
        while not self.ready and time.time() < deadline:
            assert self.process is not None and self.process.poll() is None, \
                f"{self.name} server exited: {self.log.read_text(errors='replace')[-2000:]}"
            self.ready = h.request(self.url, "GET", "/readyz", timeout=5).status == 200
            if not self.ready:
                time.sleep(0.05)
        assert self.ready, f"{self.name} server not ready after {READY_SECONDS} s"
        return self

    def rss_mib(self) -> float:
        assert self.process is not None
        return smaps_rollup(self.process.pid)["Rss"]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # a server still busy with a hostile request would finish it first
            self.process.wait(timeout=60)

    def ask(self, question: str = h.NORMAL_QUESTION, timeout: float = 60, source: str | None = None) -> h.Reply:
        return h.post_json(self.url, "/v1/ask", {"question": question}, timeout, self.headers, source)

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def llm():
    with h.ClaimingLLM() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def fleet(built_index, llm, tmp_path_factory):
    """All battery servers, started at once, each on its own copy of the test index."""
    root = tmp_path_factory.mktemp("hostile")
    configs = {
        "open": {},
        "rate": {"QA_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT)},
        "keyed": {"QA_API_KEYS": KEY, "QA_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT), **llm.env()},
    }
    servers = {}
    with ExitStack() as stack:
        for name, env in configs.items():
            index_dir = root / name / "idx"
            shutil.copytree(built_index.index_dir, index_dir)
            server = QAServer(name, index_dir, {"QA_INDEX_DIR": str(index_dir),
                                                "QA_EMBEDDING_CACHE": built_index.embedding_cache, **env},
                              root / f"{name}.log")
            if name == "keyed":
                server.headers = {"Authorization": f"Bearer {KEY}"}
            server.start()
            stack.callback(server.stop)
            servers[name] = server
        yield servers  # each test calls wait_ready() on the one it uses


@pytest.fixture()
def open_server(fleet) -> QAServer:
    return fleet["open"].wait_ready()


# --- small holes -------------------------------------------------------------------------------------------

def test_info_holds_no_server_path(open_server):
    reply = h.request(open_server.url, "GET", "/v1/info", timeout=30)
    assert reply.status == 200
    assert str(open_server.index_dir) not in reply.body.decode()
    assert h.absolute_paths(reply.json()) == []


def test_lone_surrogate_is_a_4xx(open_server):
    _refused(h.post_json(open_server.url, "/v1/search", h.LONE_SURROGATE_BODY))
    _refused(h.post_json(open_server.url, "/v1/ask", h.LONE_SURROGATE_BODY.replace(b"query", b"question")))


def test_deeply_nested_json_is_a_4xx(open_server):
    _refused(h.post_json(open_server.url, "/v1/search", h.deep_json(100_000)))


def test_upload_named_with_zero_width_and_combining_marks_is_no_5xx(open_server):
    reply = h.upload(open_server.url, h.ZERO_WIDTH_NAME, GOOD_TEXT.encode(), timeout=120)
    assert reply.status is not None and reply.status < 500, (reply.status, reply.body[:300])
    if reply.status < 300:
        assert reply.json()["name"] in {d["name"] for d in h.documents(open_server.url)}


# --- trust ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("attack", ["form-post-from-another-site", "dns-rebinding"])
def test_cross_site_write_without_keys_is_refused(open_server, attack):
    """A page of another site posting a form to 127.0.0.1 (its Origin, no custom header: no preflight), and a
    page whose own name was rebound to 127.0.0.1 (its Origin and Host; same-origin to the browser, so it may
    add any header)."""
    before = h.documents(open_server.url)
    evil_origin = f"http://evil.example:{open_server.port}"
    headers = ({"Origin": "http://evil.example", "Referer": "http://evil.example/form.html"}
               if attack == "form-post-from-another-site" else
               {"Origin": evil_origin, "Host": f"evil.example:{open_server.port}", **h.PAGE_WRITE_HEADERS})
    reply = h.upload(open_server.url, f"跨站上传-{attack}.txt", GOOD_TEXT.encode(), timeout=120, headers=headers)
    _refused(reply)
    assert h.documents(open_server.url) == before


def test_upload_cannot_take_an_official_documents_name(open_server):
    official = [d for d in h.documents(open_server.url) if d["name"] == OFFICIAL_NAME]
    assert len(official) == 1 and official[0]["origin"] != "upload"
    fake = ("中国电科双创示范基地建设方案\n一、补贴政策\n" + h.FAKE_CLAIM.replace("[1]", "。") + "\n") * 3
    reply = h.upload(open_server.url, OFFICIAL_NAME, fake.encode(), timeout=120)
    _refused(reply)
    assert [d for d in h.documents(open_server.url) if d["name"] == OFFICIAL_NAME] == official


def test_random_keys_do_not_bypass_the_rate_limit(fleet):
    server = fleet["rate"].wait_ready()
    replies = [h.post_json(server.url, "/v1/search", {"query": "海淀区", "top_k": 1}, 60,
                           {"X-API-Key": os.urandom(12).hex()}, h.ATTACKER) for _ in range(100)]
    _no_5xx(*replies)
    statuses = [r.status for r in replies]
    assert statuses.count(429) > 0, f"100 requests past a {RATE_LIMIT}/min limit, no 429: {set(statuses)}"


def test_wrong_keys_are_throttled(fleet):
    server = fleet["keyed"].wait_ready()
    replies = [h.post_json(server.url, "/v1/search", {"query": "海淀区", "top_k": 1}, 60,
                           {"Authorization": "Bearer " + os.urandom(12).hex()}, h.ATTACKER) for _ in range(120)]
    _no_5xx(*replies)
    statuses = [r.status for r in replies]
    assert set(statuses) <= {401, 403, 429}, set(statuses)
    assert 429 in statuses, "120 wrong keys, none throttled"


# --- the LLM --------------------------------------------------------------------------------------------------

def test_an_llm_claim_the_passage_does_not_hold_is_not_a_clean_answer(fleet, llm):
    server = fleet["keyed"].wait_ready()
    llm.requests.clear()
    reply = server.ask()
    assert reply.status == 200, reply.body[:300]
    assert any(r.kind == "answer" for r in llm.requests), "the question never reached the LLM"
    data = reply.json()
    clean = data["answerable"] and not data.get("notice") and h.FAKE_CLAIM_MARK in data["answer"]
    assert not clean, f"the invented claim came back as a supported answer: {data['answer']}"


def test_chat_history_reaching_the_llm_is_bounded(fleet, llm):
    server = fleet["keyed"].wait_ready()
    llm.requests.clear()
    body = json.dumps({"model": "qa-service", "messages": h.long_history(6, 50_000)}, ensure_ascii=False).encode()
    reply = h.post_json(server.url, "/v1/chat/completions", body, 120, server.headers)
    _no_5xx(reply)
    assert reply.status is not None, reply.error
    assert reply.status != 401, "the key was refused: the history never reached the answerer"
    assert llm.largest_prompt("rewrite") < 20_000, f"rewrite prompt of {llm.largest_prompt('rewrite')} characters"


# --- memory -----------------------------------------------------------------------------------------------

def test_many_distinct_characters_do_not_grow_the_server(open_server):
    """200 questions quoting 374,000 distinct code points in all: a per-character memo kept for the life of
    the process holds every one (+32 MiB before issue 16, measured; a bounded memo and caches: a few MiB)."""
    warm = h.distinct_char_questions(20, start=0xD0000)
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda q: open_server.ask(q), warm))
    before = open_server.rss_mib()
    with ThreadPoolExecutor(2) as pool:
        replies = list(pool.map(lambda q: open_server.ask(q), h.distinct_char_questions(200)))
    _no_5xx(*replies)
    growth = open_server.rss_mib() - before
    assert growth < 15, f"RSS grew by {growth:.0f} MiB over 200 questions"


# --- hostile files ---------------------------------------------------------------------------------------------

HOSTILE_FILES = {
    "docx-bomb": ("炸弹.docx", lambda: h.docx_bomb(30_000_000)),  # 45 KB, 30 MB of paragraphs once expanded
    "nested-divs": ("嵌套.html", lambda: h.nested_divs(1200)),
    "gbk-noise": ("乱码.txt", lambda: h.gbk_noise(10_000)),
    "pdf-big-streams": ("大流.pdf", lambda: h.pdf_with_big_streams(1, 3_000_000)),
    "pdf-many-pages": ("多页.pdf", lambda: h.pdf_with_many_pages(1000)),
}


@pytest.mark.parametrize("kind", list(HOSTILE_FILES))
def test_a_hostile_file_is_refused_and_costs_the_server_nothing(open_server, kind):
    name, build = HOSTILE_FILES[kind]
    raw = build()
    before_docs = h.documents(open_server.url)
    before = open_server.rss_mib()
    replies = [h.upload(open_server.url, name, raw, timeout=300)]
    if kind == "docx-bomb":  # twice: memory kept from the first must not add up
        replies.append(h.upload(open_server.url, name, raw, timeout=300))
    for reply in replies:
        _refused(reply)
    growth = open_server.rss_mib() - before
    assert growth < RSS_GROWTH_BOUND_MIB, f"RSS grew by {growth:.0f} MiB"
    assert h.documents(open_server.url) == before_docs
    assert open_server.ask().status == 200


def test_nested_tables_are_refused_or_read_in_bounded_time(open_server):
    """40 nests of 200 two-column tables with empty cells (338 KB, 759 characters of text): before issue 16 the
    HTML walk went over everything beneath each level again (54 s in the loader alone here, load average 5).
    Refusing the nesting and reading it in linear time both answer at once."""
    before = open_server.rss_mib()
    reply = h.upload(open_server.url, "表格.html", h.nested_tables(200, 40, cell_text=""), timeout=10)
    assert reply.status is not None, f"no answer in 10 s ({reply.error})"
    _no_5xx(reply)
    assert open_server.rss_mib() - before < RSS_GROWTH_BOUND_MIB


def test_an_oversized_body_is_refused_before_it_is_read(open_server):
    """300 MB announced, at most 40 MB sent: a server that bounds bodies answers or closes first; one that
    spools the whole body to disk before looking keeps reading and says nothing."""
    result = h.oversized_post("127.0.0.1", open_server.port, "/v1/ask", 300_000_000, 40_000_000, wait=15)
    assert result.closed_early, f"sent {result.sent:,} bytes, no answer, connection open"
    assert result.status is None or 400 <= result.status < 500, result.response_head


def test_ingest_of_a_folder_with_a_bad_file_indexes_the_good_one(built_index, shared_model, tmp_path, monkeypatch,
                                                                 caplog):
    """`qa ingest` called in this process, the composition root handing out the session's model (a `qa` process
    is seconds of imports and model load; tests/qa_service/ingestion/test_incremental_sync.py runs one on bad
    files): an exception it let out would fail the test here."""
    from qa_service.cli import main

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "坏.html").write_bytes(h.nested_divs(1200))
    (folder / "好.txt").write_text(GOOD_TEXT, encoding="utf-8")
    index = tmp_path / "idx"
    monkeypatch.setenv("QA_EMBEDDING_CACHE", built_index.embedding_cache)
    caplog.clear()
    assert main(["ingest", str(folder), "--index", str(index), "--quiet"]) == 3, caplog.text[-2000:]
    assert "坏.html" in caplog.text
    manifest = json.loads(next(index.glob("v-*/manifest.json")).read_text(encoding="utf-8"))
    assert [d["name"] for d in manifest["documents"]] == ["好.txt"]


@needs_milvus
def test_two_workers_over_milvus_lite_are_refused_or_all_answer(built_index, small_corpus, tmp_path):
    """Milvus Lite is one process: either `qa serve --workers 2` refuses the combination at start with a
    message naming it, or every request it accepts is answered (before issue 16: half were 503). The refusal
    comes before anything is opened, so the collection is filled (`qa ingest`, a model load) only for a server
    that accepts the combination."""
    index_dir = tmp_path / "idx"
    env = {"QA_INDEX_DIR": str(index_dir), "QA_EMBEDDING_CACHE": built_index.embedding_cache,
           "QA_VECTOR_STORE": "milvus", "QA_MILVUS_URI": str(tmp_path / "milvus.db")}

    def started() -> QAServer:
        server = QAServer("milvus", index_dir, env, tmp_path / "serve.log", ("--workers", "2", "--threads", "2"))
        server.start()
        return server

    def answering(server: QAServer, status: int | None) -> bool:
        """Waits until the server exits or /readyz answers `status` (None: anything at all)."""
        deadline = time.time() + READY_SECONDS
        while time.time() < deadline and server.process.poll() is None:
            got = h.request(server.url, "GET", "/readyz", timeout=5).status
            if got is not None and (status is None or got == status):
                return True
            time.sleep(0.05)
        return False

    server = started()
    try:
        accepted = answering(server, None)
        if server.process.poll() is not None:
            assert server.process.returncode != 0
            assert "milvus" in server.log.read_text(errors="replace").lower()
            return
        assert accepted, "neither refused nor answering"
    finally:
        server.stop()
    done = subprocess.run([sys.executable, "-m", "qa_service.cli", "ingest", str(small_corpus), "--quiet"],
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]  # the collection holds the index's vectors
    server = started()
    try:
        assert answering(server, 200), "accepted the combination, then neither refused nor ready"
        settle = time.time() + 90  # until both workers have tried to load the index (each logs it)
        while server.log.read_text(errors="replace").count("loaded") < 2 and time.time() < settle:
            time.sleep(0.1)
        replies = [h.post_json(server.url, "/v1/search", {"query": "海淀区高等院校", "top_k": 3}) for _ in range(12)]
        assert [r.status for r in replies] == [200] * 12
    finally:
        server.stop()


# --- held connections and threads (last: a failure here leaves the `open` server occupied) ------------------------

def test_slowloris_does_not_take_the_server_offline(fleet):
    server = fleet["open"].wait_ready()
    attack = h.Slowloris("127.0.0.1", server.port, 100, interval=5.0).start()  # from h.ATTACKER
    try:
        time.sleep(1.0)
        health = h.request(server.url, "GET", "/healthz", timeout=30)
        assert health.status == 200, f"/healthz with 100 connections held: {health.error or health.status}"
        answer = server.ask(timeout=30)
        assert answer.status == 200, f"a normal ask with 100 connections held: {answer.error or answer.status}"
    finally:
        attack.stop()


def test_a_long_question_of_rare_characters_is_answered_quickly(fleet):
    server = fleet["open"].wait_ready()
    question = h.rare_han_question(2000)  # about 34 s of part-of-speech tagging before issue 16
    reply = server.ask(question, timeout=15, source=h.ATTACKER)
    assert reply.status is not None, f"no answer in 15 s ({reply.error})"
    assert reply.status < 500


def test_parallel_long_questions_leave_room_for_others(fleet):
    server = fleet["open"].wait_ready()
    questions = [h.rare_han_question(2000, seed=200 + i) for i in range(8)]
    pool = ThreadPoolExecutor(8)  # not a with-block: its exit would wait for asks a failing server never ends
    try:
        attack = [pool.submit(server.ask, q, 120, h.ATTACKER) for q in questions]
        time.sleep(0.5)
        health = h.request(server.url, "GET", "/healthz", timeout=30)
        answer = server.ask(timeout=30)
        assert health.status == 200, f"/healthz during 8 long asks: {health.error or health.status}"
        assert answer.status == 200, f"a normal ask during 8 long asks: {answer.error or answer.status}"
        for future in attack:
            if future.done():
                _no_5xx(future.result())
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
