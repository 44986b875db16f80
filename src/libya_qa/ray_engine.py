"""Embedding on a Ray cluster: an Encoder whose `encode` runs Ray Data `map_batches` over an actor pool.

The build does not know Ray exists: `build_index` calls `encoder.encode(all changed sentences)` once,
and `RayEncoder` answers that call with the same rows, in the same order, as the single-process
encoder would. Each actor loads the configured model once (`load_encoder`, same name, same
precision rule), so the index manifest and the vectors match a local build. Ray is imported here
only, and this module only when `libya-qa index --engine ray` asks for it.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import Settings
from .encoders import AUTO_BF16_MIN_BATCH, Encoder, load_encoder, native_bf16
from .errors import QAError

INSTALL_HINT = "pip install -e '.[scale]'"
CONNECT_TIMEOUT_S = 5.0
# Rows per Ray batch: large enough that a task's overhead (~ms) is small beside its encoding, small
# enough that every actor gets several batches (the last batches balance the pool).
MIN_BATCH_ROWS, MAX_BATCH_ROWS, BATCHES_PER_ACTOR = 64, 1024, 4


class RayUnavailable(QAError):
    """Ray is not installed, or the cluster cannot be reached or failed mid-way."""


@dataclass(frozen=True)
class Cluster:
    """The Ray cluster a build embeds on: where it is and how many CPUs it offers."""

    address: str
    cpus: int
    nodes: int
    ray_version: str


def import_ray() -> Any:
    """The ray module, or one clear line on how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401  (the Data library is the `data` extra of the ray package)
    except ImportError as exc:
        raise RayUnavailable("ray_missing", f"--engine ray needs Ray Data: {INSTALL_HINT}") from exc
    return ray


def actor_precision(precision: str, texts: int) -> str:
    """The precision one actor uses, so that the whole call follows SentenceTransformerEncoder's rule.

    "auto" decides bf16 once per encode call (at least AUTO_BF16_MIN_BATCH texts and a native-bf16
    CPU); an actor sees only its batches, so it gets the decision for the call, not for its batch.
    """
    if precision != "auto":
        return precision
    return "bf16" if texts >= AUTO_BF16_MIN_BATCH and native_bf16() else "fp32"


@dataclass(frozen=True)
class RunStats:
    """One encode call on Ray: wall seconds of the whole call, and of the span in which actors
    embedded (first batch started to last batch finished, so without actor start-up and model loads);
    cpu_seconds is the CPU time the actors spent encoding, summed (a fair rate on a shared machine)."""

    texts: int
    actors: int
    batches: int
    seconds: float
    embedding_seconds: float
    cpu_seconds: float


