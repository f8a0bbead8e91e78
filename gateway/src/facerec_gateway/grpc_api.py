"""The public gRPC FaceService, served by the gateway beside the REST API.

It runs the same use cases as the v1 REST routes; collection, person and
face operations go straight to the registry with the caller's message.
"""

from __future__ import annotations

import logging

import grpc
from grpc_health.v1 import health

from facerec.detector.v1 import detector_pb2
from facerec.registry.v1 import registry_pb2
from facerec.v1 import camera_service_pb2_grpc, face_service_pb2_grpc
from facerec.v1 import face_service_pb2 as pb
from facerec_common.server import Context, new_server, set_serving, translate_errors
from facerec_common.settings import GrpcServiceSettings
from facerec_gateway import grpc_cameras
from facerec_gateway.grpc_auth import KeyedServicer, caller, guarded
from facerec_gateway.security import KeyResolver, RateLimiter
from facerec_gateway.settings import GatewaySettings
from facerec_gateway.use_cases import FaceService

log = logging.getLogger(__name__)

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["FaceService"].full_name


def _detected(face: detector_pb2.Face) -> pb.DetectedFace:
    return pb.DetectedFace(box=face.box, landmarks=face.landmarks, detection_score=face.score)


def _optional(request: object, field: str) -> float | None:
    return getattr(request, field) if request.HasField(field) else None  # type: ignore[attr-defined]


