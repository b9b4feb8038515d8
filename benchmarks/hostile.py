"""Issue 16's attacks at full size against a real `qa serve` over the bundled corpus: what each one costs.

    python -m benchmarks.hostile [--quick] [--only NAME ...] [--index DIR] [--out FILE]

For every attack: the HTTP status(es), the time, the server's resident memory before and after (and its
peak, from VmHWM reset through /proc/PID/clear_refs; the serving process and its direct children, such as
gunicorn workers or document-parsing children), and the latency of a normal question asked once a
second while the attack runs (attack traffic comes from 127.0.0.2, the ordinary questions from 127.0.0.1,
so limits per client address fall on the attacker). The index is built once from data/corpus
(var/bench/hostile/index, reused when current) and copied for every server start, so uploads that get in
do not leak into the next attack.
Servers are restarted after attacks that leave memory or busy threads behind, so "before" is a fresh
server's figure. The inputs come from benchmarks/hostile_inputs.py, shared with the test battery
(tests/integration/test_hostile_battery.py, which sends bounded versions and asserts outcomes).

Full size needs several GB of memory (the DOCX bomb) and takes tens of minutes of CPU on 2 cores;
--quick sends reduced sizes in a few minutes (figures not comparable). Results go to
benchmarks/results/hostile.json (hostile-quick.json with --quick), and a Markdown table to stdout.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from benchmarks import hostile_inputs as h
from benchmarks.common import (RESULTS_DIR, WORK_DIR, Server, child_pids, embedding_variant, machine, smaps_rollup,
                               start_server, wait_ready, write_json)
from qa_service.settings import PROJECT_ROOT, Settings

log = logging.getLogger("benchmarks.hostile")
WORK = WORK_DIR / "hostile"
CORPUS = PROJECT_ROOT / "data" / "corpus"
OFFICIAL_NAME = "中国电科双创示范基地建设方案.txt"  # a bundled corpus document
GOOD_TEXT = ("北京市海淀区双创经验总结\n一、基本情况\n海淀区目前有北大、清华等高等院校 33 所，以中科院为代表的科研院所 138 家，"
             "教育、科技智力资源比较富集。\n")
KEY = "hostile-bench-key"
RATE_LIMIT = 30  # requests per minute, the figure of the rate-limit findings


@dataclass(frozen=True)
class Sizes:
    rare_chars: int = 2000
    parallel_asks: int = 8
    slowloris_connections: int = 100
    slowloris_interval: float = 10.0
    slowloris_seconds: float = 60.0
    big_post_bytes: int = 300_000_000
    docx_expanded: int = 100_000_000
    docx_paragraph_bytes: int = 1_000_000  # unwrapped paragraphs: CPU instead of memory
    pdf_pages: int = 10
    pdf_stream_bytes: int = 70_000_000
    pdf_many_pages: int = 10_000
    nested_divs: int = 1200
    table_depth: int = 200
    table_copies: int = 19  # about 335 KB
    gbk_bytes: int = 200_000
    random_keys: int = 100
    wrong_keys: int = 120
    history_turns: int = 6
    history_chars: int = 50_000
    deep_json: int = 100_000
    memo_questions: int = 320  # x 1,872 distinct code points each (as many as planes 4-13 hold unassigned)
    memo_chars: int = 2000
    request_timeout: float = 1800.0


QUICK = Sizes(rare_chars=150, parallel_asks=8, slowloris_seconds=15.0, slowloris_interval=5.0,
              big_post_bytes=60_000_000, docx_expanded=10_000_000, docx_paragraph_bytes=60_000, pdf_pages=1,
              pdf_stream_bytes=3_000_000, pdf_many_pages=1000, table_depth=50, table_copies=10, gbk_bytes=10_000,
              memo_questions=50, request_timeout=300.0)


# --- servers ------------------------------------------------------------------------------------------------

CONFIGS: dict[str, dict[str, str]] = {
    "open": {},  # the defaults: no keys, no rate limit
    "rate-limited": {"QA_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT)},
    "keys": {"QA_API_KEYS": KEY, "QA_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT)},
    "llm": {},  # plus the scripted LLM's settings, added when it runs
}


class Servers:
    """At most one `qa serve` at a time, on a fresh copy of the pristine index, restarted on demand."""

    def __init__(self, index: Path, llm: h.ClaimingLLM) -> None:
        self.index = index
        self.llm = llm
        self.current: tuple[str, Server] | None = None
        self.log_file: Path | None = None

    def get(self, config: str, fresh: bool = False) -> Server:
        if self.current and (fresh or self.current[0] != config or self.current[1].process.poll() is not None):
            self.stop()
        if self.current is None:
            copy = WORK / "serving-index"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(self.index, copy)
            env = {**CONFIGS[config], **(self.llm.env() if config == "llm" else {})}
            self.log_file = WORK / f"serve-{config}.log"
            self.log_file.unlink(missing_ok=True)
            server = start_server(Settings.from_env(index_dir=copy), threads=8, env=env, log_file=self.log_file)
            wait_ready(server, timeout=900)
            self.current = (config, server)
            log.info("qa serve (%s) ready at %s", config, server.url)
        return self.current[1]

    def stop(self) -> None:
        if self.current is not None:
            self.current[1].process.kill()  # a server busy with a hostile request would finish it first
            self.current[1].process.wait(timeout=60)
            self.current = None

    def log_offset(self) -> int:
        return self.log_file.stat().st_size if self.log_file and self.log_file.exists() else 0

    def log_errors(self, offset: int, limit: int = 3) -> list[str]:
        """ERROR lines and exception names the server logged since `offset` (first few, shortened)."""
        if not self.log_file or not self.log_file.exists():
            return []
        with open(self.log_file, "rb") as fh:
            fh.seek(offset)
            text = fh.read().decode("utf-8", errors="replace")
        exceptions = ("RecursionError", "TypeError", "MemoryError")
        lines = [line for line in text.splitlines() if " ERROR " in line or line.startswith(exceptions)]
        return [line[-240:] for line in lines[:limit]]


# --- measurements during an attack ---------------------------------------------------------------------------

def _pids(server: Server) -> list[int]:
    return [server.process.pid, *child_pids(server.process.pid)]


def rss_mib(server: Server) -> float | None:
    total = 0.0
    for pid in _pids(server):
        try:
            total += smaps_rollup(pid)["Rss"]
        except (OSError, KeyError):
            continue
    return round(total, 1) if total else None


def own_rss_mib(server: Server) -> float | None:
    """The serving process alone, without its children: since issue 16 each upload is parsed in one of
    QA_PARSE_WORKERS long-lived children (about 110 MiB each; `qa serve` starts one at once), which rss_mib
    counts."""
    try:
        return round(smaps_rollup(server.process.pid)["Rss"], 1)
    except (OSError, KeyError):
        return None


def reset_peak(server: Server) -> bool:
    """Reset VmHWM (write 5 to clear_refs), so the peak read afterwards is this attack's own."""
    ok = True
    for pid in _pids(server):
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
        except OSError:
            ok = False
    return ok


