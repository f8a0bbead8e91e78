"""Moving collections: export and import of collection files (streamed), and re-embedding a
collection with the embedder's current model."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import grpc

from facerec.embedder.v1 import embedder_pb2
from facerec.registry.v1 import registry_pb2
from facerec_common.errors import STREAM_ANSWERED_KEY, ModelMismatch, ReembeddingIncomplete
from facerec_gateway.backends import call
from facerec_gateway.use_cases.steps import Steps

REEMBED_PAGE_SIZE = 64
REEMBED_PASSES = 3


class TransferCases:
    def __init__(self, steps: Steps) -> None:
        self._steps = steps
        self._registry = steps.backends.registry
        self._embedder = steps.backends.embedder

    async def export_collection(self, collection: str, include_images: bool) -> AsyncIterator[bytes]:
        """The collection file as chunks. The first chunk is read before returning, so an unknown
        collection fails here rather than in the middle of a response."""
        stream = self._registry.ExportCollection(
            registry_pb2.ExportCollectionRequest(collection=collection, include_images=include_images),
            timeout=self._steps.settings.bulk_timeout_s,
        )
        first = await call(stream.read())

        async def chunks() -> AsyncIterator[bytes]:
            # read() only: a gRPC stream may not be both read() and iterated.
            chunk = first
            while chunk is not grpc.aio.EOF:
                yield chunk.data
                chunk = await call(stream.read())

        return chunks()

    async def import_collection(
        self, collection: str, data: AsyncIterator[bytes], new_ids: bool, idempotency_key: str = ""
    ) -> registry_pb2.ImportCollectionResponse:
        """Stream a collection file to the registry. A file of another model than the embedder's
        is refused before anything is sent: its vectors could never be matched here."""
        head, data = await _first_line(data)
        await self._check_file_model(head)
        stream = self._registry.ImportCollection(timeout=self._steps.settings.bulk_timeout_s)
        first = registry_pb2.ImportCollectionRequest(
            collection=collection, new_ids=new_ids, data=head, idempotency_key=idempotency_key
        )
        await call(stream.write(first))
        await _send_until_answered(stream, data)
        reply: registry_pb2.ImportCollectionResponse = await call(stream)
        return reply

    async def _check_file_model(self, head: bytes) -> None:
        try:
            header = json.loads(head.split(b"\n", 1)[0])
            name, version = header["model"]["name"], header["model"]["version"]
        except (ValueError, KeyError, TypeError):
            return  # not a header: the registry names the line and the problem
        current = await self._steps.model()
        if version != current.version:
            raise ModelMismatch(
                f"The file holds embeddings of {name}@{version}; this deployment embeds with "
                f"{current.name}@{current.version}. Import it where that model runs, or re-embed it there first.",
                collection_model=f"{name}@{version}",
                request_model=f"{current.name}@{current.version}",
            )

    async def reembed(self, collection: str) -> registry_pb2.Collection:
        """Re-compute every embedding of the collection with the embedder's current model, then switch.

        Faces enrolled meanwhile (with the old model) are picked up by the next pass.
        """
        model = await self._steps.model()
        for _ in range(REEMBED_PASSES):
            token = ""
            while True:
                page = await self._steps.registry(
                    self._registry.ListAlignedCrops,
                    registry_pb2.ListAlignedCropsRequest(
                        collection=collection,
                        page_size=REEMBED_PAGE_SIZE,
                        page_token=token,
                        unstaged_for_version=model.version,
                    ),
                )
                if page.crops:
                    reply = await call(
                        self._embedder.Embed(
                            embedder_pb2.EmbedRequest(faces=[c.aligned for c in page.crops]),
                            timeout=self._steps.settings.embed_timeout_s,
                        )
                    )
                    if reply.model.version != model.version:
                        # Replicas disagree (a rollout in progress): never stage vectors under the wrong model.
                        raise ReembeddingIncomplete(
                            f"The embedder switched from {model.name}@{model.version} to "
                            f"{reply.model.name}@{reply.model.version} during re-embedding; retry."
                        )
                    staged = [
                        registry_pb2.StagedEmbedding(face_id=c.face_id, embedding=e)
                        for c, e in zip(page.crops, reply.embeddings, strict=True)
                    ]
                    await self._steps.registry(
                        self._registry.StageEmbeddings,
                        registry_pb2.StageEmbeddingsRequest(collection=collection, model=model, embeddings=staged),
                    )
                token = page.next_page_token
                if not token:
                    break
            try:
                done: registry_pb2.Collection = await self._steps.registry(
                    self._registry.CommitReembedding,
                    registry_pb2.CommitReembeddingRequest(collection=collection, model=model),
                )
                return done
            except ReembeddingIncomplete:
                continue
        raise ReembeddingIncomplete(f"Faces kept arriving in '{collection}' during {REEMBED_PASSES} passes; retry.")


ImportCall = grpc.aio.StreamUnaryCall[registry_pb2.ImportCollectionRequest, registry_pb2.ImportCollectionResponse]


async def _send_until_answered(stream: ImportCall, data: AsyncIterator[bytes]) -> None:
    """Write `data` to a collection import's stream and close it; stop early, without waiting for
    the client's next bytes, once the registry says it has its answer (in its initial metadata: a
    refusal, or the replay of an earlier import with the same key) or the call ends: the client
    then has its answer without uploading the rest."""

    async def until_stopped() -> None:
        metadata = await stream.initial_metadata()
        if not any(key == STREAM_ANSWERED_KEY for key, _ in metadata or ()):
            await stream.code()  # the call's end, whatever its status

    stop = asyncio.ensure_future(until_stopped())
    waiting_for_client = False

    async def pump() -> None:
        nonlocal waiting_for_client
        while not stop.done():
            waiting_for_client = True
            chunk = await anext(data, None)
            waiting_for_client = False
            if chunk is None:
                return
            # The registry reads on until the stream is closed, so a write completes even when answered.
            await call(stream.write(registry_pb2.ImportCollectionRequest(data=chunk)))

    pumping = asyncio.ensure_future(pump())
    try:
        await asyncio.wait({pumping, stop}, return_when=asyncio.FIRST_COMPLETED)
        if stop.done() and not pumping.done() and waiting_for_client:
            pumping.cancel()  # never mid-write: a cancelled write would cancel the call, and its answer
        await asyncio.wait({pumping})
        if not pumping.cancelled():
            pumping.result()  # the pump's own error, if any
    except BaseException:
        stream.cancel()  # the client went away or the write failed: the registry keeps nothing
        raise
    finally:
        stop.cancel()
        if stop.done() and not stop.cancelled():
            stop.exception()  # retrieved: the call's own status tells what went wrong
    await call(stream.done_writing())


async def _first_line(data: AsyncIterator[bytes], limit: int = 1 << 20) -> tuple[bytes, AsyncIterator[bytes]]:
    """The bytes up to and including the first line break (or `limit` bytes), and the rest of the stream."""
    head = b""
    async for chunk in data:
        head += chunk
        if b"\n" in head or len(head) >= limit:
            break
    return head, data
