"""The OpenVINO backend against the torch reference, on the real m3e-small.

Exports are slow (fp32 ~20 s, int8 ~40 s with a small calibration sample), so each is made once per module
into a private copy of the model cache; the user's cache and its exports are never touched.
"""
from __future__ import annotations

import json
import shutil
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from documents import DocumentPipeline
from embeddings.encoders.cached_encoder import CachedEncoder
from embeddings.encoders.openvino_encoder import OpenVINOEncoder
from embeddings.encoders.sentence_transformer_encoder import SentenceTransformerEncoder
from embeddings.index_store import IndexMismatch
from embeddings.model_export import (MODEL_XML, RECORD_FILE, ExportRecord, ModelExportError, calibration_sample,
                                     ensure_openvino_export, export_dir_for)
from embeddings.model_fetch import resolve_model_path
from qa_service.ingestion import IngestionService, indexable_text
from embeddings.encoders.factory import build_encoder
from qa_service.service import QAService
from qa_service.settings import Settings, SettingsError
from tests.conftest import haidian_section

CALIBRATION_PASSAGES = 16
QUERIES = ["海淀区有多少所高等院校？", "中国电科双创示范基地的建设目标是什么？", "红烧肉怎么做"]


def test_the_default_is_openvino_int8_and_torch_alone_means_torch_fp32():
    assert Settings.from_env({}).embedding_variant == "openvino-int8"
    assert Settings.from_env({"QA_EMBEDDING_PRECISION": "fp32"}).embedding_variant == "openvino-fp32"


def test_variants_are_named_from_backend_and_precision():
    assert Settings.from_env({"QA_EMBEDDING_BACKEND": "torch"}).embedding_variant == "torch-fp32"
    assert Settings.from_env({"QA_EMBEDDING_BACKEND": "openvino", "QA_EMBEDDING_PRECISION": "int8"}
                             ).embedding_variant == "openvino-int8"
    with pytest.raises(SettingsError, match="QA_EMBEDDING_BACKEND=openvino"):
        Settings.from_env({"QA_EMBEDDING_BACKEND": "torch", "QA_EMBEDDING_PRECISION": "int8"})


@pytest.fixture(scope="module")
def passages(small_corpus) -> list[str]:
    """What would be embedded from two real documents, title and headings included."""
    return [indexable_text(c) for c in DocumentPipeline().run([small_corpus]).chunks]


@pytest.fixture(scope="module")
def calibration(passages) -> list[str]:
    return calibration_sample(passages, CALIBRATION_PASSAGES)


@pytest.fixture(scope="module")
def held_out(passages, calibration) -> list[str]:
    """Passages the int8 export was not calibrated on, long and short."""
    rest = [p for p in passages if p not in set(calibration)]
    return rest[:24]


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory) -> Path:
    """A private copy of the verified model folder, without any exports of the user's cache."""
    cache = tmp_path_factory.mktemp("models")
    source = Path(resolve_model_path("m3e-small", Settings.from_env().model_cache_dir))
    shutil.copytree(source, cache / "m3e-small", ignore=shutil.ignore_patterns("openvino"))
    return cache


@pytest.fixture(scope="module")
def model_path(model_cache) -> Path:
    return model_cache / "m3e-small"


@pytest.fixture(scope="module")
def exports(model_path, model_cache, calibration) -> dict[str, Path]:
    return {p: ensure_openvino_export(model_path, model_cache, p, calibration=lambda: calibration)
            for p in ("fp32", "int8")}


@pytest.fixture(scope="module")
def ov(exports) -> dict[str, OpenVINOEncoder]:
    return {p: OpenVINOEncoder(d, "m3e-small", batch_size=8) for p, d in exports.items()}


@pytest.fixture(scope="module")
def torch_encoder(model_path, model_cache) -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder(str(model_path), model_cache)


@pytest.fixture(scope="module")
def reference(torch_encoder, held_out) -> np.ndarray:
    return torch_encoder.encode_documents(held_out)


