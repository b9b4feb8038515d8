"""Reading files and uploaded bytes into `SourceDocument`s, one loader per format.

The names below are imported on first use (PEP 562), so `documents.loaders.file_types` (the supported types)
is read without importing every loader's parsing library.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from documents.lazy_exports import lazy_exports

_EXPORTS = {
    "documents.loaders.base": ("DocumentLoader",),
    "documents.loaders.discovery": ("Discovery", "DiscoveryFailure", "FoundFile"),
    "documents.loaders.files": ("REGISTRY", "SUPPORTED_EXTENSIONS", "LoadFailure", "OnError", "discover_files",
                                "load_bytes", "load_file", "load_paths"),
    "documents.loaders.registry": ("LoaderRegistry", "default_registry"),
    "documents.loaders.text_loader": ("decode_bytes",),
}
__all__, __getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)


if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from documents.loaders.base import DocumentLoader
    from documents.loaders.discovery import Discovery, DiscoveryFailure, FoundFile
    from documents.loaders.files import (REGISTRY, SUPPORTED_EXTENSIONS, LoadFailure, OnError, discover_files,
                                         load_bytes, load_file, load_paths)
    from documents.loaders.registry import LoaderRegistry, default_registry
    from documents.loaders.text_loader import decode_bytes
