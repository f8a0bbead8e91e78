"""One embedder replica for the routing test, in its own process so the test can SIGKILL it:
a real gRPC server with the standard health service, answering GetModel with its own name.
Prints its port, then serves until killed. Its health follows the file named by argv[2]:
SERVING while the file holds "SERVING", NOT_SERVING otherwise."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from facerec.common.v1 import types_pb2
from facerec.embedder.v1 import embedder_pb2, embedder_pb2_grpc

CALL_S = 0.02  # long enough that a kill lands on calls in flight


class Replica(embedder_pb2_grpc.EmbedderServiceServicer):
    def __init__(self, name: str) -> None:
        self.name = name

    async def GetModel(
        self, request: embedder_pb2.GetModelRequest, context: grpc.aio.ServicerContext
    ) -> embedder_pb2.GetModelResponse:
        await asyncio.sleep(CALL_S)
        return embedder_pb2.GetModelResponse(model=types_pb2.ModelInfo(name=self.name))


async def main(name: str, status_file: Path) -> None:
    server = grpc.aio.server()
    checks = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(checks, server)
    embedder_pb2_grpc.add_EmbedderServiceServicer_to_server(Replica(name), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    print(port, flush=True)
    while True:
        serving = status_file.read_text().strip() == "SERVING"  # noqa: ASYNC240 - a few bytes, 20 times a second
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        await checks.set("", status)
        await asyncio.sleep(0.05)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2])))
