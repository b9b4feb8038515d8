"""Memory-mapped FAISS loading: same answers, read-only, and really shared file-backed pages."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import faiss
import numpy as np
import pytest

from embeddings.vector_stores.faiss_store import FILE_NAME, FaissFlatStore

DIM = 64
ROWS = 2000


def _mapping(pid: int | str, path: Path) -> dict[str, object] | None:
    """Permissions and Rss/Pss (kB) of the mapping of `path` in a process's /proc/<pid>/smaps, or None."""
    result: dict[str, object] | None = None
    current: dict[str, object] | None = None
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and not fields[0].endswith(":"):  # a mapping's header line
            current = None
            if line.rstrip().endswith(str(path)):
                current = result = {"perms": fields[1], "Rss": 0, "Pss": 0}
        elif current is not None and fields and fields[0] in ("Rss:", "Pss:"):
            current[fields[0][:-1]] = int(current[fields[0][:-1]]) + int(fields[1])
    return result


def _vectors(n: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture(scope="module", params=["flat", "hnsw"])
def saved(request, tmp_path_factory) -> Path:
    tmp_path = tmp_path_factory.mktemp(request.param)
    index = faiss.IndexFlatIP(DIM) if request.param == "flat" else faiss.IndexHNSWFlat(DIM, 16, faiss.METRIC_INNER_PRODUCT)
    store = FaissFlatStore(DIM, index)
    store.add(_vectors(ROWS, seed=1))
    store.save(tmp_path)
    return tmp_path


def test_mapped_store_answers_like_the_loaded_one(saved):
    copied = FaissFlatStore.load(saved, DIM)
    mapped = FaissFlatStore.load(saved, DIM, mmap=True)
    assert len(mapped) == len(copied) == ROWS
    for query in _vectors(5, seed=2):
        s1, r1 = copied.search(query, 10)
        s2, r2 = mapped.search(query, 10)
        assert r1.tolist() == r2.tolist() and np.allclose(s1, s2)
        assert np.allclose(mapped.similarities(query, r1), copied.similarities(query, r1))


def test_mapped_store_refuses_writes_clearly(saved):
    mapped = FaissFlatStore.load(saved, DIM, mmap=True)
    with pytest.raises(ValueError, match="read-only"):
        mapped.add(_vectors(1, seed=3))
    assert len(mapped) == ROWS
    copied = FaissFlatStore.load(saved, DIM)
    copied.add(_vectors(1, seed=3))
    assert len(copied) == ROWS + 1


def test_the_file_is_a_shared_file_backed_mapping(saved):
    path = (saved / FILE_NAME).resolve()
    copied = FaissFlatStore.load(saved, DIM)
    assert _mapping("self", path) is None  # a plain load reads the file into private memory
    mapped = FaissFlatStore.load(saved, DIM, mmap=True)
    mapped.search(_vectors(1, seed=4)[0], 10)
    mapping = _mapping("self", path)
    assert mapping is not None and "s" in str(mapping["perms"]) and "w" not in str(mapping["perms"])
    del copied


def test_two_processes_share_the_mapped_pages(saved):
    """A second process mapping the same file: each is charged half the pages (Pss), the mark of sharing."""
    mapped = FaissFlatStore.load(saved, DIM, mmap=True)
    mapped.similarities(np.ones(DIM, dtype=np.float32), np.arange(len(mapped)))  # touch every vector
    path = (saved / FILE_NAME).resolve()
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, numpy as np\n"
         "from pathlib import Path\n"
         "from embeddings.vector_stores.faiss_store import FaissFlatStore\n"
         f"s = FaissFlatStore.load(Path(sys.argv[1]), {DIM}, mmap=True)\n"
         f"s.similarities(np.ones({DIM}, dtype=np.float32), np.arange(len(s)))\n"
         "print('ready', flush=True)\n"
         "sys.stdin.readline()\n",
         str(saved)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        assert child.stdout.readline().strip() == "ready"
        theirs = _mapping(child.pid, path)
        ours = _mapping("self", path)
    finally:
        child.communicate("\n", timeout=30)
    assert theirs is not None and ours is not None
    assert theirs["Rss"] >= ROWS * DIM * 4 // 1024 * 0.9  # the vectors are resident in the child...
    assert theirs["Pss"] <= theirs["Rss"] * 0.6  # ...and charged half to each of the two mappers
