"""Builders of the hostile inputs of issue 16, parameterised by size, shared by the benchmark and the tests.

`benchmarks/hostile.py` sends the full-size versions to a `qa serve` over the bundled corpus and measures
what they cost; `tests/integration/test_hostile_battery.py` sends bounded versions and asserts outcomes.
Everything here is built from the standard library (zipfile, zlib, sockets, http.server) so what an
attack is stays visible in a few lines: a DOCX zip bomb, PDFs whose cost hides in stream size or page
count, deeply nested HTML, random GBK byte pairs, a slowloris client, a raw oversized POST, and a small
OpenAI-compatible chat endpoint that answers with a scripted claim and records what it was sent.
"""
from __future__ import annotations

import functools
import io
import json
import random
import select
import socket
import threading
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# --- questions ------------------------------------------------------------------------------------------

NORMAL_QUESTION = "海淀区有多少所高等院校？"
FAKE_CLAIM = "每位市民每月可领取一万元人工智能补贴[1]"
FAKE_CLAIM_MARK = "一万元"
# Attack traffic comes from a second loopback address, so per-client bounds (connections, concurrent requests,
# rates) apply to the attacker and not to the ordinary user it is measured against (127.0.0.1). Uploads are
# sent from 127.0.0.1 all the same: before issue 16 only that address (and ::1) counted as loopback for writes.
ATTACKER = "127.0.0.2"
# What the question page sends with a write, and a script may: browsers send it cross-site only after a CORS
# preflight, so a server can take it as a sign the request is not a cross-site form post.
PAGE_WRITE_HEADERS = {"X-Requested-With": "XMLHttpRequest"}
QUESTION_PREFIX = "海淀区"  # a real term, so the answerer gets as far as entity grounding


@functools.lru_cache(maxsize=1)
def _rare_han() -> tuple[str, ...]:
    """CJK unified ideographs jieba treats as Han (U+4E00-U+9FD5) that are not words of its dictionary:
    each one goes through the part-of-speech HMM as an unknown character (about 15 ms each, issue 16)."""
    import jieba

    jieba.initialize()
    freq = jieba.dt.FREQ
    return tuple(chr(c) for c in range(0x4E00, 0x9FD6) if not freq.get(chr(c)))


def rare_han_question(chars: int, seed: int = 16) -> str:
    rng = random.Random(seed)
    pool = _rare_han()
    return "".join(rng.choice(pool) for _ in range(chars))


def distinct_char_questions(count: int, chars: int = 2000, start: int = 0x40000) -> list[str]:
    """`count` questions of at most `chars` characters whose quoted titles (《…》, 78 characters each) hold code
    points never repeated across questions: unassigned ones of planes 4-13 (NFKC keeps them, jieba skips them
    at once). Entity grounding checks every quoted title against the passages, so a per-character memo there
    grows by about `chars` entries per question while each question costs little else."""
    per_title = 78
    titles = max(1, (chars - len(QUESTION_PREFIX)) // (per_title + 2))
    out = []
    code = start
    for _ in range(count):
        parts = []
        for _ in range(titles):
            parts.append("《" + "".join(chr(code + i) for i in range(per_title)) + "》")
            code += per_title
        out.append(QUESTION_PREFIX + "".join(parts))
    if code > 0xDFFFF:
        raise ValueError("not that many unassigned code points in planes 4-13")
    return out


def long_history(turns: int, chars: int, question: str = "那科研院所呢？") -> list[dict[str, str]]:
    """Chat messages: `turns` earlier turns of `chars` ordinary Chinese characters each, then the follow-up."""
    base = ("海淀区作为全国第一个高新技术产业开发试验区，拥有北大、清华等高等院校和以中科院为代表的科研院所，"
            "教育、科技智力资源比较富集，创新创业氛围浓厚。")
    text = (base * (chars // len(base) + 1))[:chars]
    messages = [{"role": "user" if i % 2 == 0 else "assistant", "content": text} for i in range(turns)]
    return messages + [{"role": "user", "content": question}]


def deep_json(depth: int) -> bytes:
    """A JSON body nested `depth` levels deep (arrays inside the query object)."""
    return b'{"query": ' + b"[" * depth + b"]" * depth + b"}"


LONE_SURROGATE_BODY = b'{"query": "\\ud800 \xe6\xb5\xb7\xe6\xb7\x80"}'  # "\ud800 海淀": valid JSON, not valid Unicode
ZERO_WIDTH_NAME = "e\u200b\u0301.txt"


# --- documents ------------------------------------------------------------------------------------------

_CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                  b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                  b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                  b'<Default Extension="xml" ContentType="application/xml"/>'
                  b'<Override PartName="/word/document.xml" '
                  b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
                  b'<Override PartName="/word/styles.xml" '
                  b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>'
                  b'</Types>')
_RELS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
         b'officeDocument" Target="word/document.xml"/></Relationships>')
_DOC_RELS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
             b'styles" Target="styles.xml"/></Relationships>')
