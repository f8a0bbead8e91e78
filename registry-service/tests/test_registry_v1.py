"""RegistryService collections, people, bulk deletes, 1:1 comparison and re-embedding, on a real PostgreSQL."""

from __future__ import annotations

import uuid

import grpc
import numpy as np
import pytest
from google.protobuf import struct_pb2

from facerec.common.v1 import types_pb2
from facerec.registry.v1 import registry_pb2, registry_pb2_grpc
from facerec_common import errors, packed
from facerec_common.models import MOBILEFACENET

Stub = registry_pb2_grpc.RegistryServiceStub
MODEL = types_pb2.ModelInfo(name="w600k_mbf", version="9cc6e4a75f0e", dimension=512)
NEW_MODEL = types_pb2.ModelInfo(name="glintr100", version="0123456789ab", dimension=512)
CROP = types_pb2.RgbImage(width=112, height=112, pixels=bytes(112 * 112 * 3))
rng = np.random.default_rng(11)


def vec() -> list[float]:
    v = rng.normal(size=512)
    return (v / np.linalg.norm(v)).astype(np.float32).tolist()


def struct(**values: object) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(values)
    return s


async def _error(pending) -> errors.FacerecError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await pending
    return errors.from_rpc_error(caught.value)


async def _collection(stub: Stub, name: str) -> None:
    await stub.CreateCollection(registry_pb2.CreateCollectionRequest(name=name), timeout=10)


async def _person(stub: Stub, collection: str, name: str, **kwargs: object) -> registry_pb2.Person:
    return await stub.CreatePerson(
        registry_pb2.CreatePersonRequest(collection=collection, name=name, **kwargs), timeout=10
    )  # type: ignore[arg-type]


async def _enrol(stub: Stub, collection: str, person_id: str, embedding: list[float], model=MODEL) -> str:  # type: ignore[no-untyped-def]
    reply = await stub.EnrollFace(
        registry_pb2.EnrollFaceRequest(
            collection=collection,
            person_id=person_id,
            embedding=packed.message(embedding),
            model=model,
            aligned=CROP,
            display_image=b"j",
        ),
        timeout=10,
    )
    face_id: str = reply.face.face_id
    return face_id


async def test_collection_lifecycle(registry_stub: Stub, collection: str) -> None:
    created = await registry_stub.CreateCollection(registry_pb2.CreateCollectionRequest(name=collection), timeout=10)
    assert (created.name, created.people_count, created.face_count, created.HasField("model")) == (
        collection,
        0,
        0,
        False,
    )
    again = await _error(
        registry_stub.CreateCollection(registry_pb2.CreateCollectionRequest(name=collection), timeout=10)
    )
    assert type(again) is errors.CollectionExists

    alice = await _person(registry_stub, collection, "Alice")
    await _enrol(registry_stub, collection, alice.person_id, vec())
    await _enrol(registry_stub, collection, alice.person_id, vec())
    got = await registry_stub.GetCollection(registry_pb2.GetCollectionRequest(name=collection), timeout=10)
    assert (got.people_count, got.face_count, got.model.version) == (1, 2, MODEL.version)

    listed, token = [], ""
    while True:
        page = await registry_stub.ListCollections(registry_pb2.ListCollectionsRequest(page_token=token), timeout=10)
        listed += [c.name for c in page.collections]
        token = page.next_page_token
        if not token:
            break
    assert collection in listed

    await registry_stub.DeleteCollection(registry_pb2.DeleteCollectionRequest(name=collection), timeout=10)
    gone = await _error(
        registry_stub.GetPerson(
            registry_pb2.GetPersonRequest(collection=collection, person_id=alice.person_id), timeout=10
        )
    )
    assert type(gone) is errors.CollectionNotFound


