"""Fixtures for the documents/ tests: one full-corpus pipeline run shared by the session."""
from __future__ import annotations

import pytest
from documents_testlib import CORPUS

from documents import ChunkingConfig, DocumentBatch, DocumentPipeline


@pytest.fixture(scope="session")
def corpus_batch() -> DocumentBatch:
    """The whole bundled corpus through the default pipeline (a couple of seconds)."""
    return DocumentPipeline(ChunkingConfig()).run([CORPUS])
