"""The seed's four endpoints, kept byte-compatible for existing clients (collection `default`)."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile

from facerec_common.text import MAX_NAME_CHARS
from facerec_gateway.dependencies import FacesDep, SeedReader, SeedWriter, SettingsDep
from facerec_gateway.schemas import ErrorResponse, Message, RecognitionResult, StoredFace
from facerec_gateway.strict_form import StrictFormRoute
from facerec_gateway.uploads import read_image
from facerec_gateway.v1.schemas import Text

router = APIRouter(prefix="/api/face", tags=["faces (seed API)"], route_class=StrictFormRoute)

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": text}
    for code, text in {
        400: "Empty or unreadable image",
        413: "Upload or image too large",
        415: "Not a JPEG, PNG or WebP image",
        422: "No face found, or a missing/invalid field",
        503: "A backend service is unavailable",
    }.items()
}


@router.post("/register", response_model=Message, responses=ERRORS)
async def register(
    name: Annotated[Text, Form(min_length=1, max_length=MAX_NAME_CHARS)],
    file: Annotated[UploadFile, File(description="Photo (JPEG or PNG) with the face to enrol")],
    faces: FacesDep,
    settings: SettingsDep,
    _: SeedWriter,
) -> Message:
    """Enrol the photo's subject (not a larger bystander) under `name`."""
    image = await read_image(file, settings.max_upload_bytes)
    await faces.enrolment.enrol_by_name(settings.default_collection, name.strip(), image)
    return Message(message="Face registered successfully")


@router.post("/recognition", response_model=RecognitionResult, responses=ERRORS)
async def recognition(
    file: Annotated[UploadFile, File(description="Photo (JPEG or PNG) with the face to recognise")],
    faces: FacesDep,
    settings: SettingsDep,
    _: SeedReader,
) -> RecognitionResult:
    """Compare the photo's subject with every enrolled face."""
    image = await read_image(file, settings.max_upload_bytes)
    result = await faces.recognition.recognise(settings.default_collection, image)
    return RecognitionResult(
        match=result.match,
        name=result.name,
        id_face=result.face_id,
        score=round(result.similarity, 4) if result.similarity is not None else 0.0,
    )


@router.delete(
    "/recognition/{id_face}",
    response_model=Message,
    responses={404: {"model": ErrorResponse, "description": "No such face"}},
)
async def delete_face(id_face: str, faces: FacesDep, settings: SettingsDep, who: SeedWriter) -> Message:
    """Delete one enrolled face."""
    await faces.enrolment.delete_face(settings.default_collection, id_face, who.actor)
    return Message(message=f"Face with ID {id_face} has been deleted successfully")


@router.get("/", response_model=list[StoredFace])
async def list_faces(faces: FacesDep, settings: SettingsDep, _: SeedReader) -> list[StoredFace]:
    """Every enrolled face, oldest first, with its display image."""
    return [
        StoredFace(id_face=f.face_id, name=f.person_name, image=base64.b64encode(f.display_image).decode())
        async for f in faces.enrolment.all_faces(settings.default_collection, include_images=True)
    ]
