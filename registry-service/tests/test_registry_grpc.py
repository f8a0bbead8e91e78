"""RegistryService on a real PostgreSQL: storage, matching, paging, deletes, model isolation.

Vectors here are made up on purpose: these tests check the registry's
bookkeeping and ranking, not recognition quality (the end-to-end tests do that
with real photos and the real model).
"""

from __future__ import annotations

import uuid

import grpc
import numpy as np
import pytest

from facerec.common.v1 import types_pb2
from facerec.registry.v1 import registry_pb2, registry_pb2_grpc
from facerec_common import errors, packed
from facerec_common.models import MOBILEFACENET

Stub = registry_pb2_grpc.RegistryServiceStub
MODEL = types_pb2.ModelInfo(name="w600k_mbf", version="9cc6e4a75f0e", dimension=512)
CROP = types_pb2.RgbImage(width=112, height=112, pixels=bytes(112 * 112 * 3))


def unit(vector: np.ndarray) -> list[float]:  # type: ignore[type-arg]
    return (vector / np.linalg.norm(vector)).astype(np.float32).tolist()


def enrol_request(
    collection: str, name: str, embedding: list[float], model: types_pb2.ModelInfo = MODEL
) -> registry_pb2.EnrollFaceRequest:
    return registry_pb2.EnrollFaceRequest(
        collection=collection,
        person_name=name,
        embedding=packed.message(embedding),
        model=model,
        box=types_pb2.Box(x=1, y=2, width=30, height=40),
        detection_score=0.99,
        display_image=b"\xff\xd8thumb",
        aligned=CROP,
    )


rng = np.random.default_rng(7)


def random_unit() -> np.ndarray:
    v = rng.normal(size=512)
    return v / np.linalg.norm(v)


async def _error(pending) -> errors.FacerecError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await pending
    return errors.from_rpc_error(caught.value)


async def test_enrol_then_match(registry_stub: Stub, collection: str) -> None:
    alice = random_unit()
    reply = await registry_stub.EnrollFace(enrol_request(collection, "Alice", unit(alice)), timeout=10)
    face = reply.face
    assert uuid.UUID(face.face_id)
    assert (face.person_name, face.collection, face.model.version) == ("Alice", collection, MODEL.version)
    assert face.created_at.seconds > 0

    probe = unit(alice + 0.3 * random_unit())
    match = await registry_stub.MatchFace(
        registry_pb2.MatchFaceRequest(collection=collection, embedding=packed.message(probe), model=MODEL), timeout=10
    )
    [best] = match.candidates
    assert best.face_id == face.face_id
    assert best.similarity == pytest.approx(float(np.dot(alice, np.array(probe))), abs=1e-4)
    assert match.match is (best.similarity >= match.threshold)


async def test_the_float_form_of_an_older_gateway_is_still_read(registry_stub: Stub, collection: str) -> None:
    """During a rolling upgrade (registry first), a gateway of the release before sends floats."""
    alice = unit(random_unit())
    legacy = enrol_request(collection, "Alice", alice)
    legacy.ClearField("embedding")
    legacy.embedding_floats.extend(alice)
    face = (await registry_stub.EnrollFace(legacy, timeout=10)).face
    one = registry_pb2.MatchFaceRequest(collection=collection, embedding_floats=alice, model=MODEL)
    many = registry_pb2.MatchFacesRequest(
        collection=collection, embeddings_floats=[registry_pb2.FloatEmbedding(values=alice)], model=MODEL
    )
    both = registry_pb2.CompareEmbeddingsRequest(embedding_a_floats=alice, embedding_b_floats=alice, model=MODEL)
    [best] = (await registry_stub.MatchFace(one, timeout=10)).candidates
    [[best_of_many]] = [r.candidates for r in (await registry_stub.MatchFaces(many, timeout=10)).results]
    compared = await registry_stub.CompareEmbeddings(both, timeout=10)
    assert best.face_id == best_of_many.face_id == face.face_id
    assert best.similarity == pytest.approx(1.0, abs=1e-5)
    assert compared.similarity == pytest.approx(1.0, abs=1e-5)


