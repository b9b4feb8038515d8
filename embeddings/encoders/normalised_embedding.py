"""The sentence-transformers pipeline as one traceable torch module, for export to other runtimes."""
from __future__ import annotations

from typing import Any

import torch


class NormalisedEmbedding(torch.nn.Module):
    """Transformer, pooling (and any further modules) then L2 normalisation, taking plain tensors.

    Exporters trace modules with tensor arguments, not the feature dicts sentence-transformers passes;
    putting pooling and normalisation into the graph lets the runtime return finished vectors.
    """

    def __init__(self, st_model: Any) -> None:
        super().__init__()
        self.st_model = st_model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        features = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None:
            features["token_type_ids"] = token_type_ids
        embedding = self.st_model(features)["sentence_embedding"]
        return torch.nn.functional.normalize(embedding, p=2, dim=1)
