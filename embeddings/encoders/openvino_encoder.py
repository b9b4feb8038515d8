"""Encoder running an OpenVINO export of the sentence-transformers model (see embeddings/model_export.py).

Why no lock, unlike the torch encoder: an OpenVINO compiled model is shared, and each thread gets its
own infer request (a request, and the compiled model's `__call__`, must not be used by two threads at
once). The tokenizer is configured once and then only read, which the `tokenizers` library allows
from several threads.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from embeddings.encoders.base import TextEncoder
from embeddings.model_export import MODEL_XML, ExportRecord, ModelExportError, require_openvino

log = logging.getLogger(__name__)


class OpenVINOEncoder(TextEncoder):
    def __init__(self, export_dir: Path, model_id: str, batch_size: int = 16, threads: int = 0) -> None:
        require_openvino()
        import openvino as ov
        from tokenizers import Tokenizer

        record = ExportRecord.read(export_dir)
        if record is None:
            raise ModelExportError(f"{export_dir} holds no usable OpenVINO export; run `qa fetch-model`")
        config: dict[str, Any] = {"PERFORMANCE_HINT": "LATENCY"}
        if threads > 0:
            config["INFERENCE_NUM_THREADS"] = threads
        if record.precision == "fp32":
            config["INFERENCE_PRECISION_HINT"] = "f32"  # else CPUs with bf16 run bf16 silently
        log.info("loading OpenVINO %s export %s (%s)", record.precision, export_dir, config)
        self._compiled = ov.Core().compile_model(str(export_dir / MODEL_XML), "CPU", config)
        self._inputs = [i.get_any_name() for i in self._compiled.inputs]
        self._tokenizer = Tokenizer.from_file(str(export_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=record.max_seq_length)
        self._tokenizer.no_padding()  # batches are padded here, after sorting by length
        self._pad_id = record.pad_token_id
        self._local = threading.local()
        self._batch_size = batch_size
        self.model_id = f"{model_id}#{record.tag}"  # cached vectors of an earlier export are not reused
        self.precision = record.precision
        self.dimension = record.dimension
        self.max_seq_length = record.max_seq_length

    def _request(self) -> Any:
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self._compiled.create_infer_request()
        return request

    def _infer(self, encodings: Sequence[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        arrays = {name: np.zeros((len(encodings), width), dtype=np.int64) for name in self._inputs}
        if "input_ids" in arrays:
            arrays["input_ids"].fill(self._pad_id)
        for row, e in enumerate(encodings):
            n = len(e.ids)
            for name, values in (("input_ids", e.ids), ("attention_mask", e.attention_mask),
                                 ("token_type_ids", e.type_ids)):
                if name in arrays:
                    arrays[name][row, :n] = values
        result = self._request().infer(arrays)
        return np.array(result[0], dtype=np.float32, copy=True)  # the request reuses its output buffer

    def encode_documents(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        batches = self._plan(encodings)
        if show_progress:
            from tqdm import tqdm

            batches = tqdm(batches, desc="Batches", unit="batch")
        for rows in batches:
            out[rows] = self._infer([encodings[i] for i in rows])
        return out

    def _plan(self, encodings: Sequence[Any]) -> list[list[int]]:
        order = sorted(range(len(encodings)), key=lambda i: -len(encodings[i].ids))  # little padding per batch
        return [order[start:start + self._batch_size] for start in range(0, len(order), self._batch_size)]

    def batch_plan(self, texts: Sequence[str]) -> list[list[int]]:
        return self._plan(self._tokenizer.encode_batch(list(texts))) if texts else []

    def encode_query(self, text: str) -> np.ndarray:
        return self._infer([self._tokenizer.encode(text)])[0]
