"""Calls to the registry's gRPC API that its tests make over and over: a collection file
streamed in, a refusal read as its domain error, a search of one vector."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Iterable, Sequence
from typing import Any

import grpc
import numpy as np
import numpy.typing as npt

from facerec.common.v1 import types_pb2
from facerec.registry.v1 import registry_pb2, registry_pb2_grpc
from facerec_common import errors, packed
from facerec_devstack import synthetic

Stub = registry_pb2_grpc.RegistryServiceStub


async def import_file(
    stub: Stub, collection: str, chunks: Iterable[bytes], new_ids: bool = False, key: str = ""
) -> registry_pb2.ImportCollectionResponse:
    """ImportCollection of `chunks`: the collection, new_ids and key on the first message only."""

    async def requests() -> AsyncIterator[registry_pb2.ImportCollectionRequest]:
        first = True
        for chunk in chunks:
            yield registry_pb2.ImportCollectionRequest(
                collection=collection if first else "",
                new_ids=new_ids,
                data=chunk,
                idempotency_key=key if first else "",
            )
            first = False

    reply: registry_pb2.ImportCollectionResponse = await stub.ImportCollection(requests(), timeout=60)
    return reply


async def refusal(pending: Awaitable[Any]) -> errors.FacerecError:
    """The domain error a call that must fail fails with (AssertionError if it succeeds)."""
    try:
        await pending
    except grpc.aio.AioRpcError as exc:
        return errors.from_rpc_error(exc)
    raise AssertionError("the call was expected to fail")


async def match(
    stub: Stub,
    collection: str,
    probe: npt.NDArray[np.float32],
    model: types_pb2.ModelInfo,
    top_k: int = 1,
    exact: bool = False,
) -> registry_pb2.MatchFaceResponse:
    request = registry_pb2.MatchFaceRequest(
        collection=collection, embedding=packed.message(probe), model=model, top_k=top_k, exact=exact
    )
    reply: registry_pb2.MatchFaceResponse = await stub.MatchFace(request, timeout=30)
    return reply


async def load_gallery(
    replicas: Sequence[Stub],
    rng: np.random.Generator,
    model: synthetic.Model,
    faces: int,
    per_person: int,
    ready_s: float = 60.0,
) -> tuple[str, npt.NDArray[np.float32]]:
    """A synthetic collection imported through the first replica, once every replica searches it
    through its index (each loads a new collection in the background; until then it scans SQL).
    Draws its vectors from `rng`, so a caller's later draws stay what they were."""
    name = f"index-{uuid.uuid4().hex[:8]}"
    vectors = synthetic.unit_vectors(rng, faces, model.dimension)
    reply = await import_file(replicas[0], name, synthetic.collection_file(model, vectors, per_person, chunk_faces=700))
    assert (reply.people_imported, reply.faces_imported) == (faces // per_person, faces)
    assert reply.collection.face_count == faces
    info = types_pb2.ModelInfo(name=model.name, version=model.version, dimension=model.dimension)
    for replica in replicas:
        for _ in range(round(ready_s * 10)):
            if (await match(replica, name, vectors[0], info)).method == "index":
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"the index was not ready within {ready_s:.0f} s")
    return name, vectors
