"""Reading files and uploaded bytes into `SourceDocument`s, one loader per format.

The names below are imported on first use (PEP 562), so `documents.loaders.file_types` (the supported types)
is read without importing every loader's parsing library.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "documents.loaders.base": ("DocumentLoader",),
    "documents.loaders.discovery": ("Discovery", "DiscoveryFailure", "FoundFile"),
    "documents.loaders.files": ("REGISTRY", "SUPPORTED_EXTENSIONS", "LoadFailure", "OnError", "discover_files",
                                "load_bytes", "load_file", "load_paths"),
    "documents.loaders.registry": ("LoaderRegistry", "default_registry"),
    "documents.loaders.text_loader": ("decode_bytes",),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'documents.loaders' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup is an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from documents.loaders.base import DocumentLoader
    from documents.loaders.discovery import Discovery, DiscoveryFailure, FoundFile
    from documents.loaders.files import (REGISTRY, SUPPORTED_EXTENSIONS, LoadFailure, OnError, discover_files,
                                         load_bytes, load_file, load_paths)
    from documents.loaders.registry import LoaderRegistry, default_registry
    from documents.loaders.text_loader import decode_bytes
