"""The search index through real RegistryService replicas on one PostgreSQL: recall against exact
search, writes, deletes and renames seen at once by every replica, the names a replica holds, the
index an answered import leaves, sync rounds, and refusals. (Bulk import and export:
test_bulk_import_export.py; the replicas: conftest.py.)

The index threshold is lowered so a few thousand synthetic vectors take the index path.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable

import grpc
import numpy as np
import psycopg
import pytest

from facerec.common.v1 import types_pb2
from facerec.registry.v1 import registry_pb2, registry_pb2_grpc
from facerec_common import errors, packed
from facerec_devstack import registry_calls, synthetic
from facerec_registry.search import indexes as search_indexes
from facerec_registry.search.indexes import SearchIndexes
from facerec_registry.settings import RegistrySettings
from facerec_registry.startup import create_server

Stub = registry_pb2_grpc.RegistryServiceStub
MODEL = synthetic.Model("w600k_mbf", "9cc6e4a75f0e", 512)
MODEL_INFO = types_pb2.ModelInfo(name=MODEL.name, version=MODEL.version, dimension=MODEL.dimension)
FACES, PER_PERSON = 3000, 2
rng = np.random.default_rng(7)


async def _import(stub: Stub, collection: str, chunks: Iterable[bytes], new_ids: bool = False, key: str = ""):  # type: ignore[no-untyped-def]
    return await registry_calls.import_file(stub, collection, chunks, new_ids, key)


async def _refused(pending) -> errors.FacerecError:  # type: ignore[no-untyped-def]
    return await registry_calls.refusal(pending)


async def _match(stub: Stub, collection: str, probe: np.ndarray, top_k: int = 1, exact: bool = False):  # type: ignore[no-untyped-def]
    return await registry_calls.match(stub, collection, probe, MODEL_INFO, top_k, exact)


async def _enrol_new_person(stub: Stub, collection: str, name: str, vector: np.ndarray):  # type: ignore[no-untyped-def]
    person = await stub.CreatePerson(registry_pb2.CreatePersonRequest(collection=collection, name=name), timeout=10)
    request = registry_pb2.EnrollFaceRequest(
        collection=collection,
        person_id=person.person_id,
        embedding=packed.message(vector),
        model=MODEL_INFO,
        aligned=types_pb2.RgbImage(width=1, height=1, pixels=b"abc"),
        display_image=b"j",
    )
    return await stub.EnrollFace(request, timeout=10)


async def _collection_id(database_url: str, name: str) -> uuid.UUID:
    async with await psycopg.AsyncConnection.connect(database_url.replace("+psycopg", "")) as db:
        row = await (await db.execute("SELECT id FROM collections WHERE name = %s", [name])).fetchone()
    assert row is not None
    found: uuid.UUID = row[0]
    return found


@pytest.fixture(scope="module")
async def gallery(replicas: tuple[Stub, Stub]) -> tuple[str, np.ndarray]:
    return await registry_calls.load_gallery(replicas, rng, MODEL, FACES, PER_PERSON)


async def test_index_recall_matches_exact_search(replicas: tuple[Stub, Stub], gallery: tuple[str, np.ndarray]) -> None:
    name, vectors = gallery
    targets = rng.choice(FACES, 60, replace=False)
    probes = synthetic.probes_near(rng, vectors[targets], rng.uniform(0.3, 0.8, 60).astype(np.float32))
    agree = 0
    for replica in replicas:
        for probe, target in zip(probes, targets, strict=True):
            indexed = await _match(replica, name, probe, top_k=3)
            exact = await _match(replica, name, probe, top_k=3, exact=True)
            assert (indexed.method, exact.method) == ("index", "exact")
            # The exact answer is numpy's over the same vectors: the person owning the nearest row.
            best_row = int(np.argmax(vectors @ probe))
            assert exact.candidates[0].similarity == pytest.approx(float(vectors[best_row] @ probe), abs=1e-5)
            assert best_row // PER_PERSON == target // PER_PERSON or exact.candidates[0].similarity > 0.3
            agree += indexed.candidates[0].face_id == exact.candidates[0].face_id
            # Re-ranked exactly: a face found by both has the same similarity.
            assert indexed.candidates[0].similarity <= exact.candidates[0].similarity + 1e-6
    assert agree / (2 * len(probes)) >= 0.98


async def test_group_photo_faces_match_in_one_call(
    replicas: tuple[Stub, Stub], gallery: tuple[str, np.ndarray]
) -> None:
    name, vectors = gallery
    probes = synthetic.probes_near(rng, vectors[:7], np.full(7, 0.7, np.float32))
    request = registry_pb2.MatchFacesRequest(
        collection=name,
        model=MODEL_INFO,
        embeddings=[packed.message(p) for p in probes],
        top_k=2,
    )
    reply = await replicas[1].MatchFaces(request, timeout=30)
    assert len(reply.results) == 7
    for i, result in enumerate(reply.results):
        assert result.method == "index"
        assert result.match
        assert result.candidates[0].similarity == pytest.approx(float(vectors[i] @ probes[i]), abs=1e-5)


async def test_writes_and_deletes_are_seen_at_once_by_every_replica(
    replicas: tuple[Stub, Stub], gallery: tuple[str, np.ndarray]
) -> None:
    name, _ = gallery
    a, b = replicas
    for writer, reader in ((a, b), (b, a)):
        vector = synthetic.unit_vectors(rng, 1, MODEL.dimension)[0]
        enrolled = await _enrol_new_person(writer, name, "new", vector)
        probe = synthetic.probes_near(rng, vector[None], np.array([0.5], np.float32))[0]
        found = await _match(reader, name, probe)
        assert (found.method, found.candidates[0].face_id) == ("index", enrolled.face.face_id)

        await writer.DeleteFace(
            registry_pb2.DeleteFaceRequest(collection=name, face_id=enrolled.face.face_id), timeout=10
        )
        for replica in (reader, writer):
            found = await _match(replica, name, probe, top_k=5)
            assert enrolled.face.face_id not in [c.face_id for c in found.candidates]

    # Erasing a person takes every face of theirs out of every replica's answers.
    victim = (await _match(a, name, synthetic.unit_vectors(rng, 1, MODEL.dimension)[0])).candidates[0]
    await b.DeletePerson(registry_pb2.DeletePersonRequest(collection=name, person_id=victim.person_id), timeout=10)
    faces = await a.ListFaces(registry_pb2.ListFacesRequest(collection=name, person_id=""), timeout=10)
    assert faces.faces  # the collection is still there
    for replica in (a, b):
        for _ in range(3):
            found = await _match(replica, name, synthetic.unit_vectors(rng, 1, MODEL.dimension)[0], top_k=100)
            assert victim.person_id not in {c.person_id for c in found.candidates}


async def test_a_rename_is_seen_at_once_by_every_replica(
    replicas: tuple[Stub, Stub], gallery: tuple[str, np.ndarray]
) -> None:
    # A current index answers with the names it holds: a rename is a change every replica catches
    # up before its next answer, like a write of a face.
    name, vectors = gallery
    a, b = replicas
    before = (await _match(b, name, vectors[11])).candidates[0]
    for i, (writer, reader) in enumerate(((a, b), (b, a))):
        new_name = f"renamed {i}"
        request = registry_pb2.UpdatePersonRequest(collection=name, person_id=before.person_id, name=new_name)
        await writer.UpdatePerson(request, timeout=10)
        for replica in (reader, writer, reader, writer):  # caught up by the first search, then current
            found = await _match(replica, name, vectors[11])
            assert found.method == "index"
            assert (found.candidates[0].person_id, found.candidates[0].person_name) == (before.person_id, new_name)
    # A new person's name comes with their first face.
    vector = synthetic.unit_vectors(rng, 1, MODEL.dimension)[0]
    await _enrol_new_person(a, name, "newcomer", vector)
    for replica in (b, a, b):
        assert (await _match(replica, name, vector)).candidates[0].person_name == "newcomer"


def _with_people_without_faces(chunks: Iterable[bytes], names: Iterable[str]) -> list[bytes]:
    """A collection file (one chunk of people lines) with people who have no face added."""
    header, people, *faces = chunks
    head = json.loads(header)
    extra = [b'{"type":"person","id":"%s","name":"%s"}\n' % (str(uuid.uuid4()).encode(), n.encode()) for n in names]
    head["people"] += len(extra)
    return [json.dumps(head).encode() + b"\n", people + b"".join(extra), *faces]


async def test_a_replica_holds_no_name_of_a_person_without_faces(
    database_url: str,
    lone_replica: tuple[Stub, SearchIndexes],
    replicas: tuple[Stub, Stub],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Answers never return a deleted person, and their name should not stay behind in a replica
    # either. A person without faces can be deleted with no change a replica reads (no face of
    # theirs goes), so no replica holds such a name: not from a load, an import or a rename, and
    # not once their last face is gone.
    stub, indexes = lone_replica
    name = f"erased-{uuid.uuid4().hex[:8]}"
    gallery = synthetic.collection_file(MODEL, synthetic.unit_vectors(rng, 20, 512), 2)
    await _import(replicas[0], name, _with_people_without_faces(gallery, ["no face in the file"]))
    vectors = synthetic.unit_vectors(rng, 3, MODEL.dimension)
    _, erased, faceless = [
        await _enrol_new_person(replicas[0], name, n, v) for n, v in zip("abc", vectors, strict=True)
    ]
    pending = await replicas[0].CreatePerson(
        registry_pb2.CreatePersonRequest(collection=name, name="no photo yet"), timeout=10
    )
    assert (await _match(stub, name, vectors[0])).candidates[0].person_name == "a"  # a full load
    index = indexes._indexes[await _collection_id(database_url, name)]
    held = set(index.names.values())
    assert {"a", "b", "c", "person 0"} <= held
    assert not {"no face in the file", "no photo yet"} & held

    # Through another replica: one person erased, one who keeps their entry but not their face, and
    # a faceless person renamed.
    await replicas[0].DeletePerson(
        registry_pb2.DeletePersonRequest(collection=name, person_id=erased.face.person_id), timeout=10
    )
    await replicas[0].DeleteFace(
        registry_pb2.DeleteFaceRequest(collection=name, face_id=faceless.face.face_id), timeout=10
    )
    await replicas[0].UpdatePerson(
        registry_pb2.UpdatePersonRequest(collection=name, person_id=pending.person_id, name="renamed, no photo"),
        timeout=10,
    )
    assert (await _match(stub, name, vectors[0])).candidates[0].person_name == "a"  # caught up on the search
    held = set(index.names.values())
    assert "a" in held
    assert not {"b", "c", "no photo yet", "renamed, no photo"} & held

    # A face brings its person's name back.
    again = registry_pb2.EnrollFaceRequest(
        collection=name,
        person_id=faceless.face.person_id,
        embedding=packed.message(vectors[2]),
        model=MODEL_INFO,
        aligned=types_pb2.RgbImage(width=1, height=1, pixels=b"abc"),
        display_image=b"j",
    )
    await replicas[0].EnrollFace(again, timeout=10)
    assert (await _match(stub, name, vectors[2])).candidates[0].person_name == "c"
    assert "c" in index.names.values()

    # An import into an empty collection hands its rows (and names) to its replica's index.
    caplog.set_level(logging.INFO, logger=search_indexes.__name__)
    imported = f"erased-{uuid.uuid4().hex[:8]}"
    gallery = synthetic.collection_file(MODEL, synthetic.unit_vectors(rng, 1200, 512), 2)
    await _import(stub, imported, _with_people_without_faces(gallery, ["no face in the file"]))
    imported_id = await _collection_id(database_url, imported)
    assert f"search index of collection {imported_id}: 1200 faces handed over by its import" in caplog.text
    seeded = indexes._indexes[imported_id]
    assert len(seeded.names) == 600
    assert "no face in the file" not in seeded.names.values()


async def test_an_answered_import_is_indexed_on_its_replica(
    database_url: str, lone_replica: tuple[Stub, SearchIndexes]
) -> None:
    # No background sync and no search in between: the import itself loads the index, so the first
    # searches of a large import do not scan in SQL while it loads, and faces imported into a
    # collection that already had an index are in its compressed index, not scanned exactly.
    stub, indexes = lone_replica
    name = f"warm-{uuid.uuid4().hex[:8]}"
    small = synthetic.unit_vectors(rng, 200, MODEL.dimension)
    await _import(stub, name, synthetic.collection_file(MODEL, small, PER_PERSON))
    assert (await _match(stub, name, small[0])).method == "exact"  # under index_min_faces
    vectors = synthetic.unit_vectors(rng, 1300, MODEL.dimension)
    imported = await _import(stub, name, synthetic.collection_file(MODEL, vectors, PER_PERSON))
    assert (await _match(stub, name, vectors[0])).method == "index"
    assert imported.faces_imported == 1300
    assert indexes.status(await _collection_id(database_url, name))[:2] == ("ready", 1500)


async def test_an_import_into_an_empty_collection_hands_its_rows_to_the_index(
    database_url: str, lone_replica: tuple[Stub, SearchIndexes], caplog: pytest.LogCaptureFixture
) -> None:
    # Built from the rows the import wrote, not read back, and with the ids stored (new_ids): a
    # delete through an id the index returned reaches the index.
    caplog.set_level(logging.INFO, logger=search_indexes.__name__)
    stub, _ = lone_replica
    name = f"seeded-{uuid.uuid4().hex[:8]}"
    vectors = synthetic.unit_vectors(rng, 1300, MODEL.dimension)
    await _import(stub, name, synthetic.collection_file(MODEL, vectors, PER_PERSON), new_ids=True)
    found = await _match(stub, name, vectors[7])
    assert (found.method, round(found.candidates[0].similarity, 4)) == ("index", 1.0)
    await stub.DeleteFace(registry_pb2.DeleteFaceRequest(collection=name, face_id=found.candidates[0].face_id))
    after = await _match(stub, name, vectors[7])
    assert after.candidates[0].face_id != found.candidates[0].face_id
    collection_id = await _collection_id(database_url, name)
    assert f"search index of collection {collection_id}: 1300 faces handed over by its import" in caplog.text


async def test_a_sync_round_reads_only_the_collections_that_changed(
    database_url: str,
    lone_replica: tuple[Stub, SearchIndexes],
    replicas: tuple[Stub, Stub],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One statement a round says which collections changed, and only those are read: a snapshot
    # read of every collection each second held the event loop ~2 ms per idle collection.
    stub, indexes = lone_replica
    names = [f"idle-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for name in names:
        await _import(stub, name, synthetic.collection_file(MODEL, synthetic.unit_vectors(rng, 20, 512), PER_PERSON))
    ids = [await _collection_id(database_url, name) for name in names]
    read: list[uuid.UUID] = []
    catch_up = indexes._catch_up

    async def counted(index):  # type: ignore[no-untyped-def]
        read.append(uuid.UUID(bytes=index.collection_id))
        await catch_up(index)

    monkeypatch.setattr(indexes, "_catch_up", counted)
    await indexes._sync_once()
    assert not set(read) & set(ids)
    # Written through another replica: this one learns of it from the round, not from a search.
    more = synthetic.unit_vectors(rng, 10, 512)
    await _import(replicas[0], names[0], synthetic.collection_file(MODEL, more, PER_PERSON))
    await indexes._sync_once()
    assert [i for i in read if i in ids] == [ids[0]]
    assert indexes.status(ids[0])[:2] == ("ready", 30)
    assert indexes.status(ids[1])[:2] == ("ready", 20)


async def test_searches_survive_their_database_connections_being_cut(
    replicas: tuple[Stub, Stub], gallery: tuple[str, np.ndarray], database_url: str
) -> None:
    name, vectors = gallery
    assert (await _match(replicas[0], name, vectors[5])).candidates[0].similarity > 0.999
    with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    for _ in range(3):  # each stale pooled connection is dropped, and the search answered regardless
        assert (await _match(replicas[0], name, vectors[5])).candidates[0].similarity > 0.999


async def test_an_embedding_of_another_length_is_refused_by_the_index(
    replicas: tuple[Stub, Stub], gallery: tuple[str, np.ndarray]
) -> None:
    name, _ = gallery
    short = types_pb2.ModelInfo(name=MODEL.name, version=MODEL.version, dimension=256)
    request = registry_pb2.MatchFaceRequest(collection=name, embedding=packed.message([0.0625] * 256), model=short)
    refused = await _refused(replicas[0].MatchFace(request, timeout=30))
    assert refused.code == "INVALID_ARGUMENT"
    assert "512" in str(refused)


async def test_an_embedding_of_another_length_is_refused_in_sql_too(database_url: str) -> None:
    # Without an index every search is matched in SQL: the same refusal, not pgvector's error.
    settings = RegistrySettings(port=0, DATABASE_URL=database_url, search_index=False)
    server, port, _, resources = await create_server(settings)
    name = f"sql-{uuid.uuid4().hex[:8]}"
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = Stub(channel)
            await _import(stub, name, synthetic.collection_file(MODEL, synthetic.unit_vectors(rng, 10, 512), 1))
            short = types_pb2.ModelInfo(name=MODEL.name, version=MODEL.version, dimension=256)
            request = registry_pb2.MatchFaceRequest(
                collection=name, embedding=packed.message([0.0625] * 256), model=short
            )
            refused = await _refused(stub.MatchFace(request, timeout=30))
        assert refused.code == "INVALID_ARGUMENT"
        assert "512" in str(refused)
    finally:
        await server.stop(None)
        await resources.close()
