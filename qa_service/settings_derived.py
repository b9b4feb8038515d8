"""What follows from the settings (the encoder and index specs, which channels are on, the body limit...), apart
from the fields themselves (settings.py), which are many; Settings inherits these."""
from __future__ import annotations

import ipaddress
import os
from dataclasses import fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embeddings.encoders.factory import EncoderSpec
from qa_service.settings_loading import CHANNEL_SECRETS, validate

if TYPE_CHECKING:
    from documents.ocr.options import OcrOptions
    from embeddings.index_spec import IndexSpec

MULTIPART_SLACK_BYTES = 64 * 1024  # part headers and boundaries around an uploaded file


class DerivedSettings:
    """Properties over the fields of Settings (a dataclass declared in settings.py)."""

    def with_overrides(self, **overrides: Any) -> Any:
        updated = replace(self, **{k: v for k, v in overrides.items() if v is not None})  # type: ignore[type-var]
        updated.validate()
        return updated

    def validate(self) -> None:
        validate(self)

    @classmethod
    def choices(cls, name: str) -> tuple[str, ...]:
        """The values a setting allows (for CLI choices and messages)."""
        return next(f.metadata["choices"] for f in fields(cls) if f.name == name)  # type: ignore[arg-type]

    @property
    def knowledge_base_root(self) -> Path:
        """Where the knowledge bases other than `default` live (QA_KB_ROOT, else `kbs` beside the index)."""
        value = self.kb_root.strip()  # type: ignore[attr-defined]
        return Path(os.path.expanduser(value)) if value else self.index_dir.parent / "kbs"  # type: ignore[attr-defined]

    @property
    def embedding_cache_file(self) -> Path | None:
        value = self.embedding_cache.strip()
        return None if value.lower() in {"", "off", "none", "0", "false"} else Path(os.path.expanduser(value))

    @property
    def feedback_file(self) -> Path | None:
        """QA_FEEDBACK_DB, or None when answers are not recorded (`off`)."""
        value = self.feedback_db.strip()
        return None if value.lower() in {"", "off", "none", "0", "false"} else Path(os.path.expanduser(value))

    @property
    def ocr_options(self) -> "OcrOptions":
        """What the loaders may read by OCR, and within which limits (documents/ocr/options.py)."""
        from documents.ocr.options import OcrOptions

        return OcrOptions(enabled=self.ocr, max_pages=self.ocr_max_pages, max_pixels=self.ocr_max_pixels,
                          threads=self.ocr_threads)

    @property
    def embedding_variant(self) -> str:
        """Backend and precision as one name ("torch-fp32"), recorded in index manifests."""
        return self.encoder_spec.variant

    @property
    def encoder_spec(self) -> EncoderSpec:
        """What embeddings.encoders.factory.build_encoder builds for these settings."""
        return EncoderSpec(self.embedding_model, self.model_cache_dir, self.embedding_backend,
                           self.embedding_precision, self.embedding_batch_size, self.torch_threads,
                           calibration_dir=self.corpus_dir,
                           model_wheel=Path(os.path.expanduser(self.model_wheel)) if self.model_wheel else None)

    @property
    def index_spec(self) -> "IndexSpec":
        """What an index version built with these settings is made of; the writer records it in the manifest and
        both the writer and the server compare versions with it (embeddings/index_spec.py)."""
        from documents.chunking.config import ChunkingConfig  # here: `qa --help` does not import the chunker
        from embeddings.index_spec import IndexSpec
        from embeddings.lexical.chinese_tokenizer import ChineseTokenizer

        return IndexSpec.build(self.embedding_model, self.embedding_variant,
                               ChunkingConfig(self.chunk_tokens, self.chunk_overlap_tokens).to_dict(),
                               self.indexed_text, self.cleaning,
                               ChineseTokenizer(mode=self.bm25_tokenizer, stop_words=self.bm25_stop_words))

    @property
    def channels_on(self) -> dict[str, bool]:
        """Which chat-tool channels are configured (validate() has refused half-configured ones)."""
        return {name: all(getattr(self, f) for f in required) for name, required in CHANNEL_SECRETS.items()}

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
