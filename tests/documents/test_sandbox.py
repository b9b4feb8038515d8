"""The parsing sandbox: real child processes, real limits, real hostile files (small versions).

What is asserted is structure, not speed: the child that hit a limit is gone and replaced, the parent's memory did
not grow, every outcome is a DocumentError naming the file.
"""
from __future__ import annotations

import functools
import os
import signal
import threading
import time

import psutil
import pytest

from documents.errors import (DocumentTooLarge, NotText, ParseCrashed, ParseMemoryExceeded, ParserBusy,
                              ParseTimeout)
from documents.sandbox import InProcessParser, ParseLimits, ParseSandbox
from tests.documents.hostile_files import docx_bomb, many_page_pdf, random_gbk_pairs
from tests.qa_service.intake_testlib import two_page_pdf

SLOW_PDF_PAGES = 1_990  # under the page cap; 2-10 s to parse here, depending on load


@functools.lru_cache(maxsize=1)
def slow_pdf() -> bytes:
    return many_page_pdf(SLOW_PDF_PAGES)


@pytest.fixture()
def sandbox():
    boxes: list[ParseSandbox] = []

    def make(**limits) -> ParseSandbox:
        box = ParseSandbox(ParseLimits(**limits))
        boxes.append(box)
        return box

    yield make
    for box in boxes:
        box.close()


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _wait_for_busy_child(box: ParseSandbox) -> int:
    for _ in range(600):
        if box._busy:
            return next(iter(box._busy)).pid
        time.sleep(0.05)
    raise AssertionError("no child became busy")


def test_the_sandbox_gives_the_document_the_loaders_give(sandbox):
    box = sandbox()
    raw = two_page_pdf()
    assert box.parse("报告.pdf", raw) == InProcessParser().parse("报告.pdf", raw)
    assert box.stats.started == 1 and len(box.children) == 1 and box.children[0] != os.getpid()
    text = "关于加快建设科技强国的通知。".encode("gb18030") * 30
    assert box.parse("通知.txt", text) == InProcessParser().parse("通知.txt", text)
    assert box.stats.started == 1  # the warm child served both


def test_loader_refusals_come_back_as_their_own_class(sandbox):
    box = sandbox()
    with pytest.raises(DocumentTooLarge) as info:
        box.parse("炸弹.docx", docx_bomb(30 << 20))
    assert info.value.limit == "docx_xml_tags" and "炸弹.docx" in str(info.value)
    with pytest.raises(NotText, match="乱码.txt"):
        box.parse("乱码.txt", random_gbk_pairs(50_000))
    assert box.stats.started == 1  # refusals are answers: the child stays


def test_a_file_over_the_memory_limit_costs_the_parent_nothing(sandbox):
    box = sandbox(memory_mb=400)
    box.parse("热身.txt", "正文内容。".encode())
    parent = psutil.Process()
    before = parent.memory_info().rss
    first = box.children[0]
    heavy = docx_bomb(3_800_000 * 6)  # under the tag cap: lxml needs ~700 MB for it
    with pytest.raises(ParseMemoryExceeded, match="热.docx.*400 MB"):
        box.parse("热.docx", heavy)
    assert box.stats.memory == 1 and not _alive(first)
    assert parent.memory_info().rss - before < 64 << 20
    assert box.parse("之后.txt", "之后的正文内容。".encode()).text.startswith("之后")  # a fresh child


def test_a_slow_file_is_killed_at_the_wall_clock_limit(sandbox):
    box = sandbox(timeout_seconds=1.0)
    box.parse("热身.txt", "正文内容。".encode())
    first = box.children[0]
    with pytest.raises(ParseTimeout, match="慢.pdf.*1 s"):
        box.parse("慢.pdf", slow_pdf())
    assert box.stats.killed == 1 and not _alive(first)
    assert box.parse("之后.txt", "之后的正文内容。".encode()).name == "之后.txt"


@pytest.mark.parametrize("sig, error", [(signal.SIGSEGV, ParseCrashed), (signal.SIGKILL, ParseMemoryExceeded)])
def test_a_child_that_dies_is_that_files_refusal(sandbox, sig, error):
    """A crash of a C library (SIGSEGV), or the kernel's OOM killer (a SIGKILL the sandbox did not send)."""
    box = sandbox(workers=1)
    outcome: list[BaseException] = []

    def parse() -> None:
        try:
            box.parse("将死.pdf", slow_pdf())
        except BaseException as exc:  # noqa: BLE001 (the test inspects it)
            outcome.append(exc)

    thread = threading.Thread(target=parse)
    thread.start()
    pid = _wait_for_busy_child(box)
    time.sleep(0.3)
    os.kill(pid, sig)
    thread.join(timeout=60)
    assert len(outcome) == 1 and isinstance(outcome[0], error) and "将死.pdf" in str(outcome[0])
    assert box.parse("之后.txt", "之后的正文内容。".encode()).name == "之后.txt"


def test_a_file_waits_at_most_wait_seconds_for_a_free_child(sandbox):
    box = sandbox(workers=1, wait_seconds=0.5)
    box.parse("热身.txt", "正文内容。".encode())
    outcome: list[BaseException] = []

    def parse_slowly() -> None:
        try:
            box.parse("慢.pdf", slow_pdf())
        except BaseException as exc:  # noqa: BLE001 (closing the sandbox below ends it)
            outcome.append(exc)

    slow = threading.Thread(target=parse_slowly)
    slow.start()
    _wait_for_busy_child(box)
    with pytest.raises(ParserBusy, match="排队.txt"):
        box.parse("排队.txt", "正文内容。".encode())
    box.close()  # the busy child is stopped: the slow file is refused, not waited for
    slow.join(timeout=60)
    assert len(outcome) == 1 and isinstance(outcome[0], ParserBusy) and "慢.pdf" in str(outcome[0])


def test_concurrent_files_share_at_most_workers_children(sandbox):
    box = sandbox(workers=2)
    results: list[str] = []

    def parse(i: int) -> None:
        results.append(box.parse(f"并发{i}.txt", f"第{i}份文件的正文：推进科技成果转化。".encode()).name)

    threads = [threading.Thread(target=parse, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(results) == sorted(f"并发{i}.txt" for i in range(6))
    assert box.stats.started <= 2 and len(box.children) <= 2


def test_a_file_right_after_the_warm_up_takes_its_child_instead_of_starting_another(sandbox):
    box = sandbox(workers=2)
    box.warm()  # as a server's warm-up: one child starts in the background
    assert box.parse("首个上传.txt", "正文内容。".encode()).name == "首个上传.txt"
    for _ in range(200):  # until no child is being started for the pool, so a second one would be counted
        if getattr(box, "_warming", 1) == 0:
            break
        time.sleep(0.05)
    assert box.stats.started == 1 and len(box.children) == 1


def test_close_stops_every_child(sandbox):
    box = sandbox()
    box.parse("热身.txt", "正文内容。".encode())
    pids = box.children
    box.close()
    assert pids and not any(_alive(pid) for pid in pids)
    with pytest.raises(ParserBusy):
        box.parse("关闭后.txt", "正文内容。".encode())


def test_a_child_gets_no_secrets_from_the_environment(sandbox, monkeypatch):
    monkeypatch.setenv("QA_API_KEYS", "secret-key")
    monkeypatch.setenv("QA_LLM_API_KEY", "llm-secret")
    box = sandbox()
    box.parse("热身.txt", "正文内容。".encode())
    environ = psutil.Process(box.children[0]).environ()
    assert not any(key.startswith("QA_") for key in environ) and "secret-key" not in str(environ)
    assert psutil.Process(box.children[0]).cwd() == "/"
