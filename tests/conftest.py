"""Shared fixtures: the real model, and a real index built once from real corpus excerpts."""
from __future__ import annotations

import logging
import os
import signal
import socket
from pathlib import Path

import pytest

from qa_service.settings import PROJECT_ROOT, Settings

CORPUS = PROJECT_ROOT / "data" / "corpus"
SHARED_EVAL = PROJECT_ROOT.parent / "shared" / "eval" / "dev.jsonl"


def milvus_available() -> bool:
    try:
        import milvus_lite  # noqa: F401
        import pymilvus  # noqa: F401
    except ImportError:
        return False
    return True


needs_milvus = pytest.mark.skipif(not milvus_available(),
                                  reason="pymilvus / milvus-lite not installed: pip install '.[milvus]'")


def haidian_section() -> str:
    """The 北京市海淀区 section of the experience compilation, as it stands in the file."""
    text = (CORPUS / "首批双创示范基地经验总结汇编.txt").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    out = []
    for i, line in enumerate(lines):
        if i > 5 and "双创经验总结" in line:
            break
        out.append(line)
    return "".join(out)


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> Path:
    """Two real documents: the whole 中国电科 plan and the 海淀区 section of the compilation."""
    root = tmp_path_factory.mktemp("corpus")
    (root / "中国电科双创示范基地建设方案.txt").write_bytes((CORPUS / "中国电科双创示范基地建设方案.txt").read_bytes())
    (root / "北京市海淀区双创经验总结.txt").write_text(haidian_section(), encoding="utf-8")
    return root


@pytest.fixture(scope="session", autouse=True)
def _answers_recorded_outside_the_project(tmp_path_factory):
    """Servers the tests start read QA_FEEDBACK_DB from the environment: their answers go to a temporary file,
    not to the project's var/feedback.sqlite (a test run once left 8 MB there)."""
    before = os.environ.get("QA_FEEDBACK_DB")
    os.environ["QA_FEEDBACK_DB"] = str(tmp_path_factory.mktemp("served-feedback") / "feedback.sqlite")
    yield
    if before is None:
        os.environ.pop("QA_FEEDBACK_DB", None)
    else:
        os.environ["QA_FEEDBACK_DB"] = before


@pytest.fixture(scope="session")
def base_settings(tmp_path_factory) -> Settings:
    return Settings.from_env(index_dir=tmp_path_factory.mktemp("index") / "idx",
                             embedding_cache=str(tmp_path_factory.mktemp("cache") / "embeddings.sqlite"),
                             feedback_db=str(tmp_path_factory.mktemp("feedback") / "feedback.sqlite"))


@pytest.fixture(scope="session")
def encoder(base_settings):
    from embeddings.encoders.factory import build_encoder

    return build_encoder(base_settings.encoder_spec)


@pytest.fixture()
def shared_model(monkeypatch, encoder):
    """`qa` commands called in this process build their encoder through the composition root; here it hands out the
    session's model instead of loading one per command."""
    from qa_service import composition

    monkeypatch.setattr(composition, "build_encoder", lambda spec: encoder)


@pytest.fixture(scope="session")
def built_index(base_settings, encoder, small_corpus) -> Settings:
    from qa_service.ingestion import IngestionService

    logging.getLogger(__name__).info("building the test index")
    IngestionService(base_settings, encoder).run([small_corpus], show_progress=False)
    return base_settings


_session_ray: dict[str, object] = {}  # "starter": the encoder that started the session's local Ray, while it runs


@pytest.fixture(scope="session")
def local_ray(encoder):
    """One local Ray instance for the session's Ray tests (the Ray encoder's, the Ray ingest's), started the way
    the encoder starts one: each start and stop of a local Ray took 8-15 s of the suite. An encoder that finds
    Ray running joins it and leaves it running when closed. It stops after the last test that uses it (see
    pytest_runtest_teardown): its idle processes take about 5 % of a core, which the rest of the session,
    minutes on 2 cores, would otherwise pay."""
    pytest.importorskip("ray.data", reason="ray is not installed: pip install '.[distributed]'")
    from embeddings.encoders.ray_encoder import RayEncoder

    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("RAY_ADDRESS", raising=False)  # a local instance, whatever the environment says
        starter = RayEncoder(lambda: encoder, encoder)
        starter._ensure_ray()
    _session_ray["starter"] = starter
    yield
    _stop_session_ray()


def _stop_session_ray() -> None:
    starter = _session_ray.pop("starter", None)
    if starter is not None:
        starter.close()  # type: ignore[attr-defined]


def _interrupt_on_sigterm(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config):
    """A SIGTERM (a CI time limit, `kill`) becomes the KeyboardInterrupt pytest already unwinds from, so the
    finalizers of session fixtures run and stop the real `qa serve` processes they started; with the default
    handler pytest died at once and left those servers running."""
    signal.signal(signal.SIGTERM, _interrupt_on_sigterm)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Stops the session's local Ray once no test left to run uses it (a test that still asked for it later
    would find Ray stopped and its encoder would start one of its own)."""
    yield
    if "starter" not in _session_ray:
        return
    items = item.session.items
    if "last_user" not in _session_ray:
        users = [i for i, it in enumerate(items) if "local_ray" in getattr(it, "fixturenames", ())]
        _session_ray["last_user"] = items[users[-1]] if users else None
    if nextitem is None or item is _session_ray["last_user"]:
        _stop_session_ray()


@pytest.fixture(scope="session")
def service(built_index, encoder):
    from qa_service.service import QAService

    return QAService.from_settings(built_index, encoder)


@pytest.fixture(scope="session")
def app(service, encoder):
    from tests.qa_service.apps import app_for

    return app_for(service, encoder=encoder)


@pytest.fixture()
def client(app):
    return app.test_client()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
