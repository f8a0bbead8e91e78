"""CollectionIndex alone (no database): exact and indexed search, deletes, and changes that land
while a rebuild runs."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from facerec_devstack import synthetic
from facerec_registry.face_arrays import UUIDS, Rows
from facerec_registry.search import vector_index
from facerec_registry.search.vector_index import CollectionIndex, IndexSettings

DIM = 64
rng = np.random.default_rng(3)


def _rows(count: int, per_person: int = 1) -> Rows:
    people = [uuid.uuid4().bytes for _ in range(-(-count // per_person))]
    return Rows(
        synthetic.unit_vectors(rng, count, DIM),
        np.array([uuid.uuid4().bytes for _ in range(count)], dtype=UUIDS),
        np.array([people[i // per_person] for i in range(count)], dtype=UUIDS),
    )


def _index(rows: Rows, min_faces: int = 500) -> CollectionIndex:
    index = CollectionIndex(b"c" * 16, "v1", DIM, IndexSettings(min_faces=min_faces, candidates=64))
    index.reset(rows, seq=1, names={})
    if index.needs_rebuild():
        index.rebuild()
    return index


def _faces(hits: list[vector_index.Hit]) -> list[bytes]:
    return [h.face_id for h in hits]


@pytest.mark.parametrize("exact", [False, True])
def test_finds_the_nearest_person_with_exact_similarities(exact: bool) -> None:
    rows = _rows(2000, per_person=2)
    index = _index(rows)
    assert index.snapshot.ann is not None
    probes = synthetic.probes_near(rng, rows.vectors[:50], np.full(50, 0.8, np.float32))
    results = index.search_many(probes, top_k=3, exact=exact)
    for i, (hits, method) in enumerate(results):
        assert method == ("exact" if exact else "index")
        assert hits[0].face_id == rows.face_ids[i].tobytes()
        assert hits[0].similarity == pytest.approx(float(rows.vectors[i] @ probes[i]), abs=1e-6)
        assert len({h.person_id for h in hits}) == 3  # one hit per person


def test_small_collections_are_scanned_exactly() -> None:
    index = _index(_rows(100))
    assert index.snapshot.ann is None
    assert index.search(synthetic.unit_vectors(rng, 1, DIM)[0], 1, exact=False)[1] == "exact"


def test_deleted_faces_are_never_returned_from_base_or_delta() -> None:
    rows = _rows(1000)
    index = _index(rows)
    extra = _rows(10)
    index.apply(np.empty(0, UUIDS), extra, seq=2, names={})
    gone = np.concatenate([rows.face_ids[:5], extra.face_ids[:5]])
    index.apply(gone, Rows.empty(DIM), seq=3, names={})
    assert index.applied_seq == 3
    assert index.snapshot.size == 1000 + 10 - 10
    targets = np.concatenate([rows.vectors[:5], extra.vectors[:5]])
    for exact in (False, True):
        for hits, _ in index.search_many(targets, top_k=20, exact=exact):
            assert not set(_faces(hits)) & {g.tobytes() for g in gone}


def test_changes_during_a_rebuild_are_carried_over(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _rows(1200)
    index = _index(rows)
    late = _rows(3)
    build = vector_index._build_ann

    def build_while_changes_land(vectors: np.ndarray, settings: IndexSettings) -> object:
        # As if a search's catch-up applied these while the rebuild thread was building.
        index.apply(rows.face_ids[:2], late, seq=9, names={})
        return build(vectors, settings)

    index.apply(np.empty(0, UUIDS), _rows(200).take(np.arange(200)), seq=5, names={})
    monkeypatch.setattr(vector_index, "_build_ann", build_while_changes_land)
    index.rebuild()
    s = index.snapshot
    assert s.size == 1200 + 200 + 3 - 2
    found = {h.face_id for (h,) in [hits[:1] for hits, _ in index.search_many(late.vectors, 1, exact=True)]}
    assert found == {f.tobytes() for f in late.face_ids}
    for hits, _ in index.search_many(rows.vectors[:2], top_k=10, exact=False):
        assert not set(_faces(hits)) & {f.tobytes() for f in rows.face_ids[:2]}