async def test_threshold_decides_and_unknown_is_an_answer(registry_stub: Stub, collection: str) -> None:
    await registry_stub.EnrollFace(enrol_request(collection, "Alice", unit(random_unit())), timeout=10)
    stranger = unit(random_unit())
    reply = await registry_stub.MatchFace(
        registry_pb2.MatchFaceRequest(collection=collection, embedding=packed.message(stranger), model=MODEL),
        timeout=10,
    )
    assert reply.match is False
    assert len(reply.candidates) == 1
    assert abs(reply.candidates[0].similarity) < 0.3
    lenient = await registry_stub.MatchFace(
        registry_pb2.MatchFaceRequest(
            collection=collection, embedding=packed.message(stranger), model=MODEL, threshold=-1.0
        ),
        timeout=10,
    )
    assert lenient.match is True


async def test_empty_collection_matches_nothing(registry_stub: Stub, collection: str) -> None:
    await registry_stub.CreateCollection(registry_pb2.CreateCollectionRequest(name=collection), timeout=10)
    reply = await registry_stub.MatchFace(
        registry_pb2.MatchFaceRequest(
            collection=collection, embedding=packed.message(unit(random_unit())), model=MODEL
        ),
        timeout=10,
    )
    assert (list(reply.candidates), reply.match) == ([], False)


async def test_unknown_collection_is_not_found(registry_stub: Stub, collection: str) -> None:
    err = await _error(
        registry_stub.MatchFace(
            registry_pb2.MatchFaceRequest(
                collection=collection, embedding=packed.message(unit(random_unit())), model=MODEL
            ),
            timeout=10,
        )
    )
    assert type(err) is errors.CollectionNotFound


async def test_candidates_are_ranked_per_person(registry_stub: Stub, collection: str) -> None:
    alice, bob = random_unit(), random_unit()
    for _ in range(3):
        await registry_stub.EnrollFace(
            enrol_request(collection, "Alice", unit(alice + 0.2 * random_unit())), timeout=10
        )
    await registry_stub.EnrollFace(enrol_request(collection, "Bob", unit(bob)), timeout=10)
    reply = await registry_stub.MatchFace(
        registry_pb2.MatchFaceRequest(
            collection=collection, embedding=packed.message(unit(alice)), model=MODEL, top_k=5
        ),
        timeout=10,
    )
    names = [c.person_name for c in reply.candidates]
    assert names == ["Alice", "Bob"]  # Alice once, with her best face, although she has 3
    sims = [c.similarity for c in reply.candidates]
    assert sims == sorted(sims, reverse=True)


async def test_one_person_per_name(registry_stub: Stub, collection: str) -> None:
    a = await registry_stub.EnrollFace(enrol_request(collection, "Alice", unit(random_unit())), timeout=10)
    b = await registry_stub.EnrollFace(enrol_request(collection, "Alice", unit(random_unit())), timeout=10)
    c = await registry_stub.EnrollFace(enrol_request(collection, "Bob", unit(random_unit())), timeout=10)
    assert a.face.person_id == b.face.person_id != c.face.person_id


async def test_collections_are_isolated(registry_stub: Stub, collection: str) -> None:
    alice = random_unit()
    await registry_stub.EnrollFace(enrol_request(collection, "Alice", unit(alice)), timeout=10)
    other = collection + "-other"
    await registry_stub.CreateCollection(registry_pb2.CreateCollectionRequest(name=other), timeout=10)
    reply = await registry_stub.MatchFace(
        registry_pb2.MatchFaceRequest(collection=other, embedding=packed.message(unit(alice)), model=MODEL), timeout=10
    )
    assert list(reply.candidates) == []
    listing = await registry_stub.ListFaces(registry_pb2.ListFacesRequest(collection=other), timeout=10)
    assert list(listing.faces) == []


async def test_paging_visits_every_face_once(registry_stub: Stub, collection: str) -> None:
    enrolled = []
    for i in range(12):  # page_size_max is 5 in these tests: 3 pages
        reply = await registry_stub.EnrollFace(enrol_request(collection, f"P{i}", unit(random_unit())), timeout=10)
        enrolled.append(reply.face.face_id)
    seen, token, pages = [], "", 0
    while True:
        page = await registry_stub.ListFaces(
            registry_pb2.ListFacesRequest(collection=collection, page_size=100, page_token=token, include_images=True),
            timeout=10,
        )
        pages += 1
        seen += [f.face_id for f in page.faces]
        assert all(f.display_image == b"\xff\xd8thumb" for f in page.faces)
        token = page.next_page_token
        if not token:
            break
    assert pages == 3
    assert seen == enrolled  # oldest first, none twice, none lost