async def test_people_crud_and_paging(registry_stub: Stub, collection: str) -> None:
    await _collection(registry_stub, collection)
    ids = [(await _person(registry_stub, collection, f"P{i}")).person_id for i in range(7)]  # page_size_max is 5
    seen, token = [], ""
    while True:
        page = await registry_stub.ListPeople(
            registry_pb2.ListPeopleRequest(collection=collection, page_token=token), timeout=10
        )
        seen += [p.person_id for p in page.people]
        token = page.next_page_token
        if not token:
            break
    assert seen == ids

    alice = await _person(registry_stub, collection, "Alice", external_id="emp-1", metadata=struct(team="red", floor=3))
    assert alice.metadata["team"] == "red"
    taken = await _error(_person(registry_stub, collection, "Other", external_id="emp-1"))
    assert type(taken) is errors.ExternalIdTaken

    merged = await registry_stub.UpdatePerson(
        registry_pb2.UpdatePersonRequest(
            collection=collection, person_id=alice.person_id, name="Alice B", metadata=struct(team="blue")
        ),
        timeout=10,
    )
    assert (merged.name, merged.external_id, dict(merged.metadata)) == (
        "Alice B",
        "emp-1",
        {"team": "blue", "floor": 3.0},
    )
    replaced = await registry_stub.UpdatePerson(
        registry_pb2.UpdatePersonRequest(
            collection=collection, person_id=alice.person_id, metadata=struct(x=1), replace_metadata=True
        ),
        timeout=10,
    )
    assert dict(replaced.metadata) == {"x": 1.0}

    face_id = await _enrol(registry_stub, collection, alice.person_id, vec())
    await registry_stub.DeletePerson(
        registry_pb2.DeletePersonRequest(collection=collection, person_id=alice.person_id), timeout=10
    )
    err = await _error(
        registry_stub.GetFace(registry_pb2.GetFaceRequest(collection=collection, face_id=face_id), timeout=10)
    )
    assert type(err) is errors.FaceNotFound  # the person's faces went with them
    err = await _error(
        registry_stub.GetPerson(
            registry_pb2.GetPersonRequest(collection=collection, person_id=alice.person_id), timeout=10
        )
    )
    assert type(err) is errors.PersonNotFound


async def test_enrol_for_unknown_person_or_collection(registry_stub: Stub, collection: str) -> None:
    missing = "6f1c1f49-3f7a-4a53-9a0e-0c8f1d1c2b3a"
    err = await _error(_enrol(registry_stub, collection, missing, vec()))
    assert type(err) is errors.CollectionNotFound
    await _collection(registry_stub, collection)
    err = await _error(_enrol(registry_stub, collection, missing, vec()))
    assert type(err) is errors.PersonNotFound


async def test_faces_of_one_person_and_verification_against_them(registry_stub: Stub, collection: str) -> None:
    await _collection(registry_stub, collection)
    alice = await _person(registry_stub, collection, "Alice")
    bob = await _person(registry_stub, collection, "Bob")
    a = vec()
    a_face = await _enrol(registry_stub, collection, alice.person_id, a)
    await _enrol(registry_stub, collection, bob.person_id, vec())
    faces = await registry_stub.ListFaces(
        registry_pb2.ListFacesRequest(collection=collection, person_id=alice.person_id), timeout=10
    )
    assert [f.face_id for f in faces.faces] == [a_face]
    # 1:1 against Bob with Alice's vector: Bob is the only candidate, and no match.
    reply = await registry_stub.MatchFace(
        registry_pb2.MatchFaceRequest(
            collection=collection, embedding=packed.message(a), model=MODEL, person_id=bob.person_id
        ),
        timeout=10,
    )
    assert [c.person_name for c in reply.candidates] == ["Bob"]
    assert reply.match is False
    reply = await registry_stub.MatchFace(
        registry_pb2.MatchFaceRequest(
            collection=collection, embedding=packed.message(a), model=MODEL, person_id=alice.person_id
        ),
        timeout=10,
    )
    assert reply.match is True
    assert reply.candidates[0].similarity == pytest.approx(1.0, abs=1e-4)


