"""Passage embedding spread over a Ray cluster (pip install .[distributed]).

`encode_documents` runs the texts through `ray.data` with an actor pool: each actor builds the configured
encoder once (from a picklable factory, e.g. `functools.partial(build_encoder, settings)`) and embeds
batches: the local encoder's own model batches (`batch_plan`), so each passage gets the vector one process
gives it; rows carry their positions, so the vectors come back in input order whatever actor finished
first. Queries are few and latency-bound, so `encode_query` runs on the local encoder.

Ray is joined at `address` (QA_RAY_ADDRESS, else RAY_ADDRESS: the settings read both), or started locally
on this machine when it is empty. On a real cluster the worker nodes need this
package (same version, `.[distributed]`) and the model folder in their model cache, or a `runtime_env`.
Wrapping this encoder in `CachedEncoder` sends only passages not embedded before to the cluster.
"""
from __future__ import annotations

import logging
import os
import signal
import time
from typing import Any, Callable, Sequence

import numpy as np

from embeddings.encoders.base import TextEncoder

log = logging.getLogger(__name__)

EncoderFactory = Callable[[], TextEncoder]
# Starting a local Ray: Ray waits a fixed 30 s (not configurable in ray 2.60, ray/_private/node.py) for its raylet to
# register, and on a saturated 2-core machine the raylet, its agents and log monitors (each a Python process
# importing Ray) can take longer; the start then fails with "The current node timed out during startup". Those
# processes of a failed start are stopped (Ray keeps no handle on them) and a second start, with Ray's imports warm
# in the page cache, is faster.
LOCAL_START_ATTEMPTS = 3
_STARTUP_TIMEOUT = "timed out during startup"


def _child_pids() -> set[int]:
    """Processes whose parent is this one (Linux /proc; empty elsewhere)."""
    me, out = os.getpid(), set()
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == me:
                out.add(int(entry))
    return out


def _stop(pids: set[int]) -> None:
    """SIGTERM, then SIGKILL what is left after a few seconds."""
    for sig, pause in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 0.0)):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        time.sleep(pause)
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


class _EmbedBatches:
    """The actor: one encoder per actor process, reused for every batch it is given."""

    def __init__(self, factory: EncoderFactory) -> None:
        self._encoder = factory()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Each row is one planned model batch (its texts and their positions): encoded as one batch, as the
        local encoder would, so the vectors are the ones a single process computes."""
        positions, vectors = [], []
        for rows, texts in zip(batch["positions"], batch["texts"]):
            vectors.append(self._encoder.encode_documents([str(t) for t in texts]))
            positions.append(np.asarray(rows, dtype=np.int64))
        return {"position": np.concatenate(positions), "vector": np.vstack(vectors)}


class RayEncoder(TextEncoder):
    def __init__(self, factory: EncoderFactory, local: TextEncoder, address: str = "", actors: int = 2,
                 batches_per_task: int = 4, cpus_per_actor: float = 1.0, runtime_env: dict[str, Any] | None = None,
                 min_texts: int = 0) -> None:
        """`local` is the same encoder built here (queries, model id, dimension); `factory` builds it in
        each actor. Fewer than `min_texts` passages are embedded locally (starting actors costs seconds)."""
        if actors < 1 or batches_per_task < 1 or cpus_per_actor <= 0:
            raise ValueError("actors and batches_per_task must be >= 1 and cpus_per_actor > 0")
        self._factory = factory
        self._local = local
        self.model_id = local.model_id
        self.dimension = local.dimension
        self.address = address
        self.actors = actors
        self.batches_per_task = batches_per_task  # model batches (the local encoder's size) per Ray call
        self.cpus_per_actor = cpus_per_actor
        self.runtime_env = runtime_env
        self.min_texts = min_texts
        self._started_ray = False

    def _ensure_ray(self) -> Any:
        import ray

        if not ray.is_initialized():
            address = self.address or None
            log.info("Ray: %s", f"joining the cluster at {address}" if address else "starting a local instance")
            for attempt in range(1, LOCAL_START_ATTEMPTS + 1):
                before = _child_pids()
                try:
                    ray.init(address=address, runtime_env=self.runtime_env, include_dashboard=False,
                             log_to_driver=False, logging_level=logging.WARNING)
                    break
                except Exception as exc:  # Ray raises a bare Exception for this
                    if address is not None or _STARTUP_TIMEOUT not in str(exc) or attempt == LOCAL_START_ATTEMPTS:
                        raise
                    log.warning("Ray: the local instance did not start in time (attempt %d of %d); starting again",
                                attempt, LOCAL_START_ATTEMPTS)
                    ray.shutdown()
                    _stop(_child_pids() - before)
            self._started_ray = True
        return ray

    def encode_documents(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        if len(texts) < max(self.min_texts, 1):
            return self._local.encode_documents(texts, show_progress=show_progress)
        ray = self._ensure_ray()
        ray.data.DataContext.get_current().enable_progress_bars = show_progress
        # The local encoder's own model batches, one per row: every text meets the batch-mates it would have
        # met in one process (same padding, same int8 activations), and so gets the same vector.
        plan = self._local.batch_plan(texts)
        items = [{"positions": rows, "texts": [texts[i] for i in rows]} for rows in plan]
        dataset = ray.data.from_items(items, override_num_blocks=max(1, min(len(items), self.actors * 4)))
        embedded = dataset.map_batches(
            _EmbedBatches, fn_constructor_args=(self._factory,), batch_size=self.batches_per_task,
            batch_format="numpy", compute=ray.data.ActorPoolStrategy(size=self.actors),
            num_cpus=self.cpus_per_actor)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        seen = np.zeros(len(texts), dtype=bool)
        for batch in embedded.iter_batches(batch_format="numpy", batch_size=None):
            positions = np.asarray(batch["position"], dtype=np.int64)
            out[positions] = np.asarray(batch["vector"], dtype=np.float32)
            seen[positions] = True
        if not seen.all():
            raise RuntimeError(f"Ray returned {int(seen.sum())} of {len(texts)} passage vectors")
        log.info("embedded %d passages on Ray with %d actors", len(texts), self.actors)
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self._local.encode_query(text)

    def close(self) -> None:
        """Disconnect from Ray: a local instance this encoder started stops, a joined cluster runs on."""
        if self._started_ray:
            import ray

            ray.shutdown()
            self._started_ray = False