async def test_images_only_when_asked(registry_stub: Stub, collection: str) -> None:
    await registry_stub.EnrollFace(enrol_request(collection, "Alice", unit(random_unit())), timeout=10)
    page = await registry_stub.ListFaces(registry_pb2.ListFacesRequest(collection=collection), timeout=10)
    assert page.faces[0].display_image == b""


async def test_bad_page_token(registry_stub: Stub, collection: str) -> None:
    await registry_stub.EnrollFace(enrol_request(collection, "Alice", unit(random_unit())), timeout=10)
    err = await _error(
        registry_stub.ListFaces(registry_pb2.ListFacesRequest(collection=collection, page_token="garbage"), timeout=10)
    )
    assert type(err) is errors.InvalidArgument


async def test_delete_removes_from_match_and_list(registry_stub: Stub, collection: str) -> None:
    alice = random_unit()
    face = (await registry_stub.EnrollFace(enrol_request(collection, "Alice", unit(alice)), timeout=10)).face
    await registry_stub.DeleteFace(
        registry_pb2.DeleteFaceRequest(collection=collection, face_id=face.face_id), timeout=10
    )
    listing = await registry_stub.ListFaces(registry_pb2.ListFacesRequest(collection=collection), timeout=10)
    assert list(listing.faces) == []
    reply = await registry_stub.MatchFace(
        registry_pb2.MatchFaceRequest(collection=collection, embedding=packed.message(unit(alice)), model=MODEL),
        timeout=10,
    )
    assert list(reply.candidates) == []
    again = await _error(
        registry_stub.DeleteFace(
            registry_pb2.DeleteFaceRequest(collection=collection, face_id=face.face_id), timeout=10
        )
    )
    assert type(again) is errors.FaceNotFound


async def test_delete_is_scoped_to_its_collection(registry_stub: Stub, collection: str) -> None:
    face = (await registry_stub.EnrollFace(enrol_request(collection, "Alice", unit(random_unit())), timeout=10)).face
    await registry_stub.CreateCollection(registry_pb2.CreateCollectionRequest(name=collection + "-b"), timeout=10)
    err = await _error(
        registry_stub.DeleteFace(
            registry_pb2.DeleteFaceRequest(collection=collection + "-b", face_id=face.face_id), timeout=10
        )
    )
    assert type(err) is errors.FaceNotFound


async def test_malformed_face_id(registry_stub: Stub, collection: str) -> None:
    err = await _error(
        registry_stub.DeleteFace(registry_pb2.DeleteFaceRequest(collection=collection, face_id="nope"), timeout=10)
    )
    assert type(err) is errors.InvalidArgument


async def test_other_model_is_refused_once_the_collection_has_faces(registry_stub: Stub, collection: str) -> None:
    other = types_pb2.ModelInfo(name="glintr100", version="0123456789ab", dimension=512)
    vector = unit(random_unit())
    await registry_stub.EnrollFace(enrol_request(collection, "Alice", vector), timeout=10)
    err = await _error(registry_stub.EnrollFace(enrol_request(collection, "Bob", vector, model=other), timeout=10))
    assert type(err) is errors.ModelMismatch
    err = await _error(
        registry_stub.MatchFace(
            registry_pb2.MatchFaceRequest(collection=collection, embedding=packed.message(vector), model=other),
            timeout=10,
        )
    )
    assert type(err) is errors.ModelMismatch
    assert "glintr100" in err.message