def peak_mib(server: Server) -> float | None:
    total = 0.0
    for pid in _pids(server):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return round(total, 1) if total else None


class Prober:
    """A normal question once a second while an attack runs; its latencies say what other users saw."""

    def __init__(self, base: str, headers: dict[str, str] | None = None, timeout: float = 120.0) -> None:
        self.base, self.headers, self.timeout = base, headers or {}, timeout
        self.samples: list[tuple[int | None, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            reply = h.post_json(self.base, "/v1/ask", {"question": h.NORMAL_QUESTION}, self.timeout, self.headers)
            self.samples.append((reply.status, reply.seconds))
            self._stop.wait(1.0)

    def __enter__(self) -> "Prober":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.timeout + 5)

    def summary(self) -> dict[str, Any]:
        if not self.samples:
            return {"n": 0}
        seconds = [s for _, s in self.samples]
        return {"n": len(seconds), "p50_s": round(statistics.median(seconds), 3), "max_s": round(max(seconds), 3),
                "statuses": dict(Counter(str(s) for s, _ in self.samples))}


@dataclass
class Outcome:
    """What one attack saw; `statuses` counts the attack's own requests ("none" = no answer)."""

    statuses: Counter = field(default_factory=Counter)
    details: dict[str, Any] = field(default_factory=dict)

    def add(self, reply: h.Reply) -> h.Reply:
        self.statuses[str(reply.status) if reply.status is not None else "none"] += 1
        return reply


@dataclass(frozen=True)
class Attack:
    name: str
    what: str
    config: str | None  # which server; None: the attack manages its own processes
    run: Callable[["Context"], Outcome]
    fresh: bool = False  # start a fresh server first (clean memory baseline)
    dirty: bool = False  # leaves memory or busy threads behind: the next attack gets a fresh server


@dataclass
class Context:
    sizes: Sizes
    server: Server | None
    servers: Servers
    llm: h.ClaimingLLM
    index: Path

    @property
    def base(self) -> str:
        assert self.server is not None
        return self.server.url

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])


