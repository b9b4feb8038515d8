"""Which files a list of given files and folders stands for: the one walk behind `load_paths` and `qa ingest`.

Folders are walked recursively, hidden files and folders skipped, files of unsupported types noted (not
failures: a folder may hold anything), the supported ones sorted by their path relative to the folder. A
named file of an unsupported type and a path that does not exist are failures, named. Each file is found
once, however many given paths lead to it (its resolved path is its identity).
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from documents.errors import DocumentError, UnsupportedFileType
from documents.loaders.registry import LoaderRegistry

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FoundFile:
    path: Path  # as reached from the given path
    key: str  # the resolved path: the file's identity
    in_folder: bool  # found by walking a folder (not named itself)


@dataclass(frozen=True)
class DiscoveryFailure:
    """A given path that stands for no file we can read; `error` names it."""

    path: str
    error: DocumentError


@dataclass
class Discovery:
    files: list[FoundFile] = field(default_factory=list)
    failures: list[DiscoveryFailure] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # given paths (resolved) that could not be read at all
    skipped: list[str] = field(default_factory=list)  # files of unsupported types inside folders


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def _walk(folder: Path, registry: LoaderRegistry, skipped: list[str]) -> list[Path]:
    """Supported, non-hidden files under `folder`, recursively, sorted by relative path."""
    found: list[Path] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not _is_hidden(d))
        for name in names:
            if _is_hidden(name):
                continue
            path = Path(root) / name
            if registry.supports(name):
                found.append(path)
            else:
                logger.debug("skipping unsupported file %s", path)
                skipped.append(str(path))
    return sorted(found, key=lambda p: p.relative_to(folder).parts)


def discover(paths: Sequence[str | Path], registry: LoaderRegistry,
             seen: set[str] | None = None) -> Discovery:
    """The files the given files and folders stand for, in a stable order (see the module docstring).
    `seen`: keys of files already found by an earlier call, found again not at all (updated)."""
    found = Discovery()
    seen = set() if seen is None else seen
    for given in paths:
        p = Path(given)
        if p.is_dir():
            candidates, in_folder = _walk(p, registry, found.skipped), True
            if not candidates:
                logger.warning("%s: folder holds no supported files", p)
        elif p.is_file():
            try:
                registry.loader_for(str(p))
            except UnsupportedFileType as exc:
                found.failures.append(DiscoveryFailure(str(p), exc))
                continue
            candidates, in_folder = [p], False
        else:
            found.failures.append(DiscoveryFailure(str(p), DocumentError(f"{p}: no such file or directory")))
            found.missing.append(str(p.resolve()))
            continue
        for path in candidates:
            key = str(path.resolve())
            if key not in seen:
                seen.add(key)
                found.files.append(FoundFile(path, key, in_folder))
    return found
