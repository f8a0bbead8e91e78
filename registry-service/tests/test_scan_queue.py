"""Searches that arrive while an index is read share the next read, and get their own answers."""

from __future__ import annotations

import asyncio
import uuid

import numpy as np
import pytest

from facerec_devstack import synthetic
from facerec_registry.face_arrays import UUIDS, Rows
from facerec_registry.search import scan_queue
from facerec_registry.search.scan_queue import ScanQueue
from facerec_registry.search.vector_index import CollectionIndex, IndexSettings

DIM = 64
rng = np.random.default_rng(11)


def _index(count: int = 3000) -> CollectionIndex:
    rows = Rows(
        synthetic.unit_vectors(rng, count, DIM),
        np.array([uuid.uuid4().bytes for _ in range(count)], dtype=UUIDS),
        np.array([uuid.uuid4().bytes for _ in range(count)], dtype=UUIDS),
    )
    index = CollectionIndex(b"c" * 16, "v1", DIM, IndexSettings(min_faces=500, candidates=64))
    index.reset(rows, seq=1, names={})
    index.rebuild()
    assert index.snapshot.ann is not None
    return index


async def test_concurrent_searches_share_reads_and_get_their_own_answers() -> None:
    index, queue = _index(), ScanQueue()
    rows = index.snapshot.base
    sizes, top_ks = (1, 1, 3, 1, 2, 1, 1, 1), [1, 5, 2, 10, 1, 3, 7, 1]
    targets = np.split(rng.choice(len(rows), sum(sizes), replace=False), np.cumsum(sizes)[:-1])
    probes = [synthetic.probes_near(rng, rows.vectors[t], np.full(len(t), 0.8, np.float32)) for t in targets]
    answers = await asyncio.gather(*(queue.search(index, p, k) for p, k in zip(probes, top_ks, strict=True)))
    assert queue.reads < len(probes)
    for t, k, answer in zip(targets, top_ks, answers, strict=True):
        assert [hits[0].face_id for hits, _ in answer] == [rows.face_ids[i].tobytes() for i in t]
        assert all(method == "index" and len(hits) == k for hits, method in answer)


async def test_a_lone_search_is_read_at_once_and_alone() -> None:
    index, queue = _index(), ScanQueue()
    [(hits, _)] = await queue.search(index, synthetic.unit_vectors(rng, 1, DIM), 3)
    assert len(hits) == 3
    assert queue.reads == 1


async def test_a_cancelled_search_leaves_and_the_others_are_answered() -> None:
    index, queue = _index(), ScanQueue()
    rows = index.snapshot.base
    probes = synthetic.probes_near(rng, rows.vectors[:3], np.full(3, 0.8, np.float32))
    first = asyncio.create_task(queue.search(index, probes[0:1], 1))
    await asyncio.sleep(0)  # the first read starts
    gone = asyncio.create_task(queue.search(index, probes[1:2], 1))
    kept = asyncio.create_task(queue.search(index, probes[2:3], 1))
    await asyncio.sleep(0)
    gone.cancel()
    assert (await first)[0][0][0].face_id == rows.face_ids[0].tobytes()
    assert (await kept)[0][0][0].face_id == rows.face_ids[2].tobytes()
    assert gone.cancelled()
    assert queue.reads == 2


async def test_reads_answer_at_most_their_share_of_queries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan_queue, "MAX_READ_QUERIES", 2)
    index, queue = _index(), ScanQueue()
    answers = await asyncio.gather(*(queue.search(index, synthetic.unit_vectors(rng, 1, DIM), 1) for _ in range(6)))
    assert len(answers) == 6
    assert queue.reads == 3


async def test_a_batch_that_cannot_be_read_fails_its_callers_only() -> None:
    index, queue = _index(), ScanQueue()
    first = asyncio.create_task(queue.search(index, synthetic.unit_vectors(rng, 1, DIM), 1))
    await asyncio.sleep(0)
    # Queued together behind the first read; their shapes do not stack.
    wrong = [queue.search(index, synthetic.unit_vectors(rng, 1, d), 1) for d in (DIM, DIM // 2)]
    results = await asyncio.gather(*wrong, return_exceptions=True)
    assert all(isinstance(r, ValueError) for r in results)
    assert len((await first)[0][0]) == 1
    assert len((await queue.search(index, synthetic.unit_vectors(rng, 1, DIM), 1))[0][0]) == 1


async def test_a_failed_read_reaches_every_caller_and_the_queue_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    index, queue = _index(), ScanQueue()

    def broken(*_: object) -> None:
        raise MemoryError("out of memory")

    monkeypatch.setattr(index, "search_many", broken)
    calls = [queue.search(index, synthetic.unit_vectors(rng, 1, DIM), 1) for _ in range(3)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert all(isinstance(r, MemoryError) for r in results)
    monkeypatch.undo()
    assert len((await queue.search(index, synthetic.unit_vectors(rng, 1, DIM), 2))[0][0]) == 2