def test_exports_sit_beside_the_model_with_their_record(exports, model_path):
    assert exports["fp32"] == model_path / "openvino" / "fp32"
    int8 = ExportRecord.read(exports["int8"])
    assert int8.precision == "int8" and int8.calibration_size == CALIBRATION_PASSAGES
    assert int8.max_seq_length == 512 and int8.dimension == 512
    assert ExportRecord.read(exports["fp32"]).calibration_size == 0
    assert ExportRecord.read(exports["fp32"]).tag != int8.tag


def test_fp32_export_gives_the_torch_vectors(ov, torch_encoder, reference, held_out):
    vectors = ov["fp32"].encode_documents(held_out)
    assert vectors.shape == reference.shape and vectors.dtype == np.float32
    assert (vectors * reference).sum(axis=1).min() > 0.9999
    for query in QUERIES:
        assert float(ov["fp32"].encode_query(query) @ torch_encoder.encode_query(query)) > 0.9999


def test_int8_export_stays_close_to_torch(ov, torch_encoder, reference, held_out):
    vectors = ov["int8"].encode_documents(held_out)
    cosine = (vectors * reference).sum(axis=1)
    assert cosine.mean() >= 0.995 and cosine.min() >= 0.99, (cosine.mean(), cosine.min())
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    # Short queries average fewer tokens' rounding errors: an off-topic four-character one is the worst (~0.985).
    cosines = [float(ov["int8"].encode_query(q) @ torch_encoder.encode_query(q)) for q in QUERIES]
    assert min(cosines[:2]) >= 0.99 and cosines[2] >= 0.97, cosines
    # The nearest passage of each query is the same as with torch.
    queries = np.stack([ov["int8"].encode_query(q) for q in QUERIES[:2]])
    reference_queries = np.stack([torch_encoder.encode_query(q) for q in QUERIES[:2]])
    assert list((queries @ vectors.T).argmax(axis=1)) == list((reference_queries @ reference.T).argmax(axis=1))


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_a_text_gets_the_same_vector_alone_and_padded_in_a_batch(ov, precision, held_out):
    encoder = ov[precision]
    short = "海淀区目前有北大、清华等高等院校 33 所"
    longest = max(held_out, key=len)
    batch = encoder.encode_documents([longest, short, held_out[0]])
    np.testing.assert_allclose(batch[1], encoder.encode_documents([short])[0], atol=1e-5)
    np.testing.assert_allclose(batch[1], encoder.encode_query(short), atol=1e-5)
    np.testing.assert_allclose(batch[0], encoder.encode_documents([longest])[0], atol=1e-5)


def test_empty_batch_gives_empty_matrix(ov):
    assert ov["int8"].encode_documents([]).shape == (0, 512)


def test_threads_encoding_at_once_get_their_own_vectors(ov, held_out):
    encoder = ov["int8"]
    # Half the held-out passages, three long and short ones a thread: seven threads still encode at once, twice
    # each (all 24 passages made this test 16 s of CPU, the module's slowest after the exports).
    texts = held_out[:12]
    work = [texts[i::4] for i in range(4)] + [[q] for q in QUERIES]
    expected = [encoder.encode_documents(texts) for texts in work]
    results: dict[int, list[np.ndarray]] = {i: [] for i in range(len(work))}
    errors: list[BaseException] = []
    start = threading.Barrier(len(work))

    def run(i: int) -> None:
        try:
            start.wait()
            for _ in range(2):
                results[i].append(encoder.encode_documents(work[i]))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i, runs in results.items():
        assert len(runs) == 2
        for vectors in runs:
            np.testing.assert_allclose(vectors, expected[i], atol=1e-5)


def test_a_fresh_export_is_reused_without_calibrating_again(exports, model_path, model_cache):
    before = (exports["int8"] / MODEL_XML).stat().st_mtime_ns

    def must_not_calibrate() -> list[str]:
        raise AssertionError("calibration passages asked for although the export is fresh")

    assert ensure_openvino_export(model_path, model_cache, "int8", calibration=must_not_calibrate) == exports["int8"]
    assert (exports["int8"] / MODEL_XML).stat().st_mtime_ns == before


