"""Fixtures for the format loader tests: pipelines built once per session."""
from __future__ import annotations

import pytest

from documents import ChunkingConfig, DocumentPipeline


@pytest.fixture(scope="session")
def pipeline() -> DocumentPipeline:
    """The default pipeline (PDF cleaner, 320-token chunks)."""
    return DocumentPipeline(ChunkingConfig())


@pytest.fixture(scope="session")
def small_pipeline() -> DocumentPipeline:
    """Small chunks, so a two-page test document yields chunks on both pages."""
    return DocumentPipeline(ChunkingConfig(chunk_tokens=80, overlap_tokens=10))
