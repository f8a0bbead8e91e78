"""Searches of one compressed index that arrive while it is being read share the next read.

At a million faces a search is bound by reading the index's codes (tens of MB), and one read
answers several queries for little more than the cost of one. A search that finds the index
free is read at once (with any that arrive in the same turn of the event loop): a lone caller
waits for nobody. Searches that arrive meanwhile queue, and the next read answers them, up to
MAX_READ_QUERIES. A caller that has gone (cancelled, deadline passed) is dropped before its read.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import numpy as np

from facerec_registry import metrics
from facerec_registry.face_arrays import Floats
from facerec_registry.search.vector_index import CollectionIndex, Hit, Method

Results = list[tuple[list[Hit], Method]]
# Queries one read answers at most: candidates and latency grow with the batch.
MAX_READ_QUERIES = 64


@dataclass
class _Waiting:
    index: CollectionIndex
    queries: Floats
    top_k: int
    done: asyncio.Future[Results]


class ScanQueue:
    """The reads of one collection's index, one at a time."""

    def __init__(self) -> None:
        self._waiting: list[_Waiting] = []
        self._reader: asyncio.Task[None] | None = None
        self.reads = 0

    async def search(self, index: CollectionIndex, queries: Floats, top_k: int) -> Results:
        """`index.search_many(queries, top_k, exact=False)`, from the next read of `index`."""
        done: asyncio.Future[Results] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(index, queries, top_k, done))
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read_all(), name="index-reads")
        return await done

    @property
    def idle(self) -> bool:
        return not self._waiting and (self._reader is None or self._reader.done())

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def _read_all(self) -> None:
        try:
            while self._waiting:
                await self._read_next()
        finally:  # closing: nobody may wait forever
            for waiting in self._waiting:
                waiting.done.cancel()
            self._waiting = []

    async def _read_next(self) -> None:
        batch = self._take()
        if not batch:
            return
        try:
            queries = np.concatenate([w.queries for w in batch])
            results = await asyncio.to_thread(batch[0].index.search_many, queries, max(w.top_k for w in batch), False)
        except Exception as exc:  # every caller of this read hears it
            for w in batch:
                if not w.done.done():
                    w.done.set_exception(exc)
            return
        except BaseException:
            for w in batch:
                w.done.cancel()
            raise
        self.reads += 1
        metrics.INDEX_READ_QUERIES.observe(len(queries))
        start = 0
        for w in batch:
            # Asked for the batch's largest top_k: each caller's first top_k people are its answer.
            part = results[start : start + len(w.queries)]
            start += len(w.queries)
            if not w.done.done():
                w.done.set_result([(hits[: w.top_k], method) for hits, method in part])

    def _take(self) -> list[_Waiting]:
        """Searches for one read: of one index (a reload may have replaced it while searches
        waited), oldest first, up to MAX_READ_QUERIES queries (a larger search reads alone)."""
        index = self._waiting[0].index
        batch: list[_Waiting] = []
        rest: list[_Waiting] = []
        queries = 0
        for w in self._waiting:
            if w.done.done():
                continue
            if w.index is index and (not batch or queries + len(w.queries) <= MAX_READ_QUERIES):
                batch.append(w)
                queries += len(w.queries)
            else:
                rest.append(w)
        self._waiting = rest
        return batch