async def test_empty_collection_adopts_a_new_model(registry_stub: Stub, collection: str) -> None:
    other = types_pb2.ModelInfo(name="glintr100", version="0123456789ab", dimension=512)
    face = (await registry_stub.EnrollFace(enrol_request(collection, "Alice", unit(random_unit())), timeout=10)).face
    await registry_stub.DeleteFace(
        registry_pb2.DeleteFaceRequest(collection=collection, face_id=face.face_id), timeout=10
    )
    reply = await registry_stub.EnrollFace(
        enrol_request(collection, "Bob", unit(random_unit()), model=other), timeout=10
    )
    assert reply.face.model.version == other.version


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"embedding": packed.message([0.1] * 10)}, "10 values"),
        ({"embedding": packed.message([1.0] * 512)}, "L2-normalised"),
        ({"embedding": types_pb2.Embedding(vector=b"\x00" * 7)}, "multiple of 4 bytes"),
        ({"person_name": "   "}, "name"),
        ({"collection": "no spaces allowed"}, "Collection names"),
        ({"model": types_pb2.ModelInfo()}, "model"),
    ],
)
async def test_invalid_enrolments(registry_stub: Stub, collection: str, change: dict, message: str) -> None:  # type: ignore[type-arg]
    request = enrol_request(collection, "Alice", unit(random_unit()))
    for key, value in change.items():
        if isinstance(value, list):
            del getattr(request, key)[:]
            getattr(request, key).extend(value)
        elif isinstance(value, types_pb2.ModelInfo):
            request.model.CopyFrom(value)
        elif isinstance(value, types_pb2.Embedding):
            request.embedding.CopyFrom(value)
        else:
            setattr(request, key, value)
    err = await _error(registry_stub.EnrollFace(request, timeout=10))
    assert type(err) is errors.InvalidArgument
    assert message in err.message


async def test_open_set_threshold_follows_the_gallery_and_the_target(registry_stub: Stub, collection: str) -> None:
    created = await registry_stub.CreateCollection(
        registry_pb2.CreateCollectionRequest(name=collection, target_fpir=0.002), timeout=10
    )
    assert created.target_fpir == pytest.approx(0.002)

    async def search(**extra: object) -> registry_pb2.MatchFaceResponse:
        request = registry_pb2.MatchFaceRequest(
            collection=collection, embedding=packed.message(unit(random_unit())), model=MODEL
        )
        for key, value in extra.items():
            setattr(request, key, value)
        reply: registry_pb2.MatchFaceResponse = await registry_stub.MatchFace(request, timeout=10)
        return reply

    one_to_one = MOBILEFACENET.threshold
    await registry_stub.EnrollFace(enrol_request(collection, "P0", unit(random_unit())), timeout=10)
    small = await search()
    assert (small.threshold_basis, small.target_fpir, small.gallery_faces) == ("open_set", pytest.approx(0.002), 1)
    assert small.threshold == pytest.approx(one_to_one)  # never looser than 1:1
    for i in range(1, 40):
        await registry_stub.EnrollFace(enrol_request(collection, f"P{i}", unit(random_unit())), timeout=10)
    grown = await search()
    strict = await search(target_fpir=1e-5)
    assert grown.gallery_faces == 40
    assert one_to_one + 0.01 < grown.threshold < strict.threshold
    assert strict.target_fpir == pytest.approx(1e-5)

    # The collection's own target: set, then cleared back to the registry's default (0.003).
    updated = await registry_stub.UpdateCollection(
        registry_pb2.UpdateCollectionRequest(name=collection, target_fpir=1e-5), timeout=10
    )
    assert updated.target_fpir == pytest.approx(1e-5)
    assert (await search()).threshold == pytest.approx(strict.threshold)
    cleared = await registry_stub.UpdateCollection(
        registry_pb2.UpdateCollectionRequest(name=collection, clear_target_fpir=True), timeout=10
    )
    assert not cleared.HasField("target_fpir")
    assert (await search()).target_fpir == pytest.approx(0.003)

    # A caller's threshold wins; a search within one person is 1:1.
    assert (await search(threshold=0.5)).threshold_basis == "request"
    person = (await registry_stub.ListFaces(registry_pb2.ListFacesRequest(collection=collection), timeout=10)).faces[0]
    within = await search(person_id=person.person_id)
    assert (within.threshold_basis, within.threshold) == ("one_to_one", pytest.approx(one_to_one))

    for bad in (0.0, 0.9):
        refused = await _error(search(target_fpir=bad))
        assert refused.code == "INVALID_ARGUMENT"