_STYLES = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           b'<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
           b'<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>'
           b'</w:styles>')
_DOC_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
_DOC_TAIL = b"</w:body></w:document>"


def docx_bomb(expanded_bytes: int, wrapped: bool = True) -> bytes:
    """A valid .docx whose document.xml is `expanded_bytes` of empty paragraphs (<w:p/>): deflate squeezes it
    about 1000:1, so 100 MB expanded is a ~147 KB upload, well under every size limit. `wrapped` puts them in
    a content control (<w:sdt>, as Word does for forms): the XML parse builds every element (about 30 bytes
    of memory per byte expanded) but the loader's walk of the body sees none of them, so the cost is memory.
    Unwrapped, each paragraph is also looked at by the loader (about 1 ms each here): the cost is CPU."""
    paragraph = b"<w:p/>"
    block = paragraph * (1 << 16)
    head = _DOC_HEAD + (b"<w:sdt><w:sdtContent>" if wrapped else b"")
    tail = (b"</w:sdtContent></w:sdt>" if wrapped else b"") + _DOC_TAIL
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/_rels/document.xml.rels", _DOC_RELS)
        archive.writestr("word/styles.xml", _STYLES)
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(head)
            written = len(head) + len(tail)
            while written + len(block) <= expanded_bytes:
                member.write(block)
                written += len(block)
            member.write(paragraph * max(0, (expanded_bytes - written) // len(paragraph)))
            member.write(tail)
    return buf.getvalue()


def docx_with_text(paragraphs: list[str]) -> bytes:
    """A small, ordinary .docx (for checks that a good file still goes in)."""
    body = b"".join(b"<w:p><w:r><w:t>" + p.encode() + b"</w:t></w:r></w:p>" for p in paragraphs)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/_rels/document.xml.rels", _DOC_RELS)
        archive.writestr("word/styles.xml", _STYLES)
        archive.writestr("word/document.xml", _DOC_HEAD + body + _DOC_TAIL)
    return buf.getvalue()


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF from numbered objects (object i+1 = objects[i]; 1 is the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


_FONT = b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"


def _deflated_stream(size: int, unit: bytes = b" ") -> bytes:
    """`size` bytes of `unit` (spaces: nothing to draw, nothing counted against pypdf's budget of 2 million
    tokens per stream, but read byte by byte), then one text operator showing an empty string (a stream
    without any text operator is skipped unread by pypdf's text extraction), deflated."""
    compressor = zlib.compressobj(9)
    block = unit * ((1 << 20) // len(unit))
    parts = [compressor.compress(block) for _ in range(size // len(block))]
    parts.append(compressor.compress(unit * ((size % len(block)) // len(unit))))
    parts.append(compressor.compress(b"BT /F1 12 Tf () Tj ET\n"))
    parts.append(compressor.flush())
    return b"".join(parts)


def pdf_with_big_streams(pages: int, stream_bytes: int) -> bytes:
    """`pages` pages, each drawing a FlateDecode content stream that inflates to `stream_bytes` of spaces
    (about 1000:1: 10 pages x 70 MB is a ~684 KB file). No text: a reader that finishes refuses it."""
    stream = _deflated_stream(stream_bytes)
    first_page = 3
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
                   b" ".join(b"%d 0 R" % (first_page + 2 * i) for i in range(pages)), pages)]
    for i in range(pages):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources " + _FONT
                       + b" /Contents %d 0 R >>" % (first_page + 2 * i + 1))
        objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream")
    return _pdf(objects)


def pdf_with_many_pages(pages: int) -> bytes:
    """`pages` blank pages sharing one empty content stream (a 10,000-page file is about 1 MB)."""
    contents = 3 + pages
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % (3 + i) for i in range(pages)),
                                                             pages)]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> /Contents %d 0 R >>"
                % contents] * pages
    objects.append(b"<< /Length 0 >>\nstream\n\nendstream")
    return _pdf(objects)


def nested_divs(depth: int, text: str = "海淀区有高等院校三十三所。") -> bytes:
    """`depth` nested <div>s around one sentence (1,200 made the HTML walk raise RecursionError)."""
    return ("<html><head><meta charset='utf-8'></head><body>" + "<div>" * depth + text + "</div>" * depth
            + "</body></html>").encode("utf-8")


def nested_tables(depth: int, copies: int, text: str = "海淀区双创示范基地建设情况说明", cell_text: str | None = None) -> bytes:
    """`copies` side-by-side nests of `depth` two-column tables, each level holding a short cell (`cell_text`,
    by default `text`) and the next table in its second cell, `text` at the bottom: every level makes the HTML
    loader walk everything beneath it again. With empty cells the cost stays and the text is a few words."""
    cell = text if cell_text is None else cell_text
    level_open = f"<table><tr><td>{cell}</td><td>"
    nest = level_open * depth + text + "</td></tr></table>" * depth
    return ("<html><head><meta charset='utf-8'></head><body>" + nest * copies + "</body></html>").encode("utf-8")


def gbk_noise(size: int, seed: int = 16) -> bytes:
    """`size` bytes of random GB2312 Han code pairs (lead 0xB0-0xF7, trail 0xA1-0xFE): valid GBK that
    decodes to Han characters in no language, with a line break about every 80 characters."""
    rng = random.Random(seed)
    out = bytearray()
    while len(out) < size:
        for _ in range(80):
            out += bytes((rng.randint(0xB0, 0xF7), rng.randint(0xA1, 0xFE)))
        out += b"\r\n"
    return bytes(out[:size - size % 2])


# --- connections -------------------------------------------------------------------------------------------

class Slowloris:
    """`connections` sockets that each send a partial request head and then one header byte every
    `interval` seconds, never finishing it: each holds a server connection (and with waitress, a slot
    of its connection limit) for as long as the attacker likes."""

    def __init__(self, host: str, port: int, connections: int, interval: float = 10.0,
                 source: str | None = ATTACKER) -> None:
        self.host, self.port, self.connections, self.interval = host, port, connections, interval
        self.source = (source, 0) if source else None
        self.sockets: list[socket.socket] = []
        self.opened = 0
        self.dropped = 0  # connections the server closed while we held them
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "Slowloris":
        for _ in range(self.connections):
            try:
                s = socket.create_connection((self.host, self.port), timeout=5, source_address=self.source)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: %s\r\nX-Slow: " % self.host.encode())
            except OSError:
                continue
            self.sockets.append(s)
        self.opened = len(self.sockets)
        self._thread = threading.Thread(target=self._drip, daemon=True)
        self._thread.start()
        return self

    def _drip(self) -> None:
        while not self._stop.wait(self.interval):
            for s in list(self.sockets):
                try:
                    s.sendall(b"a")
                except OSError:
                    self.sockets.remove(s)
                    self.dropped += 1

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for s in self.sockets:
            try:
                s.close()
            except OSError:
                pass
        self.sockets.clear()


@dataclass
class OversizedPost:
    """What happened to a POST that announced `announced` bytes: how much the client could send before the
    server answered or closed, and what it answered."""

    announced: int
    sent: int = 0
    status: int | None = None
    closed_early: bool = False  # the server stopped reading (reset or answered) before the whole body
    seconds: float = 0.0
    response_head: str = ""


def oversized_post(host: str, port: int, path: str, announced: int, send_at_most: int,
                   chunk: int = 1 << 20, content_type: str = "application/json", wait: float = 10.0,
                   source: str | None = ATTACKER) -> OversizedPost:
    """Announce `announced` bytes and send up to `send_at_most` of them, 1 MiB at a time, watching for an
    early answer; then wait up to `wait` s for one. A server that bounds bodies answers (or closes) long
    before `announced` bytes arrive; one that spools them to disk first keeps reading."""
    result = OversizedPost(announced)
    started = time.perf_counter()
    s = socket.create_connection((host, port), timeout=wait, source_address=(source, 0) if source else None)
    head = b""
    try:
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {content_type}\r\n"
                  f"Content-Length: {announced}\r\n\r\n".encode())
        payload = b" " * chunk
        while result.sent < min(announced, send_at_most):
            readable, _, _ = select.select([s], [], [], 0)
            if readable:  # an answer (or a close) before the body is complete
                result.closed_early = True
                try:
                    head += s.recv(65536)
                except OSError:
                    pass
                break
            try:
                result.sent += s.send(payload[: min(chunk, announced - result.sent)])
            except socket.timeout:  # the server stopped reading without answering
                break
            except OSError:
                result.closed_early = True
                break
        try:
            while b"\r\n\r\n" not in head:
                part = s.recv(65536)
                if not part:
                    result.closed_early = result.closed_early or result.sent < announced
                    break
                head += part
        except OSError:
            pass
        if head.startswith(b"HTTP/"):
            result.response_head = head.split(b"\r\n\r\n", 1)[0].decode("latin-1")[:500]
            result.status = int(head.split(b" ", 2)[1])
            result.closed_early = result.closed_early or result.sent < announced
    finally:
        s.close()
        result.seconds = time.perf_counter() - started
    return result


# --- a scripted OpenAI-compatible LLM endpoint ----------------------------------------------------------------

REWRITE_MARK = "改写"  # the question rewriter's system prompt asks the model to 改写 the follow-up


@dataclass
class LLMRequest:
    kind: str  # "rewrite" or "answer"
    prompt_chars: int  # characters of all message contents together
    body: dict[str, Any] = field(repr=False, default_factory=dict)


class ClaimingLLM:
    """A real HTTP server speaking POST /v1/chat/completions (plain and "stream": true): a rewrite request
    (its system prompt asks to 改写 the question) gets `rewrite_to`, every other request gets `claim`.
    Each request is recorded with the size of its prompt. Use as a context manager."""

    def __init__(self, claim: str = FAKE_CLAIM, rewrite_to: str = NORMAL_QUESTION) -> None:
        self.claim = claim
        self.rewrite_to = rewrite_to
        self.requests: list[LLMRequest] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}/v1"

    def __enter__(self) -> "ClaimingLLM":
        llm = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                messages = body.get("messages") or []
                contents = [m.get("content") if isinstance(m.get("content"), str) else json.dumps(m.get("content"))
                            for m in messages]
                system = " ".join(c for m, c in zip(messages, contents) if m.get("role") == "system")
                kind = "rewrite" if REWRITE_MARK in system else "answer"
                llm.requests.append(LLMRequest(kind, sum(len(c or "") for c in contents), body))
                text = llm.rewrite_to if kind == "rewrite" else llm.claim
                if body.get("stream"):
                    self._stream(text)
                else:
                    self._reply(200, {"id": "chatcmpl-hostile", "object": "chat.completion",
                                      "created": int(time.time()), "model": body.get("model", "scripted"),
                                      "choices": [{"index": 0, "finish_reason": "stop",
                                                   "message": {"role": "assistant", "content": text}}],
                                      "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

            def _reply(self, status: int, data: dict[str, Any]) -> None:
                raw = json.dumps(data, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _stream(self, text: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()

                def event(delta: dict[str, Any], reason: str | None = None) -> bytes:
                    chunk = {"id": "chatcmpl-hostile", "object": "chat.completion.chunk", "created": int(time.time()),
                             "model": "scripted", "choices": [{"index": 0, "delta": delta, "finish_reason": reason}]}
                    return b"data: " + json.dumps(chunk, ensure_ascii=False).encode() + b"\n\n"

                self.wfile.write(event({"role": "assistant", "content": ""}))
                for start in range(0, len(text), 3):
                    self.wfile.write(event({"content": text[start:start + 3]}))
                self.wfile.write(event({}, "stop") + b"data: [DONE]\n\n")
                self.close_connection = True

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def env(self) -> dict[str, str]:
        """Settings that make `qa serve` use this endpoint (no retries: a failure shows at once)."""
        return {"QA_LLM_BASE_URL": self.base_url, "QA_LLM_MODEL": "scripted", "QA_LLM_API_KEY": "unused",
                "QA_LLM_MAX_RETRIES": "0", "QA_LLM_TIMEOUT": "30"}

    def largest_prompt(self, kind: str) -> int:
        return max((r.prompt_chars for r in self.requests if r.kind == kind), default=0)


# --- plain HTTP, with full control of the headers ------------------------------------------------------------

@dataclass
class Reply:
    status: int | None  # None: no answer (timeout or connection error, see `error`)
    body: bytes = b""
    seconds: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    error: str = ""

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def error_code(self) -> str | None:
        data = self.json()
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            return data["error"].get("code")
        return None


def request(base: str, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
            timeout: float = 60.0, source: str | None = None) -> Reply:
    """One request on a fresh connection, from the loopback address `source` if given; a `Host` in `headers`
    replaces the real one (DNS rebinding)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(base)
    started = time.perf_counter()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout,
                                            source_address=(source, 0) if source else None)
    try:
        headers = dict(headers or {})
        connection.putrequest(method, path, skip_host="Host" in headers, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        data = response.read()
        return Reply(response.status, data, time.perf_counter() - started,
                     {k.lower(): v for k, v in response.getheaders()})
    except (OSError, http.client.HTTPException) as exc:
        return Reply(None, b"", time.perf_counter() - started, error=f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()


def post_json(base: str, path: str, payload: Any, timeout: float = 60.0, headers: dict[str, str] | None = None,
              source: str | None = None) -> Reply:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    return request(base, "POST", path, raw, {"Content-Type": "application/json", **(headers or {})}, timeout, source)


def multipart(file_name: str, raw: bytes, field_name: str = "file") -> tuple[bytes, str]:
    """A multipart/form-data body holding one file, and its Content-Type (the name sent as UTF-8, as browsers do)."""
    boundary = "----hostile" + "".join(random.choice("0123456789abcdef") for _ in range(24))
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; filename="{file_name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode("utf-8")
    return head + raw + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def upload(base: str, file_name: str, raw: bytes, timeout: float = 600.0, headers: dict[str, str] | None = None,
           source: str | None = None) -> Reply:
    """POST one file as the question page does (multipart, with PAGE_WRITE_HEADERS unless `headers` replace
    them: pass {} to send none)."""
    body, content_type = multipart(file_name, raw)
    sent = PAGE_WRITE_HEADERS if headers is None else headers
    return request(base, "POST", "/v1/documents", body, {"Content-Type": content_type, **sent}, timeout, source)


def documents(base: str, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    reply = request(base, "GET", "/v1/documents", headers=headers, timeout=60)
    data = reply.json()
    return data.get("documents", []) if isinstance(data, dict) else []


def absolute_paths(data: Any) -> list[str]:
    """Strings in a JSON value that look like absolute server paths (/… with a second slash, or C:\\…)."""
    found: list[str] = []
    if isinstance(data, dict):
        for value in data.values():
            found += absolute_paths(value)
    elif isinstance(data, list):
        for value in data:
            found += absolute_paths(value)
    elif isinstance(data, str):
        if (data.startswith("/") and data.count("/") >= 2) or (len(data) > 2 and data[1:3] in (":\\", ":/")):
            found.append(data)
    return found
