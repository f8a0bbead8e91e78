"""The use cases with their three backends faked at one seam (conftest.py): which calls each
makes, in what order and shape, and what it answers, without a network."""

from __future__ import annotations

from typing import Any

import pytest

from facerec.common.v1 import types_pb2
from facerec.registry.v1 import registry_pb2
from facerec_common import errors
from facerec_gateway.use_cases import FaceService

PERSON = "0b5c2a77-2f0e-4c55-a3a3-46a1d49a8b20"
OTHER = "e2b0b9a3-3c3f-4a6f-8a55-6e7c1a0b9d22"


def _service(fakes: Any) -> FaceService:
    return FaceService(fakes.backends)


def _candidate(person_id: str, similarity: float) -> registry_pb2.Candidate:
    return registry_pb2.Candidate(face_id="f", person_id=person_id, person_name="n", similarity=similarity)


async def test_identify_matches_every_face_in_one_registry_call_largest_first(fakes: Any, face_of: Any) -> None:
    fakes.detector.photos[b"group"] = [face_of(400, 100, 60, 2), face_of(100, 100, 120, 1)]
    fakes.registry.answers["MatchFaces"] = lambda r: registry_pb2.MatchFacesResponse(
        results=[registry_pb2.MatchFaceResponse(match=i == 0) for i, _ in enumerate(r.embeddings)]
    )
    found, model = await _service(fakes).recognition.identify("staff", b"group", 5, None, 0)
    [request] = fakes.registry.requests["MatchFaces"]
    assert [fakes.values(e) for e in request.embeddings] == [fakes.vector(1), fakes.vector(2)]
    assert (request.collection, request.top_k, request.model.version) == ("staff", 5, model.version)
    assert [f.face.box.width for f in found] == [120, 60]
    assert [f.result.match for f in found] == [True, False]


async def test_identify_without_a_face_asks_the_registry_nothing(fakes: Any) -> None:
    with pytest.raises(errors.NoFace):
        await _service(fakes).recognition.identify("staff", b"empty", 5, None, 0)
    assert fakes.registry.requests == {}


async def test_recognise_in_a_collection_never_used_matches_nobody(fakes: Any, face_of: Any) -> None:
    fakes.detector.photos[b"p"] = [face_of(100, 100, 120, 1)]
    fakes.registry.answers["MatchFace"] = errors.CollectionNotFound("none", collection="default")
    found = await _service(fakes).recognition.recognise("default", b"p")
    assert (found.match, found.name, found.similarity) == (False, None, None)


async def test_enrolling_to_a_person_takes_the_face_that_matches_them_embedding_once(fakes: Any, face_of: Any) -> None:
    # The larger, central face is someone else; the person's own face is the smaller one.
    fakes.detector.photos[b"two"] = [face_of(260, 100, 130, 3), face_of(40, 120, 70, 1)]
    fakes.registry.answers["GetPerson"] = registry_pb2.Person(person_id=PERSON, collection="staff", face_count=2)

    def match(request: registry_pb2.MatchFaceRequest) -> registry_pb2.MatchFaceResponse:
        own = fakes.values(request.embedding) == fakes.vector(1)
        return registry_pb2.MatchFaceResponse(match=own, candidates=[_candidate(PERSON, 0.7 if own else 0.1)])

    fakes.registry.answers["MatchFace"] = match
    done = await _service(fakes).enrolment.enrol_for_person("staff", PERSON, b"two", None, False)
    assert (done.choice.index, done.faces_in_photo) == (1, 2)
    assert "matches the person's enrolled faces" in done.choice.reason
    assert fakes.embedder.embedded == 2  # both faces once, to compare; not again to enrol
    [enrolled] = fakes.registry.requests["EnrollFace"]
    assert (fakes.values(enrolled.embedding), enrolled.person_id) == (fakes.vector(1), PERSON)


async def test_enrolling_a_face_close_to_another_person_warns(fakes: Any, face_of: Any) -> None:
    fakes.detector.photos[b"p"] = [face_of(100, 100, 120, 1)]
    fakes.registry.answers["GetPerson"] = registry_pb2.Person(person_id=PERSON, collection="staff")
    fakes.registry.answers["MatchFace"] = registry_pb2.MatchFaceResponse(
        candidates=[_candidate(PERSON, 0.9), _candidate(OTHER, 0.55)]
    )
    done = await _service(fakes).enrolment.enrol_for_person("staff", PERSON, b"p", None, False)
    assert done.possible_duplicate is not None
    assert done.possible_duplicate.person_id == OTHER
    fakes.registry.answers["MatchFace"] = registry_pb2.MatchFaceResponse(candidates=[_candidate(OTHER, 0.45)])
    done = await _service(fakes).enrolment.enrol_for_person("staff", PERSON, b"p", None, False)
    assert done.possible_duplicate is None  # below the duplicate threshold (0.5)


