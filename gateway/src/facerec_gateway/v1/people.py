"""People of a collection, and the photos enrolled for them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, UploadFile, status
from google.protobuf import struct_pb2

from facerec.registry.v1 import registry_pb2
from facerec_gateway.dependencies import FacesDep, Reader, SettingsDep, Writer
from facerec_gateway.json_body import JsonRoute
from facerec_gateway.routes.responses import ERRORS
from facerec_gateway.uploads import read_image
from facerec_gateway.v1 import convert
from facerec_gateway.v1 import schemas as s
from facerec_gateway.v1.params import CollectionPath, Cursor, Limit

router = APIRouter(prefix="/collections/{collection}/people", tags=["people"], responses=ERRORS, route_class=JsonRoute)


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(values)
    return out


@router.post("", status_code=status.HTTP_201_CREATED, response_model=s.Person)
async def create_person(collection: CollectionPath, body: s.PersonCreate, faces: FacesDep, _: Writer) -> s.Person:
    request = registry_pb2.CreatePersonRequest(
        collection=collection, name=body.name, external_id=body.external_id or "", metadata=_struct(body.metadata or {})
    )
    return convert.person(await faces.registry(faces.backends.registry.CreatePerson, request))


@router.get("", response_model=s.PeoplePage)
async def list_people(
    collection: CollectionPath, faces: FacesDep, _: Reader, limit: Limit = 50, cursor: Cursor = None
) -> s.PeoplePage:
    reply = await faces.registry(
        faces.backends.registry.ListPeople,
        registry_pb2.ListPeopleRequest(collection=collection, page_size=limit, page_token=cursor or ""),
    )
    return s.PeoplePage(
        people=[convert.person(p) for p in reply.people], next_cursor=convert.cursor(reply.next_page_token)
    )


@router.get("/{person_id}", response_model=s.Person)
async def get_person(collection: CollectionPath, person_id: str, faces: FacesDep, _: Reader) -> s.Person:
    request = registry_pb2.GetPersonRequest(collection=collection, person_id=person_id)
    return convert.person(await faces.registry(faces.backends.registry.GetPerson, request))


@router.patch("/{person_id}", response_model=s.Person)
async def update_person(
    collection: CollectionPath, person_id: str, body: s.PersonUpdate, faces: FacesDep, _: Writer
) -> s.Person:
    """Change the fields sent; metadata is merged key by key."""
    request = registry_pb2.UpdatePersonRequest(collection=collection, person_id=person_id)
    if body.name is not None:
        request.name = body.name
    if body.external_id is not None:
        request.external_id = body.external_id
    if body.metadata is not None:
        request.metadata.CopyFrom(_struct(body.metadata))
    return convert.person(await faces.registry(faces.backends.registry.UpdatePerson, request))


@router.delete("/{person_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_person(collection: CollectionPath, person_id: str, faces: FacesDep, who: Writer) -> None:
    """Delete the person with all their faces, embeddings and images."""
    request = registry_pb2.DeletePersonRequest(collection=collection, person_id=person_id)
    await faces.registry(faces.backends.registry.DeletePerson, request, actor=who.actor)


@router.post("/{person_id}/faces", status_code=status.HTTP_201_CREATED, response_model=s.EnrolledFace)
async def enrol_face(
    collection: CollectionPath,
    person_id: str,
    file: Annotated[UploadFile, File(description="Photo with the person's face")],
    faces: FacesDep,
    settings: SettingsDep,
    _: Writer,
    face_index: Annotated[int | None, Form(ge=0, description="Which face, 0 = largest")] = None,
    select: Annotated[Literal["largest"] | None, Form(description="`largest` picks the largest face")] = None,
) -> s.EnrolledFace:
    """Enrol the photo's face for this person. Without `face_index` or `select`, the face taken is
    the one matching the person's enrolled faces, else the photo's subject (inside the frame,
    size, centre, pose); the answer says which and why. Refused with 422 and a reason when the
    photo has no face (NO_FACE), two comparable, fully visible, frontal faces and nothing to
    tell them apart (MULTIPLE_FACES), or a face not fit to enrol (FACE_TOO_SMALL, LOW_DETECTION_SCORE,
    EXTREME_POSE, BLURRY, TOO_DARK, TOO_BRIGHT; `error.details.reasons` lists them all)."""
    image = await read_image(file, settings.max_upload_bytes)
    done = await faces.enrolment.enrol_for_person(collection, person_id, image, face_index, select == "largest")
    warnings = []
    if done.possible_duplicate is not None:
        other = done.possible_duplicate
        warnings.append(
            s.EnrolWarning(
                code="POSSIBLE_DUPLICATE",
                message=f"This face is very similar to {other.person_name}'s: check it is the right person.",
                person_id=other.person_id,
                name=other.person_name,
                similarity=round(other.similarity, convert.DECIMALS),
            )
        )
    return s.EnrolledFace(
        face_id=done.record.face_id,
        person_id=done.record.person_id,
        box=convert.box(done.record.box),
        detection_score=round(done.record.detection_score, convert.DECIMALS),
        faces_in_photo=done.faces_in_photo,
        face_index=done.choice.index,
        choice_reason=done.choice.reason,
        model=convert.model(done.record.model),
        warnings=warnings,
    )


@router.post("/{person_id}/verify", response_model=s.PersonVerification)
async def verify_person(
    collection: CollectionPath,
    person_id: str,
    file: Annotated[UploadFile, File(description="Photo to check against the person")],
    faces: FacesDep,
    settings: SettingsDep,
    _: Reader,
    threshold: Annotated[float | None, Form(ge=-1.0, le=1.0)] = None,
) -> s.PersonVerification:
    """1:1 check: is the photo's subject this person?"""
    image = await read_image(file, settings.max_upload_bytes)
    done = await faces.recognition.verify_person(collection, person_id, image, threshold)
    best = done.result.candidates[0] if done.result.candidates else None
    return s.PersonVerification(
        person_id=person_id,
        similarity=round(best.similarity, convert.DECIMALS) if best else None,
        match=done.result.match,
        threshold=round(done.result.threshold, convert.DECIMALS),
        face_id=best.face_id if best else None,
        face=convert.detected(done.face),
        model=convert.model(done.model),
    )