# --- the attacks ----------------------------------------------------------------------------------------------

def long_ask(ctx: Context) -> Outcome:
    out = Outcome()
    question = h.rare_han_question(ctx.sizes.rare_chars)
    reply = out.add(h.post_json(ctx.base, "/v1/ask", {"question": question}, ctx.sizes.request_timeout,
                                source=h.ATTACKER))
    out.details = {"chars": len(question), "seconds": round(reply.seconds, 2)}
    # The first ask of a fresh server also pays for loading jieba's dictionary and other first-use work
    # (~2-3 s); another question of the same kind shows what the question itself costs.
    again = out.add(h.post_json(ctx.base, "/v1/ask", {"question": h.rare_han_question(ctx.sizes.rare_chars, seed=7)},
                                ctx.sizes.request_timeout, source=h.ATTACKER))
    out.details["second_ask"] = {"status": again.status, "seconds": round(again.seconds, 2)}
    search = h.post_json(ctx.base, "/v1/search", {"query": question}, ctx.sizes.request_timeout, source=h.ATTACKER)
    out.details["search_same_text"] = {"status": search.status, "seconds": round(search.seconds, 2)}
    return out


def parallel_long_asks(ctx: Context) -> Outcome:
    out = Outcome()
    questions = [h.rare_han_question(ctx.sizes.rare_chars, seed=100 + i) for i in range(ctx.sizes.parallel_asks)]
    healthz: list[float | None] = []

    def watch_health(stop: threading.Event) -> None:
        while not stop.wait(2.0):
            r = h.request(ctx.base, "GET", "/healthz", timeout=30)
            healthz.append(round(r.seconds, 3) if r.status == 200 else None)

    stop = threading.Event()
    watcher = threading.Thread(target=watch_health, args=(stop,), daemon=True)
    watcher.start()
    with ThreadPoolExecutor(len(questions)) as pool:
        replies = list(pool.map(lambda q: h.post_json(ctx.base, "/v1/ask", {"question": q},
                                                      ctx.sizes.request_timeout, source=h.ATTACKER), questions))
    stop.set()
    watcher.join()
    for r in replies:
        out.add(r)
    out.details = {"asks": len(questions), "chars": ctx.sizes.rare_chars,
                   "ask_seconds_max": round(max(r.seconds for r in replies), 1),
                   "healthz_s": {"n": len(healthz), "failed": healthz.count(None),
                                 "max": max((x for x in healthz if x is not None), default=None)}}
    return out


def slowloris(ctx: Context) -> Outcome:
    out = Outcome()
    s = ctx.sizes
    attack = h.Slowloris("127.0.0.1", ctx.port, s.slowloris_connections, s.slowloris_interval).start()
    health: list[h.Reply] = []
    try:
        deadline = time.monotonic() + s.slowloris_seconds
        while time.monotonic() < deadline:
            health.append(h.request(ctx.base, "GET", "/healthz", timeout=10))
            time.sleep(2.0)
    finally:
        held = len(attack.sockets)
        attack.stop()
    for r in health:
        out.add(r)
    answered = [r.seconds for r in health if r.status == 200]
    out.details = {"connections_opened": attack.opened, "still_held_at_end": held, "dropped_by_server": attack.dropped,
                   "window_s": s.slowloris_seconds, "healthz_checks": len(health), "healthz_answered": len(answered),
                   "healthz_max_s": round(max(answered), 3) if answered else None}
    after = h.request(ctx.base, "GET", "/healthz", timeout=30)
    out.details["healthz_after_release_s"] = round(after.seconds, 3) if after.status == 200 else after.error
    return out


def big_post(ctx: Context) -> Outcome:
    out = Outcome()
    n = ctx.sizes.big_post_bytes
    result = h.oversized_post("127.0.0.1", ctx.port, "/v1/ask", n, n, wait=120)
    out.statuses[str(result.status) if result.status else "none"] += 1
    out.details = {"announced_bytes": n, "sent_bytes": result.sent,
                   "answered_before_body_complete": result.closed_early, "seconds": round(result.seconds, 2)}
    return out


