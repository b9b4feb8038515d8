"""What an index version is made of, as settings decide it: one specification, one comparison.

The writer records the specification in each version's manifest and carries chunks and vectors over only
from a version whose specification equals its own; the server refuses a version whose vectors or passages
are not what its settings ask for. Both ask `IndexSpec.differences`, so they can no longer disagree about
what a difference is; they differ only in what they do about one (`Difference.served`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from documents.models import Chunk
from embeddings.index_store import FORMAT_VERSION, IndexManifest
from embeddings.lexical.chinese_tokenizer import ChineseTokenizer

INDEXED_TEXT_REVISION = "-v1"  # bumped when indexable_text changes what a mode produces
CHUNK_SIZE_KEYS = ("chunk_tokens", "overlap_tokens")


def indexable_text(chunk: Chunk, mode: str = "title-section-text") -> str:
    """What is embedded and BM25-indexed: by default the passage with its document title and heading path.

    Dozens of sections share headings such as 一、核心思路; without the title a passage about
    清华大学 cannot be told from its siblings. The stored passage text itself stays unchanged.
    """
    if mode == "text":
        return chunk.text
    return f"{chunk.title}\n{chunk.section}\n{chunk.text}"


def lexical_fields(tokenizer: ChineseTokenizer) -> dict[str, Any]:
    """The lexical side of a version: BM25 with its tokenizer, and the term vectors (understanding/term_matching.py;
    versions written before them have none and are rebuilt by the next ingest)."""
    return {"kind": "bm25s", "tokenizer": tokenizer.to_dict(), "term_vectors": 1}


@dataclass(frozen=True)
class Difference:
    """One way a built version differs from the specification."""

    name: str  # format_version, model, embedding_variant, chunk_size, chunking or lexical
    built: Any
    expected: Any

    @property
    def served(self) -> bool:
        """Whether a server may still answer from the version as built. Vectors of another model or variant are not
        comparable with its query vectors, and passages cut at another size are not what its settings (and the
        evaluation's numbers) stand for: refused. Another indexed text, cleaning or BM25 tokenizer, or a version
        without term vectors, is served as built (BM25 queries use the tokenizer saved with the version); the next
        `qa ingest` rebuilds it."""
        return self.name in ("chunking", "lexical")


@dataclass(frozen=True)
class IndexSpec:
    """Model, encoder variant, chunking (with the indexed text mode and the cleaning) and the lexical side."""

    model: str
    embedding_variant: str
    chunking: Mapping[str, Any] = field(hash=False)
    lexical: Mapping[str, Any] = field(hash=False)
    format_version: int = FORMAT_VERSION

    @classmethod
    def build(cls, model: str, embedding_variant: str, chunking: Mapping[str, Any], indexed_text: str,
              cleaning: str, tokenizer: ChineseTokenizer) -> "IndexSpec":
        """`chunking`: the chunker's configuration (documents.ChunkingConfig.to_dict()). The cleaning is recorded
        only when it is not the default, so versions written before it was a setting still match."""
        return cls(model, embedding_variant,
                   {**chunking, "indexed_text": indexed_text + INDEXED_TEXT_REVISION,
                    **({"cleaning": "none"} if cleaning == "none" else {})},
                   lexical_fields(tokenizer))

    @property
    def indexed_text(self) -> str:
        return str(self.chunking["indexed_text"]).removesuffix(INDEXED_TEXT_REVISION)

    @property
    def tokenizer(self) -> ChineseTokenizer:
        return ChineseTokenizer.from_dict(self.lexical["tokenizer"])

    def text_of(self, chunk: Chunk) -> str:
        return indexable_text(chunk, self.indexed_text)

    def manifest_fields(self) -> dict[str, Any]:
        """The manifest fields this specification fills (and an external vector store records)."""
        return {"model": self.model, "embedding_variant": self.embedding_variant, "chunking": dict(self.chunking),
                "lexical": dict(self.lexical)}

    def differences(self, built: IndexManifest) -> list[Difference]:
        """How `built` differs from this specification, the most fundamental first; [] when it matches."""
        out: list[Difference] = []
        if built.format_version != self.format_version:
            out.append(Difference("format_version", built.format_version, self.format_version))
        if built.model != self.model:
            out.append(Difference("model", built.model, self.model))
        if built.embedding_variant != self.embedding_variant:
            out.append(Difference("embedding_variant", built.embedding_variant, self.embedding_variant))
        size = {k: built.chunking.get(k) for k in CHUNK_SIZE_KEYS}
        expected_size = {k: self.chunking.get(k) for k in CHUNK_SIZE_KEYS}
        if size != expected_size:
            out.append(Difference("chunk_size", size, expected_size))
        elif dict(built.chunking) != dict(self.chunking):
            out.append(Difference("chunking", dict(built.chunking), dict(self.chunking)))
        if dict(built.lexical) != dict(self.lexical):
            out.append(Difference("lexical", dict(built.lexical), dict(self.lexical)))
        return out

    def matches(self, built: IndexManifest) -> bool:
        """Whether chunks and vectors of `built` can be carried over into a version of this specification."""
        return not self.differences(built)
