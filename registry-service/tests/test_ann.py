"""The sharded compressed index alone: shards split the rows, and a search finds rows of every shard."""

from __future__ import annotations

import numpy as np
import pytest

from facerec_devstack import synthetic
from facerec_registry.search import ann
from facerec_registry.search.ann import ShardedIndex

DIM = 64
rng = np.random.default_rng(5)


@pytest.mark.parametrize("shards", [1, 3])
def test_every_shard_answers_with_row_numbers_of_the_whole(shards: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ann, "MIN_SHARD_ROWS", 500)
    vectors = synthetic.unit_vectors(rng, 3000, DIM)
    index = ShardedIndex.build(vectors, f"RR{DIM},PQ{DIM // 4}x4fs", shards)
    assert index.shard_count == shards
    assert index.code_bytes == 3000 * DIM // 8  # 4 bits per four dimensions
    targets = np.arange(0, 3000, 37)  # rows in every shard, first and last included
    targets[-1] = 2999
    probes = synthetic.probes_near(rng, vectors[targets], np.full(len(targets), 0.8, np.float32))
    found = index.search(probes, 32, threads=shards)
    assert found.shape == (len(targets), 32)
    assert found.min() >= 0
    assert found.max() < 3000
    best = [rows[int(np.argmax(vectors[rows] @ p))] for rows, p in zip(found, probes, strict=True)]
    assert np.mean(np.array(best) == targets) >= 0.95


def test_small_indexes_stay_one_shard() -> None:
    vectors = synthetic.unit_vectors(rng, 3000, DIM)
    assert ShardedIndex.build(vectors, f"PQ{DIM // 2}x4fs", 4).shard_count == 1


def test_asking_for_more_rows_than_there_are_answers_them_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ann, "MIN_SHARD_ROWS", 10)
    vectors = synthetic.unit_vectors(rng, 40, DIM)
    index = ShardedIndex.build(vectors, "Flat", 2)
    found = index.search(vectors[:3], 60, threads=2)
    assert found.shape == (3, 40)
    assert sorted(found[0]) == list(range(40))


def test_inner_products_of_chosen_rows_are_numpys() -> None:
    vectors = synthetic.unit_vectors(rng, 500, DIM)
    query = vectors[7]
    rows = np.array([499, 7, 0, 7, 250])
    assert np.allclose(ann.inner_products(vectors, rows, query), vectors[rows] @ query, atol=1e-6)
    assert ann.inner_products(vectors, rows[:0], query).shape == (0,)
    # A view that is not contiguous takes numpy's way, with the same answer.
    strided = vectors[::2]
    assert np.allclose(ann.inner_products(strided, rows // 2, query), strided[rows // 2] @ query, atol=1e-6)


@pytest.mark.parametrize("rows", [[0, 500], [-1, 3]])
def test_inner_products_refuse_rows_outside_the_vectors(rows: list[int]) -> None:
    vectors = synthetic.unit_vectors(rng, 500, DIM)
    with pytest.raises(IndexError):
        ann.inner_products(vectors, np.array(rows), vectors[0])


def test_inner_products_refuse_a_query_of_another_length() -> None:
    vectors = synthetic.unit_vectors(rng, 500, DIM)
    with pytest.raises(IndexError):
        ann.inner_products(vectors, np.array([1, 2]), vectors[0][:-1])