def docx_bomb(ctx: Context) -> Outcome:
    out = Outcome()
    raw = h.docx_bomb(ctx.sizes.docx_expanded)
    runs = []
    for attempt in (1, 2):
        reply = out.add(h.upload(ctx.base, f"bomb{attempt}.docx", raw, ctx.sizes.request_timeout))
        runs.append({"status": reply.status, "code": reply.error_code, "seconds": round(reply.seconds, 1),
                     "rss_after_mib": rss_mib(ctx.server)})  # type: ignore[arg-type]
    out.details = {"file_bytes": len(raw), "expanded_bytes": ctx.sizes.docx_expanded, "uploads": runs}
    return out


def docx_paragraphs(ctx: Context) -> Outcome:
    out = Outcome()
    raw = h.docx_bomb(ctx.sizes.docx_paragraph_bytes, wrapped=False)
    reply = out.add(h.upload(ctx.base, "paragraphs.docx", raw, ctx.sizes.request_timeout))
    out.details = {"file_bytes": len(raw), "paragraphs": ctx.sizes.docx_paragraph_bytes // 6, "code": reply.error_code,
                   "seconds": round(reply.seconds, 1), "error": reply.error or None}
    return out


def _one_upload(name: str, build: Callable[[Sizes], bytes], describe: Callable[[Sizes], dict[str, Any]]):
    def attack(ctx: Context) -> Outcome:
        out = Outcome()
        raw = build(ctx.sizes)
        before = len(h.documents(ctx.base))
        reply = out.add(h.upload(ctx.base, name, raw, ctx.sizes.request_timeout))
        data = reply.json() if reply.status and reply.status < 300 else None
        out.details = {"file_bytes": len(raw), **describe(ctx.sizes), "code": reply.error_code,
                       "seconds": round(reply.seconds, 1), "documents_added": len(h.documents(ctx.base)) - before,
                       **({"chunks": data.get("chunks")} if isinstance(data, dict) else {}),
                       **({"error": reply.error} if reply.error else {})}
        return out
    return attack


pdf_streams = _one_upload("streams.pdf", lambda s: h.pdf_with_big_streams(s.pdf_pages, s.pdf_stream_bytes),
                          lambda s: {"pages": s.pdf_pages, "stream_bytes": s.pdf_stream_bytes})
pdf_pages = _one_upload("pages.pdf", lambda s: h.pdf_with_many_pages(s.pdf_many_pages),
                        lambda s: {"pages": s.pdf_many_pages})
html_divs = _one_upload("divs.html", lambda s: h.nested_divs(s.nested_divs), lambda s: {"depth": s.nested_divs})
html_tables = _one_upload("tables.html", lambda s: h.nested_tables(s.table_depth, s.table_copies),
                          lambda s: {"depth": s.table_depth, "copies": s.table_copies})
gbk_noise = _one_upload("noise.txt", lambda s: h.gbk_noise(s.gbk_bytes), lambda s: {})


def ingest_bad_and_good(ctx: Context) -> Outcome:
    out = Outcome()
    folder = WORK / "ingest-folder"
    target = WORK / "ingest-index"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(target, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "bad.html").write_bytes(h.nested_divs(ctx.sizes.nested_divs))
    (folder / "good.txt").write_text(GOOD_TEXT, encoding="utf-8")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "qa_service.cli", "ingest", str(folder), "--index", str(target),
                           "--quiet"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - started
    documents: list[str] = []
    manifest = next(target.glob("v-*/manifest.json"), None) if target.exists() else None
    if manifest is not None:
        documents = [d["name"] for d in json.loads(manifest.read_text(encoding="utf-8")).get("documents", [])]
    out.statuses[f"exit {done.returncode}"] += 1
    last = [line for line in done.stderr.strip().splitlines() if line.strip()]
    out.details = {"exit_status": done.returncode, "seconds": round(seconds, 1), "indexed_documents": documents,
                   "stderr_last_line": last[-1][-240:] if last else ""}
    return out


