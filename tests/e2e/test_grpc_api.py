"""The public gRPC FaceService, served by the gateway, with every service real."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest

from facerec.registry.v1 import registry_pb2
from facerec.v1 import face_service_pb2 as pb
from facerec.v1.face_service_pb2_grpc import FaceServiceStub
from facerec_common import errors
from facerec_devstack import photos
from facerec_devstack.stack import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def faces(stack: Stack) -> Iterator[FaceServiceStub]:
    with grpc.insecure_channel(stack.address("public_grpc")) as channel:
        yield FaceServiceStub(channel)


def _code(call, *args) -> errors.FacerecError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as caught:
        call(*args, timeout=30)
    return errors.from_rpc_error(caught.value)


def test_enrol_identify_verify_search(faces: FaceServiceStub, data_dir: Path) -> None:
    people = photos.people(data_dir)
    collection = f"grpc-{uuid.uuid4().hex[:8]}"
    faces.CreateCollection(registry_pb2.CreateCollectionRequest(name=collection), timeout=10)
    try:
        ids = {}
        for name in ("Hugh_Grant", "Naomi_Watts", "Vicente_Fox"):
            person = faces.CreatePerson(registry_pb2.CreatePersonRequest(collection=collection, name=name), timeout=10)
            ids[name] = person.person_id
            reply = faces.EnrollFace(
                pb.EnrollFaceRequest(
                    collection=collection, person_id=person.person_id, image=people[name][0].read_bytes(), face_index=0
                ),
                timeout=30,
            )
            assert reply.face.person_id == person.person_id
            assert reply.faces_in_photo >= 1

        identified = faces.Identify(
            pb.IdentifyRequest(collection=collection, image=people["Naomi_Watts"][1].read_bytes(), top_k=3), timeout=30
        )
        best = identified.faces[0]
        assert best.match is True
        assert best.candidates[0].person_name == "Naomi_Watts"
        assert len({c.person_id for c in best.candidates}) == 3
        assert identified.model.name == "w600k_mbf"

        verified = faces.Verify(
            pb.VerifyRequest(
                image_a=people["Hugh_Grant"][0].read_bytes(), image_b=people["Hugh_Grant"][1].read_bytes()
            ),
            timeout=30,
        )
        assert verified.match is True
        against = faces.VerifyPerson(
            pb.VerifyPersonRequest(
                collection=collection, person_id=ids["Vicente_Fox"], image=people["Hugh_Grant"][1].read_bytes()
            ),
            timeout=30,
        )
        assert against.match is False
        assert against.best.person_name == "Vicente_Fox"

        detected = faces.Detect(pb.DetectRequest(image=(data_dir / "group/2008_002470.jpg").read_bytes()), timeout=30)
        assert len(detected.faces) >= 5

        listed = faces.ListFaces(
            registry_pb2.ListFacesRequest(collection=collection, person_id=ids["Hugh_Grant"]), timeout=10
        )
        assert len(listed.faces) == 1
    finally:
        faces.DeleteCollection(registry_pb2.DeleteCollectionRequest(name=collection), timeout=10)


def test_errors_carry_their_code(faces: FaceServiceStub, data_dir: Path) -> None:
    missing = f"missing-{uuid.uuid4().hex[:8]}"
    photo = (data_dir / "faces/Hugh_Grant/Hugh_Grant_0001.jpg").read_bytes()
    assert type(_code(faces.Identify, pb.IdentifyRequest(collection=missing, image=photo))) is errors.CollectionNotFound
    assert type(_code(faces.Detect, pb.DetectRequest(image=b"not an image"))) is errors.InvalidImage
    no_face = (data_dir / "no-face/skimage_coffee.jpg").read_bytes()
    assert type(_code(faces.Verify, pb.VerifyRequest(image_a=no_face, image_b=photo))) is errors.NoFace


def test_readme_client_example_runs(stack: Stack, run_example: Callable[..., str]) -> None:
    out = run_example("grpc_client.py", stack.address("public_grpc"))
    assert "enrolled face" in out
    assert ": Ada (" in out
    assert "unknown person -> PersonNotFound" in out
