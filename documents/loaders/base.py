"""The narrow interface every format loader implements: bytes in, `SourceDocument` out.

Loaders never touch the filesystem, so the same code serves folder ingestion and HTTP uploads;
`files.py` reads files and the registry picks the loader by extension.
"""
from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from typing import ClassVar

from documents.models import SourceDocument


def base_name(name: str) -> str:
    """Last component of a path or upload name, whichever separator the client used."""
    return name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def sha256_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


class DocumentLoader(ABC):
    """Reads one family of formats; registered in `LoaderRegistry` under its extensions."""

    extensions: ClassVar[tuple[str, ...]]  # lower-case, with the dot: (".pdf",)
    format: ClassVar[str]  # the `SourceDocument.format` it produces

    @abstractmethod
    def load_bytes(self, name: str, raw: bytes) -> SourceDocument:
        """The document in `raw`. `name` (a path or an upload's file name) labels errors and becomes
        `SourceDocument.path`; its last component becomes `SourceDocument.name`. Raises a
        `DocumentError` subclass naming `name` when the bytes cannot be read."""