def cross_site_upload(ctx: Context) -> Outcome:
    """A form posted by a page of another site (its Origin, no custom header), and a page whose name was
    rebound to 127.0.0.1 (its Origin and Host, and any header it likes: the browser sees one origin)."""
    out = Outcome()
    variants = {"form_post": {"Origin": "http://evil.example", "Referer": "http://evil.example/form.html"},
                "dns_rebinding": {"Origin": f"http://evil.example:{ctx.port}", "Host": f"evil.example:{ctx.port}",
                                  **h.PAGE_WRITE_HEADERS}}
    for name, headers in variants.items():
        before = h.documents(ctx.base)
        reply = out.add(h.upload(ctx.base, f"cross-site-{name}.txt", GOOD_TEXT.encode(), 120, headers=headers))
        out.details[name] = {"status": reply.status, "code": reply.error_code,
                             "documents_added": len(h.documents(ctx.base)) - len(before)}
    return out


def random_keys(ctx: Context) -> Outcome:
    out = Outcome()
    for _ in range(ctx.sizes.random_keys):
        out.add(h.post_json(ctx.base, "/v1/search", {"query": "海淀区", "top_k": 1}, 60,
                            {"X-API-Key": os.urandom(12).hex()}, h.ATTACKER))
    out.details = {"requests": ctx.sizes.random_keys, "rate_limit_per_minute": RATE_LIMIT}
    return out


def wrong_keys(ctx: Context) -> Outcome:
    out = Outcome()
    for _ in range(ctx.sizes.wrong_keys):
        out.add(h.post_json(ctx.base, "/v1/search", {"query": "海淀区", "top_k": 1}, 60,
                            {"Authorization": "Bearer " + os.urandom(12).hex()}, h.ATTACKER))
    out.details = {"requests": ctx.sizes.wrong_keys, "rate_limit_per_minute": RATE_LIMIT}
    return out


def shadow_upload(ctx: Context) -> Outcome:
    out = Outcome()
    fake = ("中国电科双创示范基地建设方案\n一、补贴政策\n" + h.FAKE_CLAIM.replace("[1]", "。") + "\n") * 3
    reply = out.add(h.upload(ctx.base, OFFICIAL_NAME, fake.encode(), 300))
    same_name = [d for d in h.documents(ctx.base) if d.get("name") == OFFICIAL_NAME]
    answer = h.post_json(ctx.base, "/v1/ask", {"question": "中国电科双创示范基地每位市民每月可领取多少人工智能补贴？"}, 120).json()
    cited = [c.get("doc") for c in (answer or {}).get("citations", [])]
    out.details = {"code": reply.error_code, "documents_named_so": len(same_name),
                   "origins": [d.get("origin") for d in same_name],
                   "answer_cites_the_name": OFFICIAL_NAME in cited,
                   "answer_holds_the_fake": h.FAKE_CLAIM_MARK in (answer or {}).get("answer", "")}
    return out


def llm_claim(ctx: Context) -> Outcome:
    out = Outcome()
    ctx.llm.requests.clear()
    reply = out.add(h.post_json(ctx.base, "/v1/ask", {"question": h.NORMAL_QUESTION}, 120))
    data = reply.json() or {}
    out.details = {"answerable": data.get("answerable"), "notice": data.get("notice"),
                   "claim_in_answer": h.FAKE_CLAIM_MARK in (data.get("answer") or ""),
                   "generator": data.get("generator"), "citations": len(data.get("citations") or []),
                   "llm_requests": len(ctx.llm.requests)}
    return out


def chat_history(ctx: Context) -> Outcome:
    out = Outcome()
    ctx.llm.requests.clear()
    messages = h.long_history(ctx.sizes.history_turns, ctx.sizes.history_chars)
    body = json.dumps({"model": "qa-service", "messages": messages}, ensure_ascii=False).encode()
    reply = out.add(h.post_json(ctx.base, "/v1/chat/completions", body, 300, source=h.ATTACKER))
    out.details = {"history_chars": ctx.sizes.history_turns * ctx.sizes.history_chars, "body_bytes": len(body),
                   "rewrite_prompt_chars": ctx.llm.largest_prompt("rewrite"),
                   "answer_prompt_chars": ctx.llm.largest_prompt("answer"), "code": reply.error_code}
    return out


def info_paths(ctx: Context) -> Outcome:
    out = Outcome()
    reply = out.add(h.request(ctx.base, "GET", "/v1/info", timeout=30))
    paths = h.absolute_paths(reply.json())
    out.details = {"absolute_paths": paths[:5], "index_dir_exposed": any(str(WORK) in p for p in paths)}
    return out


def lone_surrogate(ctx: Context) -> Outcome:
    out = Outcome()
    reply = out.add(h.post_json(ctx.base, "/v1/search", h.LONE_SURROGATE_BODY, 60, source=h.ATTACKER))
    out.details = {"code": reply.error_code}
    return out