async def test_bulk_delete_reports_both_sides(registry_stub: Stub, collection: str) -> None:
    await _collection(registry_stub, collection)
    alice = await _person(registry_stub, collection, "Alice")
    kept, dropped = (
        await _enrol(registry_stub, collection, alice.person_id, vec()),
        await _enrol(registry_stub, collection, alice.person_id, vec()),
    )
    missing = "6f1c1f49-3f7a-4a53-9a0e-0c8f1d1c2b3a"
    reply = await registry_stub.DeleteFaces(
        registry_pb2.DeleteFacesRequest(collection=collection, face_ids=[dropped, missing, "junk"]), timeout=10
    )
    assert (list(reply.deleted), list(reply.not_found)) == ([dropped], [missing, "junk"])
    faces = await registry_stub.ListFaces(registry_pb2.ListFacesRequest(collection=collection), timeout=10)
    assert [f.face_id for f in faces.faces] == [kept]


async def test_compare_embeddings(registry_stub: Stub) -> None:
    a, b = vec(), vec()
    same = await registry_stub.CompareEmbeddings(
        registry_pb2.CompareEmbeddingsRequest(
            embedding_a=packed.message(a), embedding_b=packed.message(a), model=MODEL
        ),
        timeout=10,
    )
    other = await registry_stub.CompareEmbeddings(
        registry_pb2.CompareEmbeddingsRequest(
            embedding_a=packed.message(a), embedding_b=packed.message(b), model=MODEL
        ),
        timeout=10,
    )
    assert same.similarity == pytest.approx(1.0, abs=1e-5)
    assert same.match is True
    assert other.match is False
    assert same.threshold == pytest.approx(MOBILEFACENET.threshold)


async def test_reembedding_switches_atomically(registry_stub: Stub, collection: str) -> None:
    await _collection(registry_stub, collection)
    alice = await _person(registry_stub, collection, "Alice")
    face_ids = [await _enrol(registry_stub, collection, alice.person_id, vec()) for _ in range(3)]
    refused = await _error(_enrol(registry_stub, collection, alice.person_id, vec(), model=NEW_MODEL))
    assert type(refused) is errors.ModelMismatch

    crops = await registry_stub.ListAlignedCrops(
        registry_pb2.ListAlignedCropsRequest(collection=collection), timeout=10
    )
    assert [c.face_id for c in crops.crops] == face_ids
    assert all(len(c.aligned.pixels) == 112 * 112 * 3 for c in crops.crops)
    new_vectors = {f: vec() for f in face_ids}

    await registry_stub.StageEmbeddings(
        registry_pb2.StageEmbeddingsRequest(
            collection=collection,
            model=NEW_MODEL,
            embeddings=[
                registry_pb2.StagedEmbedding(face_id=face_ids[0], embedding=packed.message(new_vectors[face_ids[0]]))
            ],
        ),
        timeout=10,
    )
    incomplete = await _error(
        registry_stub.CommitReembedding(
            registry_pb2.CommitReembeddingRequest(collection=collection, model=NEW_MODEL), timeout=10
        )
    )
    assert type(incomplete) is errors.ReembeddingIncomplete
    # Nothing switched: the old model still matches.
    still = await registry_stub.GetCollection(registry_pb2.GetCollectionRequest(name=collection), timeout=10)
    assert still.model.version == MODEL.version

    rest = await registry_stub.ListAlignedCrops(
        registry_pb2.ListAlignedCropsRequest(collection=collection, unstaged_for_version=NEW_MODEL.version), timeout=10
    )
    assert [c.face_id for c in rest.crops] == face_ids[1:]
    await registry_stub.StageEmbeddings(
        registry_pb2.StageEmbeddingsRequest(
            collection=collection,
            model=NEW_MODEL,
            embeddings=[
                registry_pb2.StagedEmbedding(face_id=f, embedding=packed.message(new_vectors[f])) for f in face_ids[1:]
            ],
        ),
        timeout=10,
    )
    switched = await registry_stub.CommitReembedding(
        registry_pb2.CommitReembeddingRequest(collection=collection, model=NEW_MODEL), timeout=10
    )
    assert (switched.model.name, switched.face_count) == ("glintr100", 3)

    reply = await registry_stub.MatchFace(
        registry_pb2.MatchFaceRequest(
            collection=collection, embedding=packed.message(new_vectors[face_ids[2]]), model=NEW_MODEL, top_k=3
        ),
        timeout=10,
    )
    assert reply.candidates[0].similarity == pytest.approx(1.0, abs=1e-4)
    old = await _error(
        registry_stub.MatchFace(
            registry_pb2.MatchFaceRequest(collection=collection, embedding=packed.message(vec()), model=MODEL),
            timeout=10,
        )
    )
    assert type(old) is errors.ModelMismatch


