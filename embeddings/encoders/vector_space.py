"""Names for the vector space an encoder writes into.

Backends and precisions give slightly different vectors for the same text, so caches and indexes
key on this name. The reference variant (torch fp32) keeps the bare model name, so caches and indexes
built before backends existed stay valid.
"""
from __future__ import annotations

REFERENCE_VARIANT = "torch-fp32"


def vector_space_id(model: str, variant: str = REFERENCE_VARIANT) -> str:
    """"m3e-small" for the reference variant, "m3e-small@openvino-int8" for the others."""
    return model if variant == REFERENCE_VARIANT else f"{model}@{variant}"
