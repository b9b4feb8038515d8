"""Reading files and uploaded bytes into `SourceDocument`s, one loader per format."""
from documents.loaders.base import DocumentLoader
from documents.loaders.discovery import Discovery, DiscoveryFailure, FoundFile
from documents.loaders.files import (
    REGISTRY,
    SUPPORTED_EXTENSIONS,
    LoadFailure,
    OnError,
    discover_files,
    load_bytes,
    load_file,
    load_paths,
)
from documents.loaders.registry import LoaderRegistry, default_registry
from documents.loaders.text_loader import decode_bytes

__all__ = [
    "REGISTRY",
    "SUPPORTED_EXTENSIONS",
    "Discovery",
    "DiscoveryFailure",
    "DocumentLoader",
    "FoundFile",
    "LoadFailure",
    "LoaderRegistry",
    "OnError",
    "decode_bytes",
    "default_registry",
    "discover_files",
    "load_bytes",
    "load_file",
    "load_paths",
]