def test_a_stale_export_is_redone(exports, model_path, model_cache, ov, held_out):
    target = exports["fp32"]
    record = json.loads((target / RECORD_FILE).read_text())
    current = dict(record["versions"])
    record["versions"]["openvino"] = "2020.1.0"  # as if made by another openvino
    (target / RECORD_FILE).write_text(json.dumps(record))
    old_xml = (target / MODEL_XML).stat().st_mtime_ns
    assert ensure_openvino_export(model_path, model_cache, "fp32") == target
    assert ExportRecord.read(target).versions == current
    assert (target / MODEL_XML).stat().st_mtime_ns != old_xml
    assert not [p.name for p in target.parent.iterdir() if p.name.startswith(".fp32-")]  # no staging left
    again = OpenVINOEncoder(target, "m3e-small").encode_documents(held_out[:3])
    np.testing.assert_allclose(again, ov["fp32"].encode_documents(held_out[:3]), atol=1e-5)


def test_an_int8_export_without_calibration_passages_is_refused(tmp_path, model_path):
    with pytest.raises(ModelExportError, match="calibration"):
        ensure_openvino_export(model_path, tmp_path, "int8")
    assert not (export_dir_for(model_path, tmp_path, "int8") / MODEL_XML).exists()


def test_variants_never_share_cached_vectors(ov, torch_encoder, tmp_path):
    texts = ["海淀区目前有北大、清华等高等院校 33 所", "中国电科开放仪器设备"]
    cache = tmp_path / "embeddings.sqlite"
    CachedEncoder(torch_encoder, cache).encode_documents(texts)
    int8 = CachedEncoder(ov["int8"], cache)
    vectors = int8.encode_documents(texts)
    assert (int8.hits, int8.misses) == (0, 2)
    np.testing.assert_allclose(vectors, ov["int8"].encode_documents(texts), atol=1e-5)


@pytest.fixture(scope="module")
def int8_settings(exports, model_cache, tmp_path_factory) -> Settings:
    corpus = tmp_path_factory.mktemp("ov-corpus")
    # The section's first 1,000 characters (8 passages; the 33 universities in the first): the whole section's 32
    # passages and their BM25 terms, embedded without a cache, were 5.5 s of a quiet suite run, its first 2,000
    # characters (13 passages) still 7 s of CPU on a loaded one.
    (corpus / "北京市海淀区双创经验总结.txt").write_text(haidian_section()[:1000], encoding="utf-8")
    return Settings.from_env(embedding_backend="openvino", embedding_precision="int8", model_cache_dir=model_cache,
                             index_dir=tmp_path_factory.mktemp("ov-index") / "idx", corpus_dir=corpus,
                             embedding_cache="off", retriever="hybrid")


@pytest.fixture(scope="module")
def int8_index(int8_settings) -> Settings:
    """A real index of the 海淀区 section built with the int8 encoder the settings give."""
    encoder = build_encoder(int8_settings.encoder_spec)  # the module's export, found fresh
    assert isinstance(encoder, OpenVINOEncoder) and encoder.precision == "int8"
    assert encoder.model_id.startswith("m3e-small@openvino-int8#")
    IngestionService(int8_settings, encoder).run([int8_settings.corpus_dir], show_progress=False)
    return int8_settings


def test_service_answers_from_an_int8_index(int8_index):
    from qa_service.composition import ServiceRoot

    root = ServiceRoot(int8_index).warm_up(strict=True)
    service = root.qa
    assert service.info()["manifest"]["embedding_variant"] == "openvino-int8"
    assert isinstance(root.encoder.load(), OpenVINOEncoder)
    answer = service.ask("海淀区有多少所高等院校？", top_k=3)
    assert answer.answerable and "33" in answer.answer, answer


def test_an_index_of_one_variant_is_refused_by_another(int8_index):
    for backend, precision in (("torch", "fp32"), ("openvino", "fp32")):
        other = replace(int8_index, embedding_backend=backend, embedding_precision=precision)
        with pytest.raises(IndexMismatch, match="QA_EMBEDDING_BACKEND=openvino QA_EMBEDDING_PRECISION=int8"):
            QAService.from_settings(other)
        service = QAService.from_settings(other, strict=False)
        assert not service.ready and service.load_error == IndexMismatch.public_reason