async def test_a_face_index_out_of_range_is_refused_before_anything_is_stored(fakes: Any, face_of: Any) -> None:
    fakes.detector.photos[b"p"] = [face_of(100, 100, 120, 1)]
    fakes.registry.answers["GetPerson"] = registry_pb2.Person(person_id=PERSON, collection="staff")
    with pytest.raises(errors.InvalidArgument, match="face_index 3 is out of range: the photo has 1 faces"):
        await _service(fakes).enrolment.enrol_for_person("staff", PERSON, b"p", 3, False)
    assert "EnrollFace" not in fakes.registry.requests


async def test_two_comparable_faces_and_nothing_to_tell_them_apart_are_refused(fakes: Any, face_of: Any) -> None:
    fakes.detector.photos[b"pair"] = [face_of(170, 180, 120, 1), face_of(350, 180, 120, 3)]
    fakes.registry.answers["GetPerson"] = registry_pb2.Person(person_id=PERSON, collection="staff")
    with pytest.raises(errors.MultipleFaces):
        await _service(fakes).enrolment.enrol_for_person("staff", PERSON, b"pair", None, False)
    done = await _service(fakes).enrolment.enrol_for_person("staff", PERSON, b"pair", None, True)
    assert (done.choice.index, done.choice.reason) == (0, "select=largest")


async def test_search_normalises_the_callers_vector_and_asks_the_model_once(fakes: Any) -> None:
    service = _service(fakes)
    calls = []
    original = fakes.embedder.GetModel

    async def get_model(request: Any, **kw: Any) -> Any:
        calls.append(request)
        return await original(request, **kw)

    fakes.embedder.GetModel = get_model
    for _ in range(3):
        await service.recognition.search("staff", [3.0, 4.0, 0.0, 0.0], 5, None)
    sent = [fakes.values(r.embedding) for r in fakes.registry.requests["MatchFace"]]
    assert sent == [pytest.approx([0.6, 0.8, 0.0, 0.0])] * 3
    assert len(calls) == 1  # cached for MODEL_CACHE_S


async def test_reembedding_stages_every_page_then_commits(fakes: Any) -> None:
    pages = {
        "": registry_pb2.ListAlignedCropsResponse(
            crops=[registry_pb2.AlignedCrop(face_id="a", aligned=types_pb2.RgbImage(pixels=b"\x01"))],
            next_page_token="2",
        ),
        "2": registry_pb2.ListAlignedCropsResponse(
            crops=[registry_pb2.AlignedCrop(face_id="b", aligned=types_pb2.RgbImage(pixels=b"\x03"))]
        ),
    }
    fakes.registry.answers["ListAlignedCrops"] = lambda r: pages[r.page_token]
    fakes.registry.answers["CommitReembedding"] = registry_pb2.Collection(name="staff")
    done = await _service(fakes).transfer.reembed("staff")
    assert done.name == "staff"
    staged = [
        (s.face_id, fakes.values(s.embedding)) for r in fakes.registry.requests["StageEmbeddings"] for s in r.embeddings
    ]
    assert staged == [("a", fakes.vector(1)), ("b", fakes.vector(3))]


async def test_reembedding_stops_when_the_embedders_model_changes_under_it(fakes: Any) -> None:
    crop = registry_pb2.AlignedCrop(face_id="a", aligned=types_pb2.RgbImage(pixels=b"\x01"))
    fakes.registry.answers["ListAlignedCrops"] = registry_pb2.ListAlignedCropsResponse(crops=[crop])
    service = _service(fakes)
    await service.steps.model()  # the model the re-embedding starts with
    fakes.embedder.model = types_pb2.ModelInfo(name="glintr100", version="0123456789ab", dimension=4)
    with pytest.raises(errors.ReembeddingIncomplete, match="switched"):
        await service.transfer.reembed("staff")
    assert "StageEmbeddings" not in fakes.registry.requests