async def test_api_keys_are_stored_hashed_and_revocable(registry_stub: Stub) -> None:
    digest = uuid.uuid4().hex * 2  # 64 hex characters, as a SHA-256
    created = await registry_stub.CreateApiKey(
        registry_pb2.CreateApiKeyRequest(
            name="kiosk", scope="read", collections=["a"], key_sha256=digest, prefix="frk_abc"
        ),
        timeout=10,
    )
    found = await registry_stub.GetApiKeyByHash(registry_pb2.GetApiKeyByHashRequest(key_sha256=digest), timeout=10)
    assert (found.key_id, found.scope, list(found.collections)) == (created.key_id, "read", ["a"])
    listed = await registry_stub.ListApiKeys(registry_pb2.ListApiKeysRequest(), timeout=10)
    assert created.key_id in [k.key_id for k in listed.keys]
    assert all(not hasattr(k, "key_sha256") for k in listed.keys)
    revoked = await registry_stub.RevokeApiKey(registry_pb2.RevokeApiKeyRequest(key_id=created.key_id), timeout=10)
    assert revoked.HasField("revoked_at")
    err = await _error(
        registry_stub.GetApiKeyByHash(registry_pb2.GetApiKeyByHashRequest(key_sha256=digest), timeout=10)
    )
    assert type(err) is errors.ApiKeyNotFound
    bad = await _error(
        registry_stub.CreateApiKey(
            registry_pb2.CreateApiKeyRequest(name="x", scope="root", key_sha256=digest), timeout=10
        )
    )
    assert type(bad) is errors.InvalidArgument


async def test_deletes_are_audited_with_their_actor(registry_stub: Stub, collection: str) -> None:
    await _collection(registry_stub, collection)
    alice = await _person(registry_stub, collection, "Alice")
    face_id = await _enrol(registry_stub, collection, alice.person_id, vec())
    actor = (("facerec-actor", "key-123"),)
    await registry_stub.DeleteFace(
        registry_pb2.DeleteFaceRequest(collection=collection, face_id=face_id), timeout=10, metadata=actor
    )
    await registry_stub.DeletePerson(
        registry_pb2.DeletePersonRequest(collection=collection, person_id=alice.person_id), timeout=10, metadata=actor
    )
    events = await registry_stub.ListAuditEvents(registry_pb2.ListAuditEventsRequest(collection=collection), timeout=10)
    seen = [(e.actor, e.action, list(e.targets)) for e in events.events]
    assert seen == [("key-123", "person.delete", [alice.person_id]), ("key-123", "face.delete", [face_id])]
    # A delete that found nothing leaves no event.
    await _error(
        registry_stub.DeleteFace(registry_pb2.DeleteFaceRequest(collection=collection, face_id=face_id), timeout=10)
    )
    again = await registry_stub.ListAuditEvents(registry_pb2.ListAuditEventsRequest(collection=collection), timeout=10)
    assert len(again.events) == 2
