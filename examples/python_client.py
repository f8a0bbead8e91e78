"""The v1 tour with the typed Python client (`facerec-client`): REST by default, or the public
gRPC API with --grpc. The same typed results and errors either way.

    .venv/bin/python examples/python_client.py [URL or ADDRESS] [--grpc]

Creates a collection, enrols a person from one photo, identifies them in another, shows an
error as an exception with its code, and cleans up.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

from facerec_client import Client, GrpcClient, NotFound, Refused

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--grpc"]
    over_grpc = "--grpc" in sys.argv
    where = args[0] if args else ("127.0.0.1:50050" if over_grpc else "http://127.0.0.1:8000")
    hugh = DATA / "faces" / "Hugh_Grant"
    collection = f"tour-{uuid.uuid4().hex[:8]}"

    with GrpcClient(where) if over_grpc else Client(where) as facerec:
        facerec.create_collection(collection)
        try:
            person = facerec.create_person(collection, "Hugh Grant", external_id="emp-42")
            enrolled = facerec.enrol(collection, person.person_id, hugh / "Hugh_Grant_0001.jpg")
            print(f"enrolled face {enrolled.face_id} for {person.name}")

            for face in facerec.identify(collection, hugh / "Hugh_Grant_0003.jpg").faces:
                best = face.candidates[0] if face.candidates else None
                score = f" ({best.similarity:.3f})" if best else ""
                print(f"face at x={face.box['x']:.0f}: {face.name or 'unknown'}{score}")

            try:
                facerec.enrol(collection, person.person_id, DATA / "no-face" / "skimage_coffee.jpg")
            except Refused as exc:
                print(f"refused: {exc.code}")
            try:
                facerec.identify(f"{collection}-missing", hugh / "Hugh_Grant_0003.jpg")
            except NotFound as exc:
                print(f"not found: {exc.code}")
        finally:
            facerec.delete_collection(collection)


if __name__ == "__main__":
    main()
