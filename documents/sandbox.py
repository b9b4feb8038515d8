"""Parse untrusted files in child processes with a memory and a wall-clock limit.

Why: a small file can cost a parser gigabytes or minutes (a 147 KB .docx expanding to 100 MB of empty paragraphs
peaked at 3.1 GB and left the server at 3.0 GB RSS). The loaders' caps (loaders/limits.py) refuse known shapes
fast; this is the backstop for the rest. The parent only ever holds the file's bytes and the finished document,
so its memory stays flat whatever the child does, and a child that hits a limit is killed and replaced.

How: `ParseSandbox.parse(name, raw)` hands the bytes to an idle child (documents/sandbox_worker.py) and waits at
most `timeout_seconds` for its JSON answer. Children are started with `subprocess` (fork+exec of a fresh
interpreter: the serving process, with its OpenVINO/torch threads, is never forked as it is) with the loaders
already imported, and are reused file after file: the per-file overhead is a pipe round trip, not an interpreter
start. Up to `workers` children per process parse at once; a caller waits at most `wait_seconds` for one
(`ParserBusy`). A child that timed out, ran out of memory or crashed is discarded and a fresh one started in the
background; a healthy one is retired after `max_parses` files or once its RSS has grown past half the limit
(fragmentation). Outcomes are the loaders' own `DocumentError`s, or `ParseTimeout` / `ParseMemoryExceeded` /
`ParseCrashed`, each naming the file. Knows nothing of HTTP or indexes.
"""
from __future__ import annotations

import atexit
import json
import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time
import weakref
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from documents import errors
from documents.errors import (CorruptDocument, DocumentError, DocumentTooLarge, ParseCrashed, ParseMemoryExceeded,
                              ParserBusy, ParseTimeout)
from documents.models import HeadingLine, SourceDocument
from documents.ocr.options import OcrOptions  # not documents.ocr: Pillow is the parsing child's
from documents.sandbox_worker import EXIT_MEMORY, HEADER

log = logging.getLogger(__name__)

_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)
_BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); del sys.argv[1]; "
         "from documents.sandbox_worker import main; main()")
# What a parser needs of the environment; nothing else passes (API keys, LLM keys, index paths stay out of the child).
_ENV_KEEP = ("PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ")
# glibc gives each thread that allocates its own 64 MB malloc arena of address space; the OCR runtime's threads
# took the child's peak address space from 1.41 GB (one arena) to 1.73 GB for a 2,000-pixel page. Two suffice
# for a process that parses one file at a time.
_ENV_SET = {"MALLOC_ARENA_MAX": "2"}
START_TIMEOUT_SECONDS = 120.0  # importing the loaders takes 2-3 s here, far longer on a saturated machine
MAX_REPLY_BYTES = 512 << 20  # a reply larger than any document under the caps means a broken child


class DocumentParser(Protocol):
    """Anything that turns a file's name and bytes into a `SourceDocument` or raises a `DocumentError`."""

    def parse(self, name: str, raw: bytes) -> SourceDocument: ...


class InProcessParser:
    """The loaders in this process: for trusted files and tests of the loaders themselves."""

    def __init__(self, ocr: OcrOptions | None = None) -> None:
        self.ocr = ocr

    def parse(self, name: str, raw: bytes) -> SourceDocument:
        from documents.loaders.files import REGISTRY
        from documents.loaders.registry import default_registry

        registry = REGISTRY if self.ocr is None or self.ocr == OcrOptions() else default_registry(self.ocr)
        return registry.load_bytes(name, raw)


@dataclass(frozen=True)
class ParseLimits:
    # Address space of a child (RLIMIT_AS), its interpreter and loaders (~130 MB) included. OCR needs the most: the
    # recogniser's imports reserve ~590 MB and a page peaked at 1.33 GB (A4 scanned at 150 dpi) to 1.75 GB (text
    # pages at 2,000 px, benchmarks/ocr_quality.py); 2560 leaves room for denser pages.
    memory_mb: int = 2560
    timeout_seconds: float = 120.0  # wall clock per file, from the request to the answer
    workers: int = 2  # children parsing at once in this process
    wait_seconds: float | None = None  # how long a file waits for a free child; None: timeout_seconds
    max_parses: int = 200  # files a child parses before it is replaced
    ocr: OcrOptions = field(default_factory=OcrOptions)  # what the loaders may recognise, and within which limits
    # Wall clock (and CPU) added to a file's limit for each page the child announces it will read by OCR: a page
    # takes 6-11 s of CPU here, the slowest 67 s of wall time on a loaded machine (docs/evaluation.md, "OCR").
    ocr_page_seconds: float = 90.0
    @property
    def wait(self) -> float:
        return self.timeout_seconds if self.wait_seconds is None else self.wait_seconds