def deep_json(ctx: Context) -> Outcome:
    out = Outcome()
    reply = out.add(h.post_json(ctx.base, "/v1/search", h.deep_json(ctx.sizes.deep_json), 60, source=h.ATTACKER))
    out.details = {"depth": ctx.sizes.deep_json, "code": reply.error_code}
    return out


def zero_width_name(ctx: Context) -> Outcome:
    out = Outcome()
    reply = out.add(h.upload(ctx.base, h.ZERO_WIDTH_NAME, GOOD_TEXT.encode(), 300))
    data = reply.json() or {}
    out.details = {"code": reply.error_code, "stored_name": data.get("name")}
    return out


def memo_growth(ctx: Context) -> Outcome:
    out = Outcome()
    s = ctx.sizes
    ask = lambda q: h.post_json(ctx.base, "/v1/ask", {"question": q}, 120, source=h.ATTACKER)  # noqa: E731
    with ThreadPoolExecutor(2) as pool:  # warm-up: whatever asks like these allocate is in the baseline
        list(pool.map(ask, h.distinct_char_questions(20, s.memo_chars, start=0xD0000)))
    before = rss_mib(ctx.server)  # type: ignore[arg-type]
    questions = h.distinct_char_questions(s.memo_questions, s.memo_chars)
    started = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        for reply in pool.map(ask, questions):
            out.add(reply)
    after = rss_mib(ctx.server)  # type: ignore[arg-type]
    distinct = len(set("".join(questions))) - len(set(h.QUESTION_PREFIX + "《》"))
    out.details = {"questions": s.memo_questions, "distinct_code_points": distinct,
                   "seconds": round(time.perf_counter() - started, 1),
                   "rss_growth_mib": round(after - before, 1) if after and before else None}
    return out


def milvus_two_workers(ctx: Context) -> Outcome:
    out = Outcome()
    ctx.servers.stop()
    copy = WORK / "milvus-index"
    shutil.rmtree(copy, ignore_errors=True)
    uri = WORK / "milvus-lite.db"
    for stale in WORK.glob("milvus-lite.db*"):
        shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink()
    env = {"QA_VECTOR_STORE": "milvus", "QA_MILVUS_URI": str(uri)}
    done = subprocess.run([sys.executable, "-m", "qa_service.cli", "ingest", str(CORPUS), "--index", str(copy),
                           "--quiet"], cwd=PROJECT_ROOT, env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=3600)  # the vectors come from the embedding cache; the collection is filled
    if done.returncode != 0:
        raise RuntimeError(f"qa ingest into Milvus Lite failed ({done.returncode}): {done.stderr[-1500:]}")
    log_file = WORK / "serve-milvus.log"
    log_file.unlink(missing_ok=True)
    server = start_server(Settings.from_env(index_dir=copy), workers=2, threads=4, env=env, log_file=log_file)
    try:
        try:
            ready = wait_ready(server, timeout=600)
            out.details["ready_seconds"] = round(ready, 1)
        except (RuntimeError, TimeoutError) as exc:
            out.statuses[f"exit {server.process.poll()}"] += 1
            tail = [line for line in log_file.read_text(errors="replace").splitlines() if line.strip()]
            out.details = {"refused_at_start": server.process.poll() is not None, "why": str(exc),
                           "log_last_line": tail[-1][-240:] if tail else ""}
            return out
        settle = time.monotonic() + 180  # until both workers have tried to load the index (each logs it)
        while log_file.read_text(errors="replace").count("loaded") < 2 and time.monotonic() < settle:
            time.sleep(0.5)
        for _ in range(40):
            out.add(h.post_json(server.url, "/v1/search", {"query": "海淀区高等院校", "top_k": 3}, 60))
        readyz = Counter(str(h.request(server.url, "GET", "/readyz", timeout=30).status) for _ in range(20))
        out.details.update({"refused_at_start": False, "readyz": dict(readyz)})
        return out
    finally:
        server.process.kill()
        server.process.wait(timeout=60)


