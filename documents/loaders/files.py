"""Files and folders -> `SourceDocument`s through the default loader registry.

`load_bytes` serves uploads (no filesystem access); `load_file` reads one file; `load_paths` loads
what `discover_files` (discovery.py) finds under files and folders. A batch can go on past bad files:
`on_error="skip"` logs and skips them, a callable receives each `LoadFailure`. The default, "raise", keeps
the old behaviour: a named file that fails raises, and inside a folder only files we cannot read as their
type at all (`UnsupportedFileType`, which includes `CorruptDocument` and `EncryptedDocument`) are skipped
with a warning, as files of unknown type always were; undecodable, empty and scanned files raise.
"""
from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal, Sequence, Union

from documents.errors import DocumentError, UnsupportedFileType
from documents.loaders.discovery import Discovery, discover
from documents.loaders.registry import LoaderRegistry, default_registry
from documents.models import SourceDocument

logger = logging.getLogger(__name__)

REGISTRY: LoaderRegistry = default_registry()
SUPPORTED_EXTENSIONS: frozenset[str] = REGISTRY.extensions


@dataclass(frozen=True)
class LoadFailure:
    """A file that did not become a document, and why."""

    path: str
    error: DocumentError

    @property
    def reason(self) -> str:
        return str(self.error)

    @property
    def kind(self) -> str:
        return type(self.error).__name__


OnError = Union[Literal["raise", "skip"], Callable[[LoadFailure], None]]


def load_bytes(name: str, raw: bytes) -> SourceDocument:
    """Document from an upload's file name and bytes, dispatched on the name's extension."""
    return REGISTRY.load_bytes(name, raw)


def load_file(path: str | Path) -> SourceDocument:
    """Read one supported file; the extension is checked first so callers get a clear error."""
    p = Path(path)
    REGISTRY.loader_for(str(p))
    try:
        raw = p.read_bytes()
    except FileNotFoundError as exc:
        raise DocumentError(f"{p}: no such file") from exc
    except OSError as exc:
        raise DocumentError(f"{p}: cannot read: {exc}") from exc
    doc = REGISTRY.load_bytes(str(p), raw)
    return dataclasses.replace(doc, path=str(path)) if doc.path != str(path) else doc


def discover_files(paths: Sequence[str | Path]) -> Discovery:
    """The supported files under the given files and folders (discovery.py), by this registry's file types."""
    return discover(paths, REGISTRY)


def _report(failure: LoadFailure, on_error: OnError, in_folder: bool) -> None:
    """Raise, log or hand over one failure according to `on_error`."""
    if on_error == "raise":
        if in_folder and isinstance(failure.error, UnsupportedFileType):
            logger.warning("skipping %s", failure.reason)
            return
        raise failure.error
    if on_error == "skip":
        logger.warning("skipping %s", failure.reason)
        return
    on_error(failure)


def load_paths(paths: Sequence[str | Path], on_error: OnError = "raise") -> list[SourceDocument]:
    """Load files and folders (walked by discovery.py); see the module docstring for `on_error`."""
    out: list[SourceDocument] = []
    seen: set[str] = set()
    names: dict[str, str] = {}
    for given in paths:  # one given path at a time: failures are reported in the order of the paths
        found = discover([given], REGISTRY, seen)
        for failure in found.failures:
            _report(LoadFailure(failure.path, failure.error), on_error, False)
        for f in found.files:
            try:
                doc = load_file(f.path)
            except DocumentError as exc:
                _report(LoadFailure(str(f.path), exc), on_error, f.in_folder)
                continue
            if doc.name in names:
                logger.warning("%s: same file name as %s; chunks will share the doc name", f.path, names[doc.name])
            names[doc.name] = str(f.path)
            out.append(doc)
    logger.info("loaded %d documents", len(out))
    return out
