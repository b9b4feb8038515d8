"""Uploaded files, kept as sent beside the index so a full rebuild can read them again.

Layout: DIR/uploads/<document id>/<sha256>/<safe name>. A copy is written (under the writer lock)
before the version that refers to it, and copies no version refers to any more are removed after
each write, so a crash leaves at most an unreferenced copy that the next write removes. Names are
reduced to a safe base name first: no separators, no control characters, no leading dots, a
length cap, so no upload can write outside its folder.
"""
from __future__ import annotations

import errno
import json
import logging
import os
import re
import shutil
import sqlite3
import unicodedata
from pathlib import Path

from embeddings.index_store import MANIFEST_FILE, version_dirs

log = logging.getLogger(__name__)

UPLOADS_DIR = "uploads"
MAX_NAME_BYTES = 180  # well under the 255-byte limit of common filesystems, in UTF-8
FALLBACK_STEM = "document"
_RESERVED = frozenset('<>:"/\\|?*')
_STORAGE_FULL = (errno.ENOSPC, errno.EDQUOT)


class StorageFull(Exception):
    """A write failed because the disk (or the quota) is full; whatever it had written was removed."""


_SHORT_WRITE = re.compile(r"\d+ requested and \d+ written")


def is_storage_full(exc: BaseException) -> bool:
    """ENOSPC / EDQUOT from the OS, SQLite's "database or disk is full" (the token cache), or FAISS's RuntimeError
    quoting the OS error ("write error in .../vectors.faiss: ... (No space left on device)", seen on a full tmpfs)."""
    if isinstance(exc, OSError):  # numpy's short write (BM25's arrays) has no errno: "9758 requested and 7136 written"
        return exc.errno in _STORAGE_FULL or (exc.errno is None and bool(_SHORT_WRITE.fullmatch(str(exc))))
    if isinstance(exc, sqlite3.OperationalError):
        return "full" in str(exc).lower()
    return isinstance(exc, RuntimeError) and any(os.strerror(code) in str(exc) for code in _STORAGE_FULL)


def _clean(part: str) -> str:
    """Drop control and format characters (category C*), replace characters filesystems reserve."""
    return "".join("_" if ch in _RESERVED else ch for ch in part if not unicodedata.category(ch).startswith("C"))


def safe_file_name(name: str) -> str:
    """The base name of an upload, safe to store and to show: never empty, never a path, never hidden, NFC.

    The extension is kept (it picks the loader); an empty stem becomes "document". Idempotent: the reduction
    is repeated until nothing changes (dropping a format character can make a name non-NFC again: "e\u200b\u0301"
    becomes "e\u0301", whose NFC is "é"), so safe_file_name(safe_file_name(x)) == safe_file_name(x).
    """
    current = name or ""
    for _ in range(8):
        reduced = _reduce(current)
        if reduced == current:
            return reduced
        current = reduced
    return current  # not reached by any input found (the property test): each round only shortens or composes


def _reduce(name: str) -> str:
    """One round of `safe_file_name`."""
    base = unicodedata.normalize("NFC", name).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    dot = base.rfind(".")
    stem, ext = (base[:dot], base[dot:]) if dot > 0 else (base, "")
    stem = _clean(stem).strip().lstrip(".").strip().rstrip(".")
    ext = _clean(ext).strip()
    if len(ext.encode("utf-8")) > 32 or ext == ".":
        stem, ext = stem + ext.rstrip("."), ""
    stem = stem or FALLBACK_STEM
    while len((stem + ext).encode("utf-8")) > MAX_NAME_BYTES:
        stem = stem[:-1]
    return unicodedata.normalize("NFC", (stem.rstrip(". ") or FALLBACK_STEM) + ext)


class UploadStore:
    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self.root = index_dir / UPLOADS_DIR

    @staticmethod
    def relative_path(doc_id: str, sha256: str, safe_name: str) -> str:
        if safe_file_name(safe_name) != safe_name or not doc_id.isalnum() or not sha256.isalnum():
            raise ValueError(f"unsafe upload path parts: {doc_id!r}, {sha256!r}, {safe_name!r}")
        return f"{UPLOADS_DIR}/{doc_id}/{sha256}/{safe_name}"

    def _absolute(self, relative: str) -> Path:
        path = (self.index_dir / relative).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"{relative!r} is outside the upload folder")
        return path

    def save(self, relative: str, raw: bytes) -> None:
        """Write the copy durably (temporary name, fsync, rename); an existing identical copy is kept. A full disk
        raises StorageFull with nothing of this copy left behind."""
        final = self._absolute(relative)
        if final.is_file() and final.stat().st_size == len(raw):
            return
        created = [d for d in (self.root, final.parent.parent, final.parent) if not d.exists()]
        staging = final.parent / f".tmp-{os.getpid()}-{final.name}"
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            with open(staging, "wb") as fh:
                fh.write(raw)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(staging, final)
        except OSError as exc:
            staging.unlink(missing_ok=True)
            for directory in reversed(created):
                shutil.rmtree(directory, ignore_errors=True)
            if is_storage_full(exc):
                raise StorageFull(f"no space left to store the upload ({exc.strerror})") from exc
            raise
        for directory in (final.parent, final.parent.parent, self.root):
            fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def read(self, relative: str) -> bytes:
        return self._absolute(relative).read_bytes()

    def collect_garbage(self) -> int:
        """Remove copies that no version on disk refers to; return how many were removed."""
        if not self.root.is_dir():
            return 0
        referenced: set[Path] = set()
        for version in version_dirs(self.index_dir):
            try:
                documents = json.loads((version / MANIFEST_FILE).read_text()).get("documents", [])
            except (OSError, ValueError):
                return 0  # a version that cannot be read might refer to any copy: keep them all
            referenced.update((self.index_dir / d["source"]).parent for d in documents
                              if d.get("origin") == "upload" and d.get("source"))
        removed = 0
        for doc_dir in self.root.iterdir():
            for copy_dir in (doc_dir.iterdir() if doc_dir.is_dir() else ()):
                if copy_dir not in referenced:
                    shutil.rmtree(copy_dir, ignore_errors=True)
                    removed += 1
            if doc_dir.is_dir() and not any(doc_dir.iterdir()):
                doc_dir.rmdir()
        return removed