ATTACKS: list[Attack] = [
    Attack("info_paths", "GET /v1/info: server paths in the reply", "open", info_paths),
    Attack("lone_surrogate", "/v1/search with a lone surrogate (\\ud800)", "open", lone_surrogate),
    Attack("deep_json", "/v1/search with 100,000-deep JSON", "open", deep_json),
    Attack("zero_width_name", "upload named e\\u200b\\u0301.txt", "open", zero_width_name),
    Attack("cross_site_upload", "multipart POST with Origin and Host of another site, no keys set", "open",
           cross_site_upload),
    Attack("shadow_upload", "upload named like an official corpus document", "open", shadow_upload),
    Attack("long_ask", "/v1/ask with 2,000 rare Han characters", "open", long_ask, fresh=True, dirty=True),
    Attack("parallel_long_asks", "8 such asks at once", "open", parallel_long_asks, fresh=True, dirty=True),
    Attack("slowloris", "100 half-open connections, a header byte every 10 s", "open", slowloris, fresh=True,
           dirty=True),
    Attack("big_post", "a 300 MB POST body to /v1/ask", "open", big_post, fresh=True),
    Attack("docx_bomb", "147 KB DOCX expanding to 100 MB of empty paragraphs, uploaded twice", "open", docx_bomb,
           fresh=True, dirty=True),
    Attack("docx_paragraphs", "a DOCX of 166,000 empty body paragraphs (1 MB expanded)", "open", docx_paragraphs,
           fresh=True, dirty=True),
    Attack("pdf_streams", "PDF of 10 pages x 70 MB content streams (~684 KB)", "open", pdf_streams, fresh=True,
           dirty=True),
    Attack("pdf_pages", "a 10,000-page PDF", "open", pdf_pages, fresh=True, dirty=True),
    Attack("html_divs", "HTML with 1,200 nested divs", "open", html_divs),
    Attack("html_tables", "~335 KB of nested tables", "open", html_tables, fresh=True, dirty=True),
    Attack("gbk_noise", "200 KB of random GBK byte pairs as .txt", "open", gbk_noise, fresh=True, dirty=True),
    Attack("memo_growth", "320 asks quoting 1,872 distinct code points each", "open", memo_growth, fresh=True,
           dirty=True),
    Attack("ingest_bad_and_good", "qa ingest of a folder: the 1,200-div HTML + a good file", None,
           ingest_bad_and_good),
    Attack("random_keys", "100 requests with random X-API-Key, limit 30/min, no keys set", "rate-limited",
           random_keys, fresh=True),
    Attack("wrong_keys", "120 requests with wrong keys (keys set, limit 30/min)", "keys", wrong_keys, fresh=True),
    Attack("llm_claim", "scripted LLM claims 每位市民每月可领取一万元人工智能补贴[1]", "llm", llm_claim, fresh=True),
    Attack("chat_history", "chat with six 50,000-char earlier turns (LLM rewriter on)", "llm", chat_history),
    Attack("milvus_two_workers", "qa serve --workers 2 with a Milvus Lite URI", None, milvus_two_workers),
]


# --- running --------------------------------------------------------------------------------------------------

