"""Collections: isolated galleries, each bound to one embedding model."""

from __future__ import annotations

from fastapi import APIRouter, status

from facerec.registry.v1 import registry_pb2
from facerec_gateway.dependencies import Admin, FacesDep, Reader
from facerec_gateway.routes.responses import ERRORS
from facerec_gateway.v1 import convert
from facerec_gateway.v1 import schemas as s
from facerec_gateway.v1.params import CollectionPath, Cursor, Limit

router = APIRouter(prefix="/collections", tags=["collections"], responses=ERRORS)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=s.Collection)
async def create_collection(body: s.CollectionCreate, faces: FacesDep, _: Admin) -> s.Collection:
    """Create an empty collection; its model is set by its first face."""
    request = registry_pb2.CreateCollectionRequest(name=body.name)
    return convert.collection(await faces.registry(faces.backends.registry.CreateCollection, request))


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
    await faces.registry(faces.backends.registry.DeleteCollection, request, actor=who.actor)


@router.post("/{collection}/reembed", response_model=s.Collection)
async def reembed_collection(collection: CollectionPath, faces: FacesDep, _: Admin) -> s.Collection:
    """Re-compute every embedding from the stored aligned crops with the embedder's current model,
    then switch the collection to it in one transaction. Needed after changing the model."""
    return convert.collection(await faces.reembed(collection))
