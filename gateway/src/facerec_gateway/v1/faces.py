"""Faces of a collection: list, read, fetch the display image, delete one or many."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from facerec.registry.v1 import registry_pb2
from facerec_gateway.dependencies import FacesDep, Reader, Writer
from facerec_gateway.json_body import JsonRoute
from facerec_gateway.routes.responses import ERRORS
from facerec_gateway.v1 import convert
from facerec_gateway.v1 import schemas as s
from facerec_gateway.v1.params import CollectionPath, Cursor, Limit

router = APIRouter(prefix="/collections/{collection}/faces", tags=["faces"], responses=ERRORS, route_class=JsonRoute)


@router.get("", response_model=s.FacesPage)
async def list_faces(
    collection: CollectionPath,
    faces: FacesDep,
    _: Reader,
    person_id: str | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> s.FacesPage:
    """Faces, oldest first; `person_id` keeps one person's."""
    request = registry_pb2.ListFacesRequest(
        collection=collection, page_size=limit, page_token=cursor or "", person_id=person_id or ""
    )
    reply = await faces.registry(faces.backends.registry.ListFaces, request)
    return s.FacesPage(faces=[convert.face(f) for f in reply.faces], next_cursor=convert.cursor(reply.next_page_token))


@router.post(":delete", response_model=s.FacesDeleted)
async def delete_faces(collection: CollectionPath, body: s.FacesDelete, faces: FacesDep, who: Writer) -> s.FacesDeleted:
    """Delete many faces at once; says which were deleted and which did not exist."""
    request = registry_pb2.DeleteFacesRequest(collection=collection, face_ids=body.face_ids)
    reply = await faces.registry(faces.backends.registry.DeleteFaces, request, actor=who.actor)
    return s.FacesDeleted(deleted=list(reply.deleted), not_found=list(reply.not_found))


@router.get("/{face_id}", response_model=s.Face)
async def get_face(collection: CollectionPath, face_id: str, faces: FacesDep, _: Reader) -> s.Face:
    request = registry_pb2.GetFaceRequest(collection=collection, face_id=face_id)
    return convert.face(await faces.registry(faces.backends.registry.GetFace, request))


@router.get("/{face_id}/image", response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
async def get_face_image(collection: CollectionPath, face_id: str, faces: FacesDep, _: Reader) -> Response:
    """The small JPEG kept for display (never used for matching)."""
    request = registry_pb2.GetFaceRequest(collection=collection, face_id=face_id, include_image=True)
    record = await faces.registry(faces.backends.registry.GetFace, request)
    return Response(content=record.display_image, media_type="image/jpeg")


@router.delete("/{face_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_face(collection: CollectionPath, face_id: str, faces: FacesDep, who: Writer) -> None:
    """Delete the face with its embedding and images; the deletion is audited."""
    request = registry_pb2.DeleteFaceRequest(collection=collection, face_id=face_id)
    await faces.registry(faces.backends.registry.DeleteFace, request, actor=who.actor)