def ensure_index(index: Path) -> None:
    """Build the full-corpus index once (the embedding cache makes rebuilding cheap); reuse it when current."""
    done = subprocess.run([sys.executable, "-m", "qa_service.cli", "ingest", str(CORPUS), "--index", str(index),
                           "--if-stale", "--quiet"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"qa ingest failed ({done.returncode}):\n{done.stderr[-3000:]}")


def run_attack(attack: Attack, ctx: Context) -> dict[str, Any]:
    servers = ctx.servers
    ctx.server = servers.get(attack.config, fresh=attack.fresh) if attack.config else None
    row: dict[str, Any] = {"attack": attack.name, "what": attack.what, "server": attack.config}
    offset = servers.log_offset()
    if ctx.server is not None:
        reset = reset_peak(ctx.server)
        row["rss_before_mib"] = rss_mib(ctx.server)
        row["own_rss_before_mib"] = own_rss_mib(ctx.server)
        prober_headers = {"Authorization": f"Bearer {KEY}"} if attack.config == "keys" else {}
        started = time.perf_counter()
        with Prober(ctx.server.url, prober_headers) as prober:
            outcome = attack.run(ctx)
        row["seconds"] = round(time.perf_counter() - started, 2)
        row["rss_after_mib"] = rss_mib(ctx.server)
        row["own_rss_after_mib"] = own_rss_mib(ctx.server)
        row["children_after"] = len(child_pids(ctx.server.process.pid))
        row["rss_peak_mib"] = peak_mib(ctx.server) if reset else None
        row["normal_ask_during"] = prober.summary()
        row["server_errors_logged"] = servers.log_errors(offset)
    else:
        started = time.perf_counter()
        outcome = attack.run(ctx)
        row["seconds"] = round(time.perf_counter() - started, 2)
    row["statuses"] = dict(outcome.statuses)
    row["details"] = outcome.details
    if attack.dirty:
        servers.stop()
    return row


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| attack | statuses | time s | server RSS MiB before → after (peak) | normal ask during: p50 / max s (n) "
             "| details |", "|---|---|---|---|---|---|"]
    for r in rows:
        statuses = ", ".join(f"{k}×{v}" if v > 1 else k for k, v in sorted(r.get("statuses", {}).items()))
        rss = "–"
        if r.get("rss_before_mib") is not None:
            rss = f"{r['rss_before_mib']:.0f} → {r['rss_after_mib'] or 0:.0f}"
            if r.get("rss_peak_mib"):
                rss += f" ({r['rss_peak_mib']:.0f})"
            if r.get("own_rss_after_mib") is not None and r.get("children_after"):
                rss += f"; server alone {r['own_rss_before_mib'] or 0:.0f} → {r['own_rss_after_mib']:.0f}"
        probe = r.get("normal_ask_during") or {}
        probe_text = (f"{probe['p50_s']} / {probe['max_s']} ({probe['n']})" if probe.get("n") else
                      "–" if not probe else "no answer")
        details = json.dumps(r.get("details", {}), ensure_ascii=False)
        if len(details) > 300:
            details = details[:297] + "..."
        lines.append(f"| {r['attack']} | {statuses} | {r.get('seconds', '–')} | {rss} | {probe_text} | "
                     f"{details.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced sizes (a few minutes; figures not comparable)")
    parser.add_argument("--only", nargs="+", choices=[a.name for a in ATTACKS], help="run only these attacks")
    parser.add_argument("--index", type=Path, default=WORK / "index", help="full-corpus index (built if missing)")
    parser.add_argument("--out", type=Path, help="result file (default benchmarks/results/hostile[-quick].json)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    sizes = QUICK if args.quick else Sizes()
    WORK.mkdir(parents=True, exist_ok=True)
    log.info("index %s: building or checking", args.index)
    ensure_index(args.index)
    chosen = [a for a in ATTACKS if not args.only or a.name in args.only]
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    with h.ClaimingLLM() as llm:
        servers = Servers(args.index, llm)
        ctx = Context(sizes, None, servers, llm, args.index)
        try:
            for attack in chosen:
                log.info("attack %s: %s", attack.name, attack.what)
                try:
                    row = run_attack(attack, ctx)
                except Exception as exc:  # one broken attack must not lose the others' figures
                    log.exception("attack %s failed", attack.name)
                    servers.stop()
                    row = {"attack": attack.name, "what": attack.what, "failed": f"{type(exc).__name__}: {exc}"}
                log.info("attack %s: %s", attack.name, json.dumps({k: v for k, v in row.items() if k != "what"},
                                                                  ensure_ascii=False)[:600])
                rows.append(row)
        finally:
            servers.stop()
    settings = Settings.from_env()
    result = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "quick": args.quick,
              "command": "python -m benchmarks.hostile" + (" --quick" if args.quick else ""),
              "machine": machine(), "embedding": embedding_variant(settings), "sizes": sizes.__dict__,
              "seconds": round(time.perf_counter() - started, 1), "attacks": rows}
    out = args.out or RESULTS_DIR / ("hostile-quick.json" if args.quick else "hostile.json")
    if args.only and out.exists():  # a partial run updates its rows of an earlier full result
        earlier = json.loads(out.read_text(encoding="utf-8"))
        if earlier.get("quick") == args.quick:
            mine = {r["attack"] for r in rows}
            merged = [r for r in earlier.get("attacks", []) if r["attack"] not in mine] + rows
            order = {a.name: i for i, a in enumerate(ATTACKS)}
            result["attacks"] = sorted(merged, key=lambda r: order.get(r["attack"], 99))
            result["rerun"] = sorted(mine)  # date, seconds and machine above are this partial run's
            result["earlier_run"] = {k: earlier.get(k) for k in ("date", "seconds", "machine")}
    write_json(out, result)
    sys.stdout.write(markdown(result["attacks"]))
    log.info("wrote %s in %.0f s", out, result["seconds"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
