"""Typed Python client of the public gRPC API (facerec.v1.FaceService).

    .venv/bin/python examples/grpc_client.py [ADDRESS] [PHOTO_OF_ADA] [ANOTHER_PHOTO_OF_ADA]

Creates a collection, enrols a person from one photo, identifies them in
another, and cleans up. Errors carry a machine code as google.rpc.ErrorInfo.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import grpc

from facerec.registry.v1 import registry_pb2
from facerec.v1 import face_service_pb2 as pb
from facerec.v1.face_service_pb2_grpc import FaceServiceStub
from facerec_common.errors import from_rpc_error

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces" / "Hugh_Grant"


def main() -> None:
    address = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:50050"
    enrol_photo = Path(sys.argv[2]) if len(sys.argv) > 2 else DATA / "Hugh_Grant_0001.jpg"
    probe_photo = Path(sys.argv[3]) if len(sys.argv) > 3 else DATA / "Hugh_Grant_0003.jpg"
    collection = f"example-{uuid.uuid4().hex[:8]}"

    with grpc.insecure_channel(address) as channel:
        faces = FaceServiceStub(channel)
        faces.CreateCollection(registry_pb2.CreateCollectionRequest(name=collection), timeout=10)
        try:
            person = faces.CreatePerson(
                registry_pb2.CreatePersonRequest(collection=collection, name="Ada", external_id="emp-42"), timeout=10
            )
            enrolled = faces.EnrollFace(
                pb.EnrollFaceRequest(
                    collection=collection,
                    person_id=person.person_id,
                    image=enrol_photo.read_bytes(),
                    select_largest=True,
                ),
                timeout=30,
            )
            print(f"enrolled face {enrolled.face.face_id} for {person.name} ({enrolled.face.model.name})")

            result = faces.Identify(
                pb.IdentifyRequest(collection=collection, image=probe_photo.read_bytes()), timeout=30
            )
            for face in result.faces:
                best = face.candidates[0] if face.candidates else None
                who = f"{best.person_name} ({best.similarity:.3f})" if best and face.match else "unknown"
                print(f"face at x={face.face.box.x:.0f} y={face.face.box.y:.0f}: {who}")

            try:
                faces.GetPerson(
                    registry_pb2.GetPersonRequest(collection=collection, person_id=str(uuid.uuid4())), timeout=10
                )
            except grpc.RpcError as exc:
                print(f"unknown person -> {type(from_rpc_error(exc)).__name__}")
        finally:
            faces.DeleteCollection(registry_pb2.DeleteCollectionRequest(name=collection), timeout=10)


if __name__ == "__main__":
    main()
