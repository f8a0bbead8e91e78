"""Collections: isolated galleries, each bound to one embedding model."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, status
from fastapi.responses import StreamingResponse

from facerec.registry.v1 import registry_pb2
from facerec_gateway.dependencies import Admin, FacesDep, Reader
from facerec_gateway.json_body import JsonRoute
from facerec_gateway.routes.responses import ERRORS
from facerec_gateway.v1 import convert
from facerec_gateway.v1 import schemas as s
from facerec_gateway.v1.params import CollectionPath, Cursor, Limit

router = APIRouter(prefix="/collections", tags=["collections"], responses=ERRORS, route_class=JsonRoute)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=s.Collection)
async def create_collection(body: s.CollectionCreate, faces: FacesDep, _: Admin) -> s.Collection:
    """Create an empty collection; its model is set by its first face."""
    request = registry_pb2.CreateCollectionRequest(name=body.name, target_fpir=body.target_fpir)
    return convert.collection(await faces.registry(faces.backends.registry.CreateCollection, request))


@router.patch("/{collection}", response_model=s.Collection)
async def update_collection(
    collection: CollectionPath, body: s.CollectionUpdate, faces: FacesDep, who: Admin
) -> s.Collection:
    """Set the collection's target FPIR (the share of strangers an identify may match to someone),
    or clear it with null to follow the service's default."""
    request = registry_pb2.UpdateCollectionRequest(
        name=collection, target_fpir=body.target_fpir, clear_target_fpir=body.target_fpir is None
    )
    return convert.collection(await faces.registry(faces.backends.registry.UpdateCollection, request, actor=who.actor))


@router.get("", response_model=s.CollectionList)
async def list_collections(faces: FacesDep, who: Reader, limit: Limit = 50, cursor: Cursor = None) -> s.CollectionList:
    """The collections this key may see, oldest first."""
    request = registry_pb2.ListCollectionsRequest(page_size=limit, page_token=cursor or "")
    reply = await faces.registry(faces.backends.registry.ListCollections, request)
    return s.CollectionList(
        collections=[convert.collection(c) for c in reply.collections if who.sees(c.name)],
        next_cursor=convert.cursor(reply.next_page_token),
    )


@router.get("/{collection}", response_model=s.Collection)
async def get_collection(collection: CollectionPath, faces: FacesDep, _: Reader) -> s.Collection:
    """Counts of people and faces, and the embedding model of the collection."""
    request = registry_pb2.GetCollectionRequest(name=collection)
    return convert.collection(await faces.registry(faces.backends.registry.GetCollection, request))


@router.delete("/{collection}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_collection(collection: CollectionPath, faces: FacesDep, who: Admin) -> None:
    """Delete the collection with every person, face, embedding and image in it."""
    request = registry_pb2.DeleteCollectionRequest(name=collection)
    await faces.registry(faces.backends.registry.DeleteCollection, request, actor=who.actor, bulk=True)


@router.post("/{collection}/reembed", response_model=s.Collection)
async def reembed_collection(collection: CollectionPath, faces: FacesDep, _: Admin) -> s.Collection:
    """Re-compute every embedding from the stored aligned crops with the embedder's current model,
    then switch the collection to it in one transaction. Needed after changing the model."""
    return convert.collection(await faces.transfer.reembed(collection))


NDJSON = "application/x-ndjson"


@router.get(
    "/{collection}/export",
    response_class=StreamingResponse,
    responses={200: {"content": {NDJSON: {}}, "description": "The collection file (docs/collection-format.md)."}},
)
async def export_collection(
    collection: CollectionPath,
    faces: FacesDep,
    _: Admin,
    images: Annotated[bool, Query(description="Include aligned crops and display images (needed to re-embed)")] = False,
) -> StreamingResponse:
    """The collection as JSON Lines: a header with the model and counts, its people, then their
    faces with embeddings. Streamed from one consistent snapshot; import it with `POST …/import`."""
    chunks = await faces.transfer.export_collection(collection, images)
    filename = f"{collection}.facerec.jsonl"
    return StreamingResponse(
        chunks, media_type=NDJSON, headers={"content-disposition": f'attachment; filename="{filename}"'}
    )


@router.post(
    "/{collection}/import",
    response_model=s.ImportResult,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            "description": "A collection file from `GET …/export`, sent as is (any content type, e.g. "
            "application/x-ndjson; any size: it is streamed).",
        }
    },
)
async def import_collection(
    collection: CollectionPath,
    request: Request,
    faces: FacesDep,
    _: Admin,
    new_ids: Annotated[
        bool, Query(description="Give people and faces new ids (e.g. a copy in this deployment)")
    ] = False,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            pattern=r"^[\x21-\x7e]{1,128}$",
            description="Names this import (e.g. a UUID), so that it can be sent again after a lost answer: a key "
            "already used in this collection (within 7 days) is answered with that import's result and "
            "`replayed: true`, without importing or reading the file again; the same key with another file "
            "(or new_ids set otherwise) is refused (409 ALREADY_EXISTS).",
        ),
    ] = None,
) -> s.ImportResult:
    """Import a collection file into this collection (created when missing). All or nothing: a bad
    line (named by its number), another model (409) or a truncated file imports none of it."""
    reply = await faces.transfer.import_collection(collection, request.stream(), new_ids, idempotency_key or "")
    return s.ImportResult(
        collection=convert.collection(reply.collection),
        people_imported=reply.people_imported,
        faces_imported=reply.faces_imported,
        replayed=reply.replayed,
    )
