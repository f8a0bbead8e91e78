"""The dynamic batcher around a stand-in model (this seam only; the gRPC tests use the real one)."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from facerec_common.errors import Overloaded
from facerec_embedder.batcher import Batcher, BatchSettings


class SlowModel:
    """Each crop's vector is its first pixel; every run takes `seconds` and is recorded."""

    def __init__(self, seconds: float = 0.05) -> None:
        self.seconds = seconds
        self.runs: list[int] = []
        self.release = threading.Event()
        self.release.set()

    def __call__(self, crops: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
        self.release.wait()
        threading.Event().wait(self.seconds)
        self.runs.append(len(crops))
        return crops[:, 0, 0, :1].astype(np.float32)


def crops(*values: int) -> np.ndarray:  # type: ignore[type-arg]
    return np.stack([np.full((112, 112, 3), v, np.uint8) for v in values])


@pytest.fixture
def executor():  # type: ignore[no-untyped-def]
    with ThreadPoolExecutor(2) as pool:
        yield pool


async def test_concurrent_calls_share_runs_and_get_their_own_answers(executor: ThreadPoolExecutor) -> None:
    model = SlowModel()
    batcher = Batcher(model, executor, BatchSettings(max_batch=8))
    batcher.start()
    answers = await asyncio.gather(*(batcher.embed(crops(i, i + 100)) for i in range(12)))
    await batcher.close()
    for i, vectors in enumerate(answers):
        assert vectors[:, 0].tolist() == [i, i + 100]
    assert sum(model.runs) == 24
    assert max(model.runs) <= 8
    assert len(model.runs) < 12  # batched: the first call runs alone, the rest in fours


async def test_a_lone_call_does_not_wait_for_company(executor: ThreadPoolExecutor) -> None:
    model = SlowModel(seconds=0)
    batcher = Batcher(model, executor, BatchSettings(max_batch=64))
    batcher.start()
    loop = asyncio.get_running_loop()
    started = loop.time()
    await batcher.embed(crops(1))
    await batcher.close()
    assert loop.time() - started < 0.05


async def test_a_cancelled_call_leaves_its_batch(executor: ThreadPoolExecutor) -> None:
    model = SlowModel()
    model.release.clear()  # the first run blocks, so the next calls queue behind it
    batcher = Batcher(model, executor, BatchSettings(max_batch=8))
    batcher.start()
    first = asyncio.create_task(batcher.embed(crops(1)))
    await asyncio.sleep(0.05)
    gone = asyncio.create_task(batcher.embed(crops(2, 2, 2)))
    kept = asyncio.create_task(batcher.embed(crops(3)))
    await asyncio.sleep(0.01)
    gone.cancel()
    model.release.set()
    assert (await kept)[:, 0].tolist() == [3]
    await first
    await batcher.close()
    assert model.runs == [1, 1]
    assert batcher.stats.dropped == 1


async def test_overload_is_refused_not_queued(executor: ThreadPoolExecutor) -> None:
    model = SlowModel()
    model.release.clear()
    batcher = Batcher(model, executor, BatchSettings(max_batch=4, max_queued=4))
    batcher.start()
    first = asyncio.create_task(batcher.embed(crops(1)))
    await asyncio.sleep(0.05)  # running now: the queue is empty
    queued = asyncio.create_task(batcher.embed(crops(1, 2, 3)))
    await asyncio.sleep(0)
    with pytest.raises(Overloaded):
        await batcher.embed(crops(4, 5))
    model.release.set()
    await asyncio.gather(first, queued)
    await batcher.close()
    assert batcher.stats.refused == 1


async def test_a_model_failure_reaches_every_caller_of_the_batch(executor: ThreadPoolExecutor) -> None:
    def broken(batch: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
        raise RuntimeError("model exploded")

    batcher = Batcher(broken, executor, BatchSettings())
    batcher.start()
    results = await asyncio.gather(batcher.embed(crops(1)), batcher.embed(crops(2)), return_exceptions=True)
    await batcher.close()
    assert all(isinstance(r, RuntimeError) for r in results)


async def test_closing_mid_run_releases_its_callers(executor: ThreadPoolExecutor) -> None:
    model = SlowModel()
    model.release.clear()
    batcher = Batcher(model, executor, BatchSettings())
    batcher.start()
    running = asyncio.create_task(batcher.embed(crops(1)))
    await asyncio.sleep(0.05)
    await batcher.close()
    model.release.set()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(running, 1)