@dataclass
class SandboxStats:
    """Counts for logs, benchmarks and tests."""

    started: int = 0  # children started
    parsed: int = 0  # answers received (documents and refusals)
    killed: int = 0  # children killed at the wall-clock limit
    memory: int = 0  # children that ran out of memory
    crashed: int = 0  # children that died otherwise
    retired: int = 0  # healthy children replaced (max_parses, grown RSS)
    last_vm_peak_kb: int = 0  # VmPeak of the child that answered last


class _ChildGone(Exception):
    def __init__(self, returncode: int | None) -> None:
        super().__init__(f"child exited with {returncode}")
        self.returncode = returncode


class _Child:
    """One parsing process and its two pipes."""

    def __init__(self, memory_mb: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-c", _BOOT, _PACKAGE_ROOT, str(memory_mb)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None, close_fds=True, start_new_session=True,
            cwd="/", env={**{key: os.environ[key] for key in _ENV_KEEP if key in os.environ}, **_ENV_SET})
        self.parses = 0
        self.rss_kb = 0
        self.vm_kb = 0
        self.retiring = False  # it said it exits after this answer
        self.stopping = False  # the sandbox is closing and killed it

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, timeout: float) -> None:
        header, _ = self.read(time.monotonic() + timeout)
        if header.get("status") != "ready":
            raise _ChildGone(self.proc.poll())
        self.vm_kb = int(header.get("vm_kb", 0))

    def send(self, header: dict[str, Any], payload: bytes, deadline: float) -> None:
        body = json.dumps({**header, "size": len(payload)}).encode("utf-8")
        data = memoryview(HEADER.pack(len(body)) + body + payload)
        fd = self.proc.stdin.fileno()  # type: ignore[union-attr]
        while data:
            if not select.select([], [fd], [], max(deadline - time.monotonic(), 0))[1]:
                raise TimeoutError
            try:
                written = os.write(fd, data[:1 << 20])
            except (BrokenPipeError, ConnectionResetError):
                raise _ChildGone(self.proc.wait()) from None
            data = data[written:]

    def _read_exact(self, size: int, deadline: float) -> bytes:
        fd = self.proc.stdout.fileno()  # type: ignore[union-attr]
        chunks: list[bytes] = []
        left = size
        while left:
            if not select.select([fd], [], [], max(deadline - time.monotonic(), 0))[0]:
                raise TimeoutError
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                raise _ChildGone(self.proc.wait())
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def read(self, deadline: float) -> tuple[dict[str, Any], bytes]:
        (length,) = HEADER.unpack(self._read_exact(HEADER.size, deadline))
        if length > 1 << 20:
            raise _ChildGone(None)
        header = json.loads(self._read_exact(length, deadline))
        size = int(header.get("size", 0))
        if not 0 <= size <= MAX_REPLY_BYTES:
            raise _ChildGone(None)
        return header, self._read_exact(size, deadline) if size else b""

    def signal_group(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: anything it started goes too
        except (ProcessLookupError, PermissionError):
            pass

    def kill(self) -> int | None:
        self.signal_group()
        return self.reap()

    def reap(self) -> int | None:
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()  # type: ignore[union-attr]
            except OSError:
                pass
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def stop(self) -> None:
        """Close its input (it exits at once when idle), then make sure."""
        try:
            self.proc.stdin.close()  # type: ignore[union-attr]
            self.proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()


_ERROR_KINDS: dict[str, type[DocumentError]] = {
    name: kind for name, kind in vars(errors).items() if isinstance(kind, type) and issubclass(kind, DocumentError)}


def _rebuild_error(header: dict[str, Any]) -> DocumentError:
    """The loader's refusal, as the class it raised (only documents.errors classes are rebuilt)."""
    kind = _ERROR_KINDS.get(str(header.get("kind")), CorruptDocument)
    message = str(header.get("message", "cannot be read"))
    if issubclass(kind, DocumentTooLarge):
        return kind(message, str(header.get("limit", "")))
    return kind(message)


def _document(payload: bytes) -> SourceDocument:
    data = json.loads(payload)
    return SourceDocument(
        path=data["path"], name=data["name"], text=data["text"], encoding=data["encoding"], sha256=data["sha256"],
        format=data["format"], page_starts=tuple(data["page_starts"]),
        heading_lines=tuple(HeadingLine(int(line), int(level), str(text))
                            for line, level, text in data["heading_lines"]),
        ocr_pages=tuple(int(page) for page in data.get("ocr_pages", ())))


class ParseSandbox:
    """A small pool of parsing children; see the module docstring."""

    def __init__(self, limits: ParseLimits | None = None) -> None:
        self.limits = limits or ParseLimits()
        if self.limits.workers < 1:
            raise ValueError("a sandbox needs at least one worker")
        self.stats = SandboxStats()
        self._idle: list[_Child] = []
        self._live = 0  # children started or starting, idle or busy
        self._warming = 0  # children being started for the pool (warm-up, replacements)
        self._awaiting_warm = 0  # callers waiting for one of them instead of starting their own
        self._busy: set[_Child] = set()
        self._cond = threading.Condition()
        self._closed = False
        self._pid = os.getpid()
        _SANDBOXES.add(self)

    # -- the one entry point ---------------------------------------------------------------------------------

    def parse(self, name: str, raw: bytes) -> SourceDocument:
        """The document in `raw`, parsed in a child; a `DocumentError` subclass naming `name` otherwise."""
        child = self._acquire(name)
        healthy = False
        try:
            header, payload = self._exchange(child, name, raw)
            healthy = True
        finally:
            self._release(child, healthy)
        self.stats.parsed += 1
        self.stats.last_vm_peak_kb = int(header.get("vm_peak_kb", 0))
        if header.get("status") == "ok":
            return _document(payload)
        raise _rebuild_error(header)

    def _exchange(self, child: _Child, name: str, raw: bytes) -> tuple[dict[str, Any], bytes]:
        """Send one file and read the answer; turns every way of failing into this file's refusal.

        While the child reads scanned pages it reports its progress: the first report announces the pages to
        recognise, and the file's deadline grows by `ocr_page_seconds` for each (the child extends its CPU limit
        the same way); each page done is logged."""
        limit = self.limits.timeout_seconds
        deadline = time.monotonic() + limit
        try:
            child.send({"name": name, "cpu_seconds": limit + 5, "ocr": asdict(self.limits.ocr),
                        "ocr_page_seconds": self.limits.ocr_page_seconds}, raw, deadline)
            header, payload = child.read(deadline)
            announced = False
            while header.get("status") == "progress":
                done, total = int(header.get("done", 0)), int(header.get("total", 0))
                if not announced and 0 < total <= self.limits.ocr.max_pages:
                    announced = True
                    extra = total * self.limits.ocr_page_seconds
                    deadline += extra
                    limit += extra
                    log.info("%s: %d pages to read by OCR; time limit now %g s", name, total, limit)
                elif done:
                    log.info("%s: OCR page %d of %d done", name, done, total)
                header, payload = child.read(deadline)
        except TimeoutError:
            self.stats.killed += 1
            child.kill()
            log.warning("%s: parsing stopped at the %g s limit (child %d killed)", name, limit, child.pid)
            raise ParseTimeout(f"{name}: parsing took longer than {limit:g} s (QA_PARSE_TIMEOUT_SECONDS); "
                               "the file is refused") from None
        except _ChildGone as exc:
            if exc.returncode is None:  # it broke the protocol: whatever it is doing, it is not parsing
                child.kill()
            raise self._death(name, child, exc.returncode) from None
        except (ValueError, OSError):  # an unreadable answer
            child.kill()
            raise self._death(name, child, None) from None
        child.parses += 1
        child.rss_kb = int(header.get("rss_kb", 0))
        child.retiring = bool(header.get("retire"))
        if header.get("status") == "memory":
            self.stats.memory += 1
            child.reap()
            raise self._memory_error(name)
        return header, payload

    def _memory_error(self, name: str) -> ParseMemoryExceeded:
        log.warning("%s: parsing needed more than %d MB; child stopped", name, self.limits.memory_mb)
        return ParseMemoryExceeded(f"{name}: parsing needed more memory than the {self.limits.memory_mb} MB limit "
                                   "(QA_PARSE_MEMORY_MB); the file is refused")

    def _death(self, name: str, child: _Child, code: int | None) -> DocumentError:
        """Why a child died: out of memory (its own report, or a SIGKILL we did not send: the OOM killer), out of
        CPU time (SIGXCPU, the backstop of the wall clock), or a crash."""
        if child.stopping:
            return ParserBusy(f"{name}: the parser was shut down before it finished; try again")
        if code == EXIT_MEMORY or code == -signal.SIGKILL:
            self.stats.memory += 1
            return self._memory_error(name)
        if code == -signal.SIGXCPU:
            self.stats.killed += 1
            return ParseTimeout(f"{name}: parsing used more than {self.limits.timeout_seconds:g} s of CPU "
                                "(QA_PARSE_TIMEOUT_SECONDS); the file is refused")
        self.stats.crashed += 1
        how = f"signal {-code}" if code is not None and code < 0 else f"exit status {code}"
        log.error("%s: the parsing process %d died (%s)", name, child.pid, how)
        return ParseCrashed(f"{name}: the parser crashed on this file ({how}); the file is refused")

    # -- the pool ------------------------------------------------------------------------------------------------

    def _acquire(self, name: str) -> _Child:
        self._check_fork()
        deadline = time.monotonic() + self.limits.wait
        with self._cond:
            while True:
                if self._closed:
                    raise ParserBusy(f"{name}: the parser is shutting down")
                while self._idle:
                    child = self._idle.pop()
                    if child.proc.poll() is None:
                        self._busy.add(child)
                        return child
                    self._live -= 1
                remaining = deadline - time.monotonic()
                if self._warming > self._awaiting_warm and remaining > 0:
                    # A child started for the pool is further along than one started now (1-2 s of imports): the
                    # first upload after a start waits for the warm-up's child instead of starting a second.
                    self._awaiting_warm += 1
                    try:
                        self._cond.wait(remaining)
                    finally:
                        self._awaiting_warm -= 1
                    continue
                if self._live < self.limits.workers:
                    self._live += 1
                    break
                if remaining <= 0:
                    raise ParserBusy(f"{name}: all {self.limits.workers} parsers stayed busy for "
                                     f"{self.limits.wait:g} s; try again shortly")
                self._cond.wait(remaining)
        try:
            child = self._start()
        except BaseException:
            with self._cond:
                self._live -= 1
                self._cond.notify()
            raise
        with self._cond:
            self._busy.add(child)
        return child

    def _start(self) -> _Child:
        child = _Child(self.limits.memory_mb)
        try:
            child.wait_ready(START_TIMEOUT_SECONDS)
        except (TimeoutError, _ChildGone, ValueError, OSError) as exc:
            code = child.kill()
            raise ParseCrashed(f"the parsing process did not start ({type(exc).__name__}, exit {code}); "
                               f"is QA_PARSE_MEMORY_MB={self.limits.memory_mb} below its ~150 MB baseline?") from None
        self.stats.started += 1
        log.info("parsing process %d started (%d MB address space after imports)", child.pid, child.vm_kb // 1024)
        return child

    def _release(self, child: _Child, healthy: bool) -> None:
        keep = (healthy and not child.retiring and child.proc.poll() is None and child.parses < self.limits.max_parses
                and child.rss_kb * 1024 < (self.limits.memory_mb << 20) // 2)
        with self._cond:
            self._busy.discard(child)
            if keep and not self._closed:
                self._idle.append(child)
            else:
                self._live -= 1
            self._cond.notify()
        if not keep:
            if healthy:
                self.stats.retired += 1
            child.stop()
            self._replace()

    def _replace(self) -> None:
        """Keep one warm child: after a discard, start a replacement in the background if none is left."""
        with self._cond:
            if self._closed or self._live > 0:
                return
            self._live += 1
            self._warming += 1
        threading.Thread(target=self._warm_one, name="parse-sandbox-warm", daemon=True).start()

    def _warm_one(self) -> None:
        child: _Child | None = None
        try:
            child = self._start()
        except DocumentError as exc:
            log.warning("could not start a spare parsing process: %s", exc)
        finally:
            with self._cond:
                self._warming -= 1
                if child is None or self._closed:
                    self._live -= 1
                else:
                    self._idle.append(child)
                    child = None
                self._cond.notify_all()  # a caller waiting for this child, or for a free place to start one
        if child is not None:
            child.stop()

    def warm(self) -> None:
        """Start a first child in the background, so the first file does not wait for the imports."""
        self._check_fork()
        self._replace()

    def _check_fork(self) -> None:
        """Children belong to the process that started them; a forked copy (a gunicorn worker) starts its own."""
        if os.getpid() != self._pid:
            with self._cond:
                self._idle, self._busy, self._live, self._pid = [], set(), 0, os.getpid()
                self._warming = self._awaiting_warm = 0

    @property
    def children(self) -> list[int]:
        """Pids of the live children (idle and busy)."""
        with self._cond:
            return [c.pid for c in [*self._idle, *self._busy]]

    def close(self) -> None:
        with self._cond:
            self._closed = True
            idle, busy, self._idle = list(self._idle), list(self._busy), []
            self._cond.notify_all()
        if os.getpid() == self._pid:
            for child in idle:
                child.stop()
            for child in busy:  # the thread waiting on it sees it die, refuses its file and reaps it
                child.stopping = True
                child.signal_group()


_SANDBOXES: "weakref.WeakSet[ParseSandbox]" = weakref.WeakSet()
_SHARED: dict[ParseLimits, ParseSandbox] = {}
_SHARED_LOCK = threading.Lock()


def shared_sandbox(limits: ParseLimits) -> ParseSandbox:
    """One sandbox per process and limits, shared by every service object that parses (uploads, ingests)."""
    with _SHARED_LOCK:
        sandbox = _SHARED.get(limits)
        if sandbox is None or sandbox._closed:
            sandbox = _SHARED[limits] = ParseSandbox(limits)
        return sandbox


@atexit.register
def _close_all() -> None:
    for sandbox in list(_SANDBOXES):
        sandbox.close()
