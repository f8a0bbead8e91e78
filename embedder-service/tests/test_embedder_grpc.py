"""EmbedderService over a real gRPC channel."""

from __future__ import annotations

import asyncio

import grpc
import numpy as np
import pytest

from facerec.common.v1 import types_pb2
from facerec.embedder.v1 import embedder_pb2, embedder_pb2_grpc
from facerec_common import errors, rgb
from facerec_common.models import MOBILEFACENET
from facerec_common.packed import unpack
from facerec_common.rgb import RgbArray

Stub = embedder_pb2_grpc.EmbedderServiceStub


async def test_embeds_a_batch_in_order(embedder_stub: Stub, crops: dict[str, RgbArray]) -> None:
    names = sorted(crops)
    reply = await embedder_stub.Embed(
        embedder_pb2.EmbedRequest(faces=[rgb.to_proto(crops[n]) for n in names]), timeout=30
    )
    assert reply.model.name == "w600k_mbf"
    assert reply.model.version == MOBILEFACENET.version
    vectors = np.array([unpack(e.vector) for e in reply.embeddings])
    assert vectors.shape == (len(names), 512)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Two photos of one person are each other's nearest neighbour: order was kept.
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -1)
    for i, name in enumerate(names):
        assert names[int(similarity[i].argmax())].rsplit("_", 1)[0] == name.rsplit("_", 1)[0]


async def test_concurrent_calls_batched_together_get_their_own_vectors(
    embedder_stub: Stub, crops: dict[str, RgbArray]
) -> None:
    names = sorted(crops)

    async def one(name: str) -> np.ndarray:  # type: ignore[type-arg]
        reply = await embedder_stub.Embed(embedder_pb2.EmbedRequest(faces=[rgb.to_proto(crops[name])]), timeout=30)
        return unpack(reply.embeddings[0].vector)

    alone = [await one(n) for n in names]
    together = await asyncio.gather(*(one(n) for n in names * 3))
    for i, vector in enumerate(together):
        np.testing.assert_allclose(vector, alone[i % len(names)], atol=1e-5)


async def test_model_and_provider(embedder_stub: Stub) -> None:
    reply = await embedder_stub.GetModel(embedder_pb2.GetModelRequest(), timeout=10)
    assert reply.model.dimension == 512
    assert reply.provider == "CPUExecutionProvider"


@pytest.mark.parametrize(
    "face",
    [
        types_pb2.RgbImage(width=64, height=64, pixels=bytes(64 * 64 * 3)),
        types_pb2.RgbImage(width=112, height=112, pixels=b"short"),
    ],
)
async def test_malformed_crops_are_invalid_argument(embedder_stub: Stub, face: types_pb2.RgbImage) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await embedder_stub.Embed(embedder_pb2.EmbedRequest(faces=[face]), timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert isinstance(errors.from_rpc_error(caught.value), errors.InvalidArgument)


async def test_too_many_faces_in_one_call(embedder_stub: Stub) -> None:
    face = types_pb2.RgbImage(width=112, height=112, pixels=bytes(112 * 112 * 3))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await embedder_stub.Embed(embedder_pb2.EmbedRequest(faces=[face] * 17), timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