class EmbedActor:
    """One Ray actor: loads the model once, then turns batches of {row, text} into {row, vector}."""

    def __init__(self, model: str, precision: str, texts: int, batch_size: int) -> None:
        self.encoder = load_encoder(model, actor_precision(precision, texts))
        self.batch_size = batch_size

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Encode one batch (its rows already of similar length, so little padding), timed."""
        started, cpu = time.time(), time.process_time()  # wall clock: comparable across one cluster's actors
        vectors = self.encoder.encode([str(t) for t in batch["text"]], batch_size=self.batch_size)
        per_row_cpu = (time.process_time() - cpu) / max(1, len(vectors))
        span = np.array([[started, time.time(), per_row_cpu]] * len(vectors))
        return {"row": batch["row"], "vector": vectors, "span": span}


def batch_rows(texts: int, actors: int) -> int:
    """Rows per Ray batch for `texts` sentences over `actors` actors (a multiple of 64)."""
    rows = math.ceil(texts / max(1, actors * BATCHES_PER_ACTOR))
    return int(min(MAX_BATCH_ROWS, max(MIN_BATCH_ROWS, math.ceil(rows / 64) * 64)))


class RayEncoder:
    """An Encoder that embeds on a Ray cluster: same name, dimension and rows as the local model."""

    def __init__(self, name: str, dimension: int, precision: str, actors: int) -> None:
        self.name = name
        self.dimension = dimension
        self.precision = precision
        self.actors = actors
        self.last_run: RunStats | None = None

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Unit float32 rows in the order of `texts`, embedded by the actor pool."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        dataset, batches = self._dataset(texts, batch_size, progress)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        spans = np.zeros((len(texts), 3))  # started, finished, CPU seconds per row
        started = time.perf_counter()
        try:
            for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
                out[batch["row"]] = batch["vector"]  # Ray Data need not keep order: rows put it back
                spans[batch["row"]] = batch["span"]
        except Exception as exc:  # a worker without the model, a lost node: one line, no index written
            raise RayUnavailable("ray_failed", f"embedding on Ray failed ({_one_line(exc)})") from exc
        self.last_run = RunStats(
            len(texts),
            self.actors,
            batches,
            time.perf_counter() - started,
            float(spans[:, 1].max() - spans[:, 0].min()),
            float(spans[:, 2].sum()),
        )
        return out

    def _dataset(self, texts: list[str], batch_size: int, progress: bool) -> tuple[Any, int]:
        """The lazy Ray Dataset of {row, vector} for `texts`, and how many batches it has."""
        ray = import_ray()
        # Longest first: batches of similar lengths pad little, and the big ones start early.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        rows = batch_rows(len(texts), self.actors)
        batches = math.ceil(len(texts) / rows)
        ray.data.DataContext.get_current().enable_progress_bars = progress
        logging.getLogger("ray.data").setLevel(logging.INFO if progress else logging.WARNING)
        # One block per batch, so no batch is stitched from two ends of the length order.
        items = ray.data.from_items([{"row": i, "text": texts[i]} for i in order], override_num_blocks=batches)
        dataset = items.map_batches(
            EmbedActor,
            batch_size=rows,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=self.actors),
            num_cpus=1,
            fn_constructor_kwargs={
                "model": self.name,
                "precision": self.precision,
                "texts": len(texts),
                "batch_size": batch_size,
            },
        )
        return dataset, batches


def _one_line(exc: BaseException) -> str:
    """An exception as 'Type: first line of its message' (Ray's messages run to pages)."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


def check_reachable(address: str) -> None:
    """Fail fast, in one line, when host:port does not accept connections (ray.init retries for long)."""
    if address == "auto":
        return  # the cluster started on this machine by `ray start`, found through its session files
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise RayUnavailable("ray_bad_address", f"--address must be HOST:PORT or auto, got {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise RayUnavailable(
            "ray_unreachable",
            f"no Ray cluster answers at {address} ({exc.strerror or exc}); "
            "start one with `ray start --head` (see README, Scaling out)",
        ) from exc


def connect(ray: Any, address: str | None) -> Cluster:
    """Join the cluster at `address`, or start a local one sized to this machine, bound to 127.0.0.1."""
    options: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING, "configure_logging": True}
    if address:
        options["address"] = address
    else:  # a private cluster: every Ray process listens on loopback only
        options.update(num_cpus=os.cpu_count() or 1, _node_ip_address="127.0.0.1")
    try:
        ray.init(**options)
    except Exception as exc:  # ConnectionError, auth and version mismatches: all mean "fix the cluster"
        raise RayUnavailable(
            "ray_unreachable", f"cannot join Ray at {address or 'a local cluster'} ({_one_line(exc)})"
        ) from exc
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    return Cluster(
        address=address or "local",
        cpus=int(ray.cluster_resources().get("CPU", 0)),
        nodes=len(nodes),
        ray_version=ray.__version__,
    )


@contextmanager
def ray_encoder(
    settings: Settings, address: str | None = None, actors: int | None = None
) -> Iterator[tuple[RayEncoder, Cluster]]:
    """A RayEncoder on a connected cluster, one actor per CPU unless `actors` says; disconnects after."""
    ray = import_ray()
    if address:
        check_reachable(address)  # before loading anything: a wrong address fails in seconds
    local: Encoder = load_encoder(settings.model, settings.precision)  # checks the model, gives its dimension
    name, dimension = local.name, local.dimension
    del local
    cluster = connect(ray, address)
    try:
        if cluster.cpus < 1:  # an actor pool would wait for a CPU forever
            raise RayUnavailable(
                "ray_no_cpus",
                f"the Ray cluster at {cluster.address} has no CPUs: add a node with `ray start --address ...`",
            )
        yield RayEncoder(name, dimension, settings.precision, actors or cluster.cpus), cluster
    finally:
        ray.shutdown()  # a local cluster stops with it; a joined one keeps running
