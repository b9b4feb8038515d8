"""Fixtures for the eval tests; the fake service itself lives in eval_fakes.py."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

sys.path.insert(0, str(Path(__file__).resolve().parent))  # works under any pytest import mode

from eval_fakes import QUESTIONS, LiveServer, make_app, write_jsonl  # noqa: E402


@pytest.fixture
def questions_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "questions.jsonl", QUESTIONS)


@pytest.fixture
def fake_app() -> Flask:
    return make_app()


@pytest.fixture
def live_server(fake_app: Flask) -> Iterator[LiveServer]:
    with LiveServer(fake_app) as server:
        yield server
