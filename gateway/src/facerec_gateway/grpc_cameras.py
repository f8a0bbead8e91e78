"""The public gRPC CameraService, beside FaceService: cameras and their events, with the same
keys, scopes and collection binding as /api/v1/cameras and /api/v1/events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from facerec.registry.v1 import cameras_pb2
from facerec.v1 import camera_service_pb2 as pb
from facerec.v1 import camera_service_pb2_grpc
from facerec_common.errors import CameraNotFound, EventNotFound
from facerec_common.server import Context, translate_errors, translate_stream_errors
from facerec_gateway.grpc_auth import KeyedServicer, caller, guarded

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["CameraService"].full_name
# How often a watch asks the registry for what is new: events are decided a few hundred ms
# after a face shows, so a second keeps a watcher about as current as a webhook.
WATCH_EVERY_S = 1.0
WATCH_PAGE = 200


def _without_actor(request: cameras_pb2.PutCameraRequest) -> cameras_pb2.PutCameraRequest:
    """The caller's request, its `actor` cleared: the audit log names the caller's key, not a claim."""
    sent = cameras_pb2.PutCameraRequest()
    sent.CopyFrom(request)
    sent.actor = ""
    return sent


class CameraServiceServicer(KeyedServicer, camera_service_pb2_grpc.CameraServiceServicer):
    def _visible_camera(self, camera: cameras_pb2.Camera) -> cameras_pb2.Camera:
        if not caller.get().sees(camera.collection):
            raise CameraNotFound(f"No camera is named '{camera.name}'.", camera=camera.name)
        return camera

    @translate_errors
    @guarded("admin")
    async def CreateCamera(self, request: cameras_pb2.PutCameraRequest, context: Context) -> cameras_pb2.Camera:
        sent = _without_actor(request)
        sent.create_only = True
        return await self._faces.registry(self._cameras.PutCamera, sent, actor=caller.get().actor)

    @translate_errors
    @guarded("admin")
    async def UpdateCamera(self, request: cameras_pb2.PutCameraRequest, context: Context) -> cameras_pb2.Camera:
        await self._get_camera(request.name)
        sent = _without_actor(request)
        sent.create_only = False
        return await self._faces.registry(self._cameras.PutCamera, sent, actor=caller.get().actor)

    @translate_errors
    @guarded("read")
    async def GetCamera(self, request: cameras_pb2.GetCameraRequest, context: Context) -> cameras_pb2.Camera:
        caller.get().require("admin")
        return self._visible_camera(await self._faces.registry(self._cameras.GetCamera, request))

    @translate_errors
    @guarded("read")
    async def ListCameras(
        self, request: cameras_pb2.ListCamerasRequest, context: Context
    ) -> cameras_pb2.ListCamerasResponse:
        caller.get().require("admin")
        reply = await self._faces.registry(self._cameras.ListCameras, request)
        visible = [c for c in reply.cameras if caller.get().sees(c.collection)]
        return cameras_pb2.ListCamerasResponse(cameras=visible)

    @translate_errors
    @guarded("read")
    async def DeleteCamera(
        self, request: cameras_pb2.DeleteCameraRequest, context: Context
    ) -> cameras_pb2.DeleteCameraResponse:
        caller.get().require("admin")
        await self._get_camera(request.name)
        sent = cameras_pb2.DeleteCameraRequest(name=request.name)  # the audit's actor is the caller's key
        return await self._faces.registry(self._cameras.DeleteCamera, sent, actor=caller.get().actor)

    async def _get_camera(self, name: str) -> cameras_pb2.Camera:
        found = await self._faces.registry(self._cameras.GetCamera, cameras_pb2.GetCameraRequest(name=name))
        return self._visible_camera(found)

    @translate_errors
    @guarded("read")
    async def ListEvents(
        self, request: cameras_pb2.ListEventsRequest, context: Context
    ) -> cameras_pb2.ListEventsResponse:
        bound = self._bound(request)
        if bound is None:
            return cameras_pb2.ListEventsResponse()
        return await self._faces.registry(self._cameras.ListEvents, bound)

    @translate_errors
    @guarded("read")
    async def GetEvent(self, request: cameras_pb2.GetEventRequest, context: Context) -> cameras_pb2.CameraEvent:
        event: cameras_pb2.CameraEvent = await self._faces.registry(self._cameras.GetEvent, request)
        if not caller.get().sees(event.collection):
            raise EventNotFound(f"No event has the id {request.event_id}.", event_id=request.event_id)
        return event

    @translate_stream_errors
    async def WatchEvents(
        self, request: pb.WatchEventsRequest, context: Context
    ) -> AsyncIterator[cameras_pb2.CameraEvent]:
        principal = await self.authenticate(context)
        principal.require("read")
        caller.set(principal)
        asked = self._bound(cameras_pb2.ListEventsRequest(camera=request.camera, unknown_only=request.unknown_only))
        assert asked is not None  # it asks for no collection: a bound key's own
        asked.page_size = WATCH_PAGE
        # What exists when the watch starts is not sent; what opens or changes after it is.
        known = {e.event_id: e for e in (await self._faces.registry(self._cameras.ListEvents, asked)).events}
        while True:
            await asyncio.sleep(WATCH_EVERY_S)
            # Each poll as a call of its own: a key revoked meanwhile ends the watch, and the
            # key's rate limit counts the polls.
            (await self.authenticate(context)).require("read")
            reply = await self._faces.registry(self._cameras.ListEvents, asked)
            for event in reversed(reply.events):
                before = known.get(event.event_id)
                if before is None or (before.track_count, before.ended) != (event.track_count, event.ended):
                    yield event
            known = {e.event_id: e for e in reply.events}  # the newest page only: bounded

    def _bound(self, request: cameras_pb2.ListEventsRequest) -> cameras_pb2.ListEventsRequest | None:
        """The request within the caller's collections (a bound key sees its own only); None
        when it asks only for collections it does not see."""
        bound = cameras_pb2.ListEventsRequest()
        bound.CopyFrom(request)
        mine = caller.get().collections
        if mine:
            wanted = [c for c in bound.collections if c in mine] if bound.collections else sorted(mine)
            if not wanted:
                return None
            del bound.collections[:]
            bound.collections.extend(wanted)
        return bound
