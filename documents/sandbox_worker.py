"""The parsing child: a separate Python process that reads files for `documents.sandbox.ParseSandbox`.

Started with the loaders (and the language check's dictionary) imported, so each file costs only its parsing;
then it limits its own address space (RLIMIT_AS), forbids core dumps and file writes, and serves requests one at a
time until its input closes. Every answer is JSON: the parent never unpickles anything from a process that has
just parsed hostile bytes. A MemoryError is answered (when it still can be) and ends the process, since the state
of a library that ran out of memory half-way is not to be trusted with the next file.

Frames, both ways: 4-byte big-endian length, JSON header, then the header's "size" bytes of payload (a request's
file; a reply's document as JSON).
"""
from __future__ import annotations

import json
import os
import resource
import struct
import sys
from typing import Any, BinaryIO

HEADER = struct.Struct(">I")
EXIT_MEMORY = 3  # the process ran out of memory and could not say so


def read_exact(stream: BinaryIO, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def write_frame(stream: BinaryIO, header: dict[str, Any], payload: bytes = b"") -> None:
    body = json.dumps({**header, "size": len(payload)}).encode("utf-8")
    stream.write(HEADER.pack(len(body)) + body)
    stream.write(payload)
    stream.flush()


def document_json(doc: Any) -> bytes:
    return json.dumps({
        "path": doc.path, "name": doc.name, "text": doc.text, "encoding": doc.encoding, "sha256": doc.sha256,
        "format": doc.format, "page_starts": list(doc.page_starts),
        "heading_lines": [[h.line, h.level, h.text] for h in doc.heading_lines],
        "ocr_pages": list(doc.ocr_pages),
    }, ensure_ascii=False).encode("utf-8")


def _kilobytes(key: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1])
    return 0


def _limit_cpu(seconds: float) -> None:
    """SIGXCPU once this request has used `seconds` of CPU: a backstop to the parent's wall clock."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = int(used + seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


def _registry(options: dict[str, Any], registries: dict[Any, Any]) -> Any:
    """The loaders for the parent's OCR options (one registry per distinct options, in practice one)."""
    from documents.loaders.registry import default_registry
    from documents.ocr import OcrOptions

    ocr = OcrOptions(**options)
    if ocr not in registries:
        registries[ocr] = default_registry(ocr)
    return registries[ocr]


def _progress_to(replies: BinaryIO, page_seconds: float) -> Any:
    """A listener that sends OCR progress to the parent; the announcement of N pages extends the CPU limit too."""

    def listener(name: str, done: int, total: int) -> None:
        if done == 0 and total > 0:
            resource.setrlimit(resource.RLIMIT_CPU, _extended_cpu(total * page_seconds))
        write_frame(replies, {"status": "progress", "done": done, "total": total})

    return listener


def _extended_cpu(seconds: float) -> tuple[int, int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if soft == resource.RLIM_INFINITY:
        return soft, hard
    soft = int(soft + seconds)
    return (soft if hard == resource.RLIM_INFINITY else min(soft, hard)), hard


def serve(requests: BinaryIO, replies: BinaryIO, memory_mb: int) -> int:
    from documents.errors import DocumentError, DocumentTooLarge
    from documents.loaders.language import word_starts
    from documents.ocr import progress

    word_starts()  # the dictionary pairs, once, before the memory limit
    # The loaders' libraries (pypdf, python-docx, bs4, Pillow), imported now rather than by the first file: the package
    # exports them lazily, and the first upload after a start paid for the imports (0.6 s of a 1.14 s POST).
    from documents.loaders.registry import default_registry

    default_registry()
    registries: dict[Any, Any] = {}
    baseline_kb = _kilobytes("VmSize")
    if memory_mb > 0:
        limit = memory_mb << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # a parser never writes a file
    write_frame(replies, {"status": "ready", "pid": os.getpid(), "vm_kb": baseline_kb})
    while True:
        head = read_exact(requests, HEADER.size)
        if head is None:
            return 0
        header = json.loads(read_exact(requests, HEADER.unpack(head)[0]) or b"{}")
        raw = read_exact(requests, int(header["size"]))
        if raw is None:
            return 0
        _limit_cpu(float(header.get("cpu_seconds", 3600)))
        name = str(header["name"])
        try:
            registry = _registry(dict(header.get("ocr") or {}), registries)
            with progress.listening(_progress_to(replies, float(header.get("ocr_page_seconds", 90)))):
                doc = registry.load_bytes(name, raw)
            del raw
            payload = document_json(doc)
            del doc
            reply: dict[str, Any] = {"status": "ok"}
        except MemoryError:
            raw = doc = payload = None  # type: ignore[assignment]  (free what can be freed, to answer)
            write_frame(replies, {"status": "memory", "retire": True})
            return EXIT_MEMORY
        except DocumentError as exc:
            payload = b""
            reply = {"status": "error", "kind": type(exc).__name__, "message": str(exc),
                     "limit": exc.limit if isinstance(exc, DocumentTooLarge) else ""}
        # C libraries report a failed allocation their own way (libxml2: "XMLSyntaxError: unknown error"): a refusal
        # while the address space came within 10% of the limit is the memory limit's. Either way this process,
        # grown to its limit once, is replaced.
        near_limit = memory_mb > 0 and _kilobytes("VmPeak") >= memory_mb * 1024 * 0.9
        if near_limit and reply["status"] == "error":
            reply = {"status": "memory"}
        write_frame(replies, {**reply, "vm_peak_kb": _kilobytes("VmPeak"), "rss_kb": _kilobytes("VmRSS"),
                              "retire": near_limit}, payload)
        if near_limit:
            return EXIT_MEMORY


def main() -> None:
    import logging

    logging.basicConfig(level=logging.ERROR, format="parse-sandbox %(process)d %(name)s: %(message)s")
    memory_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints of a library go to stderr, never into the replies
    sys.stdout = sys.stderr
    requests = os.fdopen(0, "rb")
    try:
        code = serve(requests, replies, memory_mb)
    except MemoryError:
        code = EXIT_MEMORY
    except (BrokenPipeError, KeyboardInterrupt):
        code = 0
    os._exit(code)


if __name__ == "__main__":
    main()
