"""The vectors a lexical version inherits from the complete version it replaced, kept by hard links until the
background embedder takes them in.

When an upload writes a lexical version over a complete one, the vectors of the passages and words they share
must not be made again. Putting them into the pending store (pending_vectors.py) at once cost the request
about 2 s on the bundled corpus (23,000 rows of float32 into SQLite); instead the complete version's vectors,
chunks, term vectors and manifest are hard-linked (a copy where links are not possible) into
DIR/.pending-carried/<version>/, which costs nothing and survives the version's pruning. The background
embedder (qa_service/ingestion/background.py), before it looks for what is missing, checks those files against
the manifest's checksums (damaged ones are dropped: their vectors are made again), puts their rows into the
pending store by text, and removes the directory. A complete version written later removes them all.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import faiss
import numpy as np

from documents.models import Chunk
from embeddings.index_spec import IndexSpec
from embeddings.index_store import CHUNKS_FILE, MANIFEST_FILE, IndexManifest, all_vectors, file_sha256
from embeddings.lexical.term_vectors import DIR_NAME as TERMS_DIR, VECTORS_FILE as TERMS_FILE, VOCABULARY_FILE
from embeddings.pending_vectors import PendingVectors
from embeddings.vector_stores.faiss_store import FILE_NAME as VECTORS_FILE

log = logging.getLogger(__name__)

CARRIED_DIR = ".pending-carried"
_FILES = (MANIFEST_FILE, CHUNKS_FILE, VECTORS_FILE, f"{TERMS_DIR}/{TERMS_FILE}", f"{TERMS_DIR}/{VOCABULARY_FILE}")


def carry(index_dir: Path, version: Path) -> Path | None:
    """Link a complete version's vector files under DIR/.pending-carried/; the directory made (None: it was
    there already). Raises OSError when they cannot be linked or copied (the caller writes nothing then)."""
    target = index_dir / CARRIED_DIR / version.name
    if target.exists():
        return None
    staging = index_dir / CARRIED_DIR / f".tmp-{version.name}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        for name in _FILES:
            source = version / name
            if not source.exists():
                continue
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source, staging / name)
            except OSError:
                shutil.copy2(source, staging / name)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def absorb(store: PendingVectors, index_dir: Path, spec: IndexSpec) -> int:
    """Put the carried versions' passage and term vectors into `store` and remove them; the rows put.
    A carried version of other settings, or whose files fail their checksums, is dropped (its vectors are made
    again)."""
    root = index_dir / CARRIED_DIR
    put = 0
    for carried in sorted(p for p in root.glob("v-*") if p.is_dir()) if root.is_dir() else []:
        try:
            put += _absorb_one(store, carried, spec)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            log.warning("vectors carried from %s not used (%s); they are made again", carried.name, exc)
        shutil.rmtree(carried, ignore_errors=True)
    return put


def _absorb_one(store: PendingVectors, carried: Path, spec: IndexSpec) -> int:
    manifest = IndexManifest.from_dict(json.loads((carried / MANIFEST_FILE).read_text()))
    if manifest.pending or not spec.matches(manifest):
        return 0
    for name in _FILES[1:]:
        if name in manifest.files and (carried / name).exists() and file_sha256(carried / name) != manifest.files[name]:
            raise ValueError(f"{name} fails its checksum")
    with open(carried / CHUNKS_FILE, encoding="utf-8") as fh:
        chunks = [Chunk.from_dict(json.loads(line)) for line in fh if line.strip()]
    index = faiss.read_index(str(carried / VECTORS_FILE))
    if index.ntotal != len(chunks):
        raise ValueError(f"{index.ntotal} vectors for {len(chunks)} passages")
    vectors = all_vectors(index)
    store.put([store.key(spec.text_of(c)) for c in chunks], vectors)
    put = len(chunks)
    if (carried / TERMS_DIR / TERMS_FILE).exists():
        words = json.loads((carried / TERMS_DIR / VOCABULARY_FILE).read_text())
        terms = np.load(carried / TERMS_DIR / TERMS_FILE).astype(np.float32)
        store.put([store.key(w) for w in words], terms)
        put += len(words)
    log.info("%d vectors carried from %s taken into the pending store", put, carried.name)
    return put


def discard(index_dir: Path) -> None:
    """Forget every carried version (a complete version holds the vectors now)."""
    shutil.rmtree(index_dir / CARRIED_DIR, ignore_errors=True)
