"""Dynamic batching: concurrent Embed calls share one model run.

A GPU answers a batch of 64 faces in about the time of one, so calls that arrive together are
run together. The model never idles to wait for company: when it is free, whatever is queued
runs at once (a lone call pays nothing); while a batch runs, new calls queue and form the next
one. `max_wait_ms` lets a free model wait a little for a fuller batch (worth it on a GPU under
load, not on a CPU). The queue has a bound: beyond it a call is refused (RESOURCE_EXHAUSTED),
so overload is answered at once instead of by growing latency. A call whose client has gone
(cancelled, deadline passed) is dropped from its batch before the batch runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from facerec_common.errors import Overloaded
from facerec_embedder import metrics

Crops = npt.NDArray[np.uint8]
Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True)
class BatchSettings:
    max_batch: int = 64  # faces per model run
    max_wait_ms: float = 0.0  # how long a free model may wait for more faces
    max_queued: int = 1024  # faces waiting beyond this: refuse
    concurrency: int = 1  # model runs in flight at once


@dataclass
class _Call:
    crops: Crops
    done: asyncio.Future[Vectors]
    queued_at: float = field(default_factory=time.monotonic)


@dataclass
class BatchStats:
    """What a batcher has done, for logs and metrics."""

    batches: int = 0
    faces: int = 0
    dropped: int = 0
    refused: int = 0
    queued_faces: int = 0
    last_batch_faces: int = 0
    wait_s_total: float = 0.0


class Batcher:
    def __init__(self, run: Callable[[Crops], Vectors], executor: Executor, settings: BatchSettings) -> None:
        self._run = run
        self._executor = executor
        self._settings = settings
        self._queue: deque[_Call] = deque()
        self._arrived = asyncio.Event()
        self._workers: list[asyncio.Task[None]] = []
        self.stats = BatchStats()

    def start(self) -> None:
        self._workers = [
            asyncio.create_task(self._work(), name=f"embed-batcher-{i}") for i in range(self._settings.concurrency)
        ]

    async def close(self) -> None:
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        for call in self._queue:
            call.done.cancel()
        self._queue.clear()
        self.stats.queued_faces = 0

    async def embed(self, crops: Crops) -> Vectors:
        """The embeddings of `crops`, from the next model run that has room for them."""
        if self.stats.queued_faces + len(crops) > self._settings.max_queued:
            self.stats.refused += 1
            metrics.REFUSED.inc()
            raise Overloaded(
                f"The embedder has {self.stats.queued_faces} faces queued; try again shortly.",
                queued_faces=str(self.stats.queued_faces),
            )
        call = _Call(crops, asyncio.get_running_loop().create_future())
        self._queue.append(call)
        self.stats.queued_faces += len(crops)
        self._arrived.set()
        return await call.done

    async def _work(self) -> None:
        while True:
            while not self._queue:
                self._arrived.clear()
                await self._arrived.wait()
            if self._settings.max_wait_ms > 0 and self._queued_faces() < self._settings.max_batch:
                await asyncio.sleep(self._settings.max_wait_ms / 1000)
            calls = self._take()
            if not calls:
                continue
            batch = np.concatenate([c.crops for c in calls])
            loop = asyncio.get_running_loop()
            try:
                vectors = await loop.run_in_executor(self._executor, self._run, batch)
            except Exception as exc:  # the model failed: every caller of this batch hears it
                for call in calls:
                    if not call.done.done():
                        call.done.set_exception(exc)
                continue
            except BaseException:  # closing mid-run: its callers must not wait forever
                for call in calls:
                    call.done.cancel()
                raise
            self.stats.batches += 1
            self.stats.faces += len(batch)
            self.stats.last_batch_faces = len(batch)
            start = 0
            for call in calls:
                part = vectors[start : start + len(call.crops)]
                start += len(call.crops)
                if not call.done.done():
                    call.done.set_result(part)

    def _queued_faces(self) -> int:
        return sum(len(c.crops) for c in self._queue)

    def _take(self) -> list[_Call]:
        """Calls for one run: whole calls, oldest first, up to max_batch faces (a larger call
        runs alone); calls already cancelled are dropped."""
        taken: list[_Call] = []
        faces = 0
        now = time.monotonic()
        while self._queue:
            call = self._queue[0]
            if call.done.done():  # cancelled by its caller: nothing to compute
                self._queue.popleft()
                self.stats.queued_faces -= len(call.crops)
                self.stats.dropped += 1
                metrics.DROPPED.inc()
                continue
            if taken and faces + len(call.crops) > self._settings.max_batch:
                break
            self._queue.popleft()
            self.stats.queued_faces -= len(call.crops)
            self.stats.wait_s_total += now - call.queued_at
            metrics.QUEUE_WAIT_SECONDS.observe(now - call.queued_at)
            taken.append(call)
            faces += len(call.crops)
        return taken