class FaceServiceServicer(KeyedServicer, face_service_pb2_grpc.FaceServiceServicer):
    # -- collections, people, faces: the registry's own messages

    @translate_errors
    @guarded("admin")
    async def CreateCollection(
        self, request: registry_pb2.CreateCollectionRequest, context: Context
    ) -> registry_pb2.Collection:
        return await self._faces.registry(self._registry.CreateCollection, request)

    @translate_errors
    @guarded("admin")
    async def UpdateCollection(
        self, request: registry_pb2.UpdateCollectionRequest, context: Context
    ) -> registry_pb2.Collection:
        return await self._faces.registry(self._registry.UpdateCollection, request, actor=caller.get().actor)

    @translate_errors
    @guarded("read")
    async def GetCollection(
        self, request: registry_pb2.GetCollectionRequest, context: Context
    ) -> registry_pb2.Collection:
        return await self._faces.registry(self._registry.GetCollection, request)

    @translate_errors
    @guarded("read")
    async def ListCollections(
        self, request: registry_pb2.ListCollectionsRequest, context: Context
    ) -> registry_pb2.ListCollectionsResponse:
        reply = await self._faces.registry(self._registry.ListCollections, request)
        visible = [c for c in reply.collections if caller.get().sees(c.name)]
        return registry_pb2.ListCollectionsResponse(collections=visible, next_page_token=reply.next_page_token)

    @translate_errors
    @guarded("admin")
    async def DeleteCollection(
        self, request: registry_pb2.DeleteCollectionRequest, context: Context
    ) -> registry_pb2.DeleteCollectionResponse:
        return await self._faces.registry(self._registry.DeleteCollection, request, actor=caller.get().actor, bulk=True)

    @translate_errors
    @guarded("admin")
    async def ReembedCollection(
        self, request: pb.ReembedCollectionRequest, context: Context
    ) -> registry_pb2.Collection:
        return await self._faces.transfer.reembed(request.collection)

    @translate_errors
    @guarded("write")
    async def CreatePerson(self, request: registry_pb2.CreatePersonRequest, context: Context) -> registry_pb2.Person:
        return await self._faces.registry(self._registry.CreatePerson, request)

    @translate_errors
    @guarded("read")
    async def GetPerson(self, request: registry_pb2.GetPersonRequest, context: Context) -> registry_pb2.Person:
        return await self._faces.registry(self._registry.GetPerson, request)

    @translate_errors
    @guarded("read")
    async def ListPeople(
        self, request: registry_pb2.ListPeopleRequest, context: Context
    ) -> registry_pb2.ListPeopleResponse:
        return await self._faces.registry(self._registry.ListPeople, request)

    @translate_errors
    @guarded("write")
    async def UpdatePerson(self, request: registry_pb2.UpdatePersonRequest, context: Context) -> registry_pb2.Person:
        return await self._faces.registry(self._registry.UpdatePerson, request)

    @translate_errors
    @guarded("write")
    async def DeletePerson(
        self, request: registry_pb2.DeletePersonRequest, context: Context
    ) -> registry_pb2.DeletePersonResponse:
        return await self._faces.registry(self._registry.DeletePerson, request, actor=caller.get().actor)

    @translate_errors
    @guarded("read")
    async def GetFace(self, request: registry_pb2.GetFaceRequest, context: Context) -> registry_pb2.FaceRecord:
        return await self._faces.registry(self._registry.GetFace, request)

    @translate_errors
    @guarded("read")
    async def ListFaces(
        self, request: registry_pb2.ListFacesRequest, context: Context
    ) -> registry_pb2.ListFacesResponse:
        return await self._faces.registry(self._registry.ListFaces, request)

    @translate_errors
    @guarded("write")
    async def DeleteFace(
        self, request: registry_pb2.DeleteFaceRequest, context: Context
    ) -> registry_pb2.DeleteFaceResponse:
        return await self._faces.registry(self._registry.DeleteFace, request, actor=caller.get().actor)

    @translate_errors
    @guarded("write")
    async def DeleteFaces(
        self, request: registry_pb2.DeleteFacesRequest, context: Context
    ) -> registry_pb2.DeleteFacesResponse:
        return await self._faces.registry(self._registry.DeleteFaces, request, actor=caller.get().actor)

    # -- operations on photos: the shared use cases

    @translate_errors
    @guarded("write")
    async def EnrollFace(self, request: pb.EnrollFaceRequest, context: Context) -> pb.EnrollFaceResponse:
        face_index = request.face_index if request.HasField("face_index") else None
        done = await self._faces.enrolment.enrol_for_person(
            request.collection, request.person_id, request.image, face_index, request.select_largest
        )
        return pb.EnrollFaceResponse(
            face=done.record,
            faces_in_photo=done.faces_in_photo,
            possible_duplicate=done.possible_duplicate,
            face_index=done.choice.index,
            choice_reason=done.choice.reason,
        )

    @translate_errors
    @guarded("read")
    async def Identify(self, request: pb.IdentifyRequest, context: Context) -> pb.IdentifyResponse:
        found, model = await self._faces.recognition.identify(
            request.collection,
            request.image,
            request.top_k or 1,
            _optional(request, "threshold"),
            request.max_faces,
            exact=request.exact,
            target_fpir=_optional(request, "target_fpir"),
        )
        return pb.IdentifyResponse(
            faces=[
                pb.IdentifiedFace(face=_detected(f.face), match=f.result.match, candidates=f.result.candidates)
                for f in found
            ],
            threshold=found[0].result.threshold,
            model=model,
            search_method=found[0].result.method,
            target_fpir=found[0].result.target_fpir,
            threshold_basis=found[0].result.threshold_basis,
        )

    @translate_errors
    @guarded("read")
    async def Verify(self, request: pb.VerifyRequest, context: Context) -> pb.VerifyResponse:
        done = await self._faces.recognition.verify(request.image_a, request.image_b, _optional(request, "threshold"))
        return pb.VerifyResponse(
            similarity=done.similarity,
            match=done.match,
            threshold=done.threshold,
            face_a=_detected(done.face_a),
            face_b=_detected(done.face_b),
            model=done.model,
        )

    @translate_errors
    @guarded("read")
    async def VerifyPerson(self, request: pb.VerifyPersonRequest, context: Context) -> pb.VerifyPersonResponse:
        done = await self._faces.recognition.verify_person(
            request.collection, request.person_id, request.image, _optional(request, "threshold")
        )
        return pb.VerifyPersonResponse(
            match=done.result.match,
            threshold=done.result.threshold,
            best=done.result.candidates[0] if done.result.candidates else None,
            face=_detected(done.face),
            model=done.model,
        )

    @translate_errors
    @guarded("read")
    async def Detect(self, request: pb.DetectRequest, context: Context) -> pb.DetectResponse:
        found = await self._faces.steps.detect(request.image, max_faces=request.max_faces)
        return pb.DetectResponse(
            faces=[_detected(f) for f in found.faces], image_width=found.image_width, image_height=found.image_height
        )

    @translate_errors
    @guarded("read")
    async def Search(self, request: pb.SearchRequest, context: Context) -> pb.SearchResponse:
        result, model = await self._faces.recognition.search(
            request.collection,
            request.embedding,
            request.top_k or 1,
            _optional(request, "threshold"),
            target_fpir=_optional(request, "target_fpir"),
        )
        return pb.SearchResponse(
            match=result.match,
            threshold=result.threshold,
            candidates=result.candidates,
            model=model,
            target_fpir=result.target_fpir,
            threshold_basis=result.threshold_basis,
        )


async def start_public_grpc(
    settings: GatewaySettings, faces: FaceService, keys: KeyResolver, limiter: RateLimiter
) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer]:
    server_settings = GrpcServiceSettings(
        host=settings.host, port=settings.grpc_port, max_message_mb=settings.max_message_mb
    ).model_copy(update={"service_token": None})  # public: callers bring API keys, never the service token
    server, port, health_servicer = await new_server(server_settings)
    open_mode = settings.auth_mode == "open"
    face_service_pb2_grpc.add_FaceServiceServicer_to_server(
        FaceServiceServicer(faces, keys, limiter, open_mode), server
    )
    camera_service_pb2_grpc.add_CameraServiceServicer_to_server(
        grpc_cameras.CameraServiceServicer(faces, keys, limiter, open_mode), server
    )
    await server.start()
    await set_serving(health_servicer, [SERVICE_NAME, grpc_cameras.SERVICE_NAME])
    log.info("public gRPC FaceService and CameraService on %s:%d", settings.host, port)
    return server, port, health_servicer
