"""CameraRegistryService on a real PostgreSQL: cameras, leases shared by stream replicas, events
and their delivery outbox. A database of its own: leases are shared out over every camera."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from facerec.registry.v1 import cameras_pb2, cameras_pb2_grpc
from facerec_registry.settings import RegistrySettings
from facerec_registry.startup import create_server
from facerec_registry.store import events
from facerec_registry.store.connection import Database

Stub = cameras_pb2_grpc.CameraRegistryServiceStub
SECRET = "hunter2-camera-password"


@pytest.fixture(scope="module")
def cameras_database(pg_root) -> str:  # type: ignore[no-untyped-def]
    url: str = pg_root.ensure_database("camera_tests")
    return url


@pytest.fixture(scope="module")
async def stub(cameras_database: str) -> AsyncIterator[Stub]:
    settings = RegistrySettings(port=0, DATABASE_URL=cameras_database, search_index=False)
    server, port, _, resources = await create_server(settings)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield Stub(channel)
    finally:
        await server.stop(None)
        await resources.close()


@pytest.fixture
async def clean(stub: Stub) -> None:
    """No camera left from another test: leases are shared out over all of them."""
    for camera in (await stub.ListCameras(cameras_pb2.ListCamerasRequest())).cameras:
        await stub.DeleteCamera(cameras_pb2.DeleteCameraRequest(name=camera.name))


def _put(name: str, *, enabled: bool = True) -> cameras_pb2.PutCameraRequest:
    return cameras_pb2.PutCameraRequest(
        name=name,
        source_url=f"rtsp://admin:{SECRET}@10.0.0.7:554/{name}",
        collection="staff",
        fps=5,
        min_face_px=40,
        enabled=enabled,
    )


def _fields(request: cameras_pb2.PutCameraRequest) -> dict[str, object]:
    return {f.name: v for f, v in request.ListFields()}


def _stamp(at: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp


async def _lease(stub: Stub, holder: str, lease_s: float = 30.0) -> set[str]:
    reply = await stub.LeaseCameras(cameras_pb2.LeaseCamerasRequest(holder=holder, lease_seconds=lease_s))
    return {c.name for c in reply.cameras}


async def test_cameras_are_stored_and_never_answer_their_credentials(stub: Stub, clean: None) -> None:
    camera = await stub.PutCamera(_put("door"))
    assert camera.source == "rtsp://***@10.0.0.7:554/door"
    assert camera.state.state == "unassigned"
    assert SECRET not in str(camera)
    listed = await stub.ListCameras(cameras_pb2.ListCamerasRequest())
    assert [c.name for c in listed.cameras] == ["door"]
    assert SECRET not in str(listed)

    with pytest.raises(grpc.aio.AioRpcError) as exists:
        await stub.PutCamera(cameras_pb2.PutCameraRequest(**{**_fields(_put("door")), "create_only": True}))
    assert exists.value.code() == grpc.StatusCode.ALREADY_EXISTS

    # A change that does not send the source keeps the stored one (nobody else can read it back).
    changed = await stub.PutCamera(
        cameras_pb2.PutCameraRequest(**{**_fields(_put("door")), "source_url": "", "fps": 2})
    )
    assert (changed.fps, changed.created_at) == (2, camera.created_at)
    holder = f"replica-{uuid.uuid4().hex[:6]}"
    [leased] = (await stub.LeaseCameras(cameras_pb2.LeaseCamerasRequest(holder=holder, lease_seconds=30))).cameras
    assert leased.source_url == _put("door").source_url
    await stub.ReleaseCameras(cameras_pb2.ReleaseCamerasRequest(holder=holder))

    disabled = await stub.PutCamera(_put("door", enabled=False))
    assert disabled.state.state == "disabled"

    await stub.DeleteCamera(cameras_pb2.DeleteCameraRequest(name="door"))
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await stub.GetCamera(cameras_pb2.GetCameraRequest(name="door"))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    "change",
    [
        {"name": "Front Door"},
        {"source_url": ""},
        {"source_url": "rtsp://cam/a b"},
        {"fps": 0.0},
        {"fps": float("nan")},
        {"fps": 31.0},
        {"collection": "x" * 65},
    ],
)
async def test_bad_cameras_are_refused(stub: Stub, change: dict[str, object]) -> None:
    request = _put(f"new-{uuid.uuid4().hex[:8]}")
    for field, value in change.items():
        setattr(request, field, value)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.PutCamera(request)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_leases_share_cameras_out_and_move_them_when_a_replica_goes_quiet(stub: Stub, clean: None) -> None:
    for name in ("cam-a", "cam-b", "cam-c"):
        await stub.PutCamera(_put(name))
    await stub.PutCamera(_put("cam-off", enabled=False))
    first, second = f"replica-{uuid.uuid4().hex[:6]}", f"replica-{uuid.uuid4().hex[:6]}"

    assert await _lease(stub, first, 1.5) == {"cam-a", "cam-b", "cam-c"}  # alone: every enabled one
    assert await _lease(stub, second, 30) == set()  # nothing free yet
    kept = await _lease(stub, first, 1.5)  # two live replicas: its share is 2
    assert len(kept) == 2
    taken = await _lease(stub, second, 30)
    assert taken == {"cam-a", "cam-b", "cam-c"} - kept

    listed = {c.name: c for c in (await stub.ListCameras(cameras_pb2.ListCamerasRequest())).cameras}
    assert {listed[n].holder for n in kept} == {first}
    assert listed["cam-off"].holder == ""
    assert listed["cam-off"].state.state == "disabled"

    await asyncio.sleep(1.6)  # the first replica stops: its leases lapse
    assert await _lease(stub, second, 30) == {"cam-a", "cam-b", "cam-c"}

    await stub.ReleaseCameras(cameras_pb2.ReleaseCamerasRequest(holder=second))
    assert await _lease(stub, first, 30) == {"cam-a", "cam-b", "cam-c"}  # released: free at once
    await stub.ReleaseCameras(cameras_pb2.ReleaseCamerasRequest(holder=first))


async def test_a_lease_answer_carries_the_source_and_reports_come_back_as_state(stub: Stub, clean: None) -> None:
    await stub.PutCamera(_put("door"))
    holder = f"replica-{uuid.uuid4().hex[:6]}"
    reply = await stub.LeaseCameras(cameras_pb2.LeaseCamerasRequest(holder=holder, lease_seconds=30))
    assert reply.cameras[0].source_url.endswith(f"{SECRET}@10.0.0.7:554/door")
    assert reply.replicas == 1
    report = cameras_pb2.CameraReport(
        name="door",
        state=cameras_pb2.CameraState(
            state="failing", reason="Connection refused", lag_seconds=0.25, last_frame_jpeg=b"jpeg"
        ),
    )
    await stub.LeaseCameras(cameras_pb2.LeaseCamerasRequest(holder=holder, lease_seconds=30, reports=[report]))
    camera = await stub.GetCamera(cameras_pb2.GetCameraRequest(name="door", include_frame=True))
    assert (camera.holder, camera.state.state, camera.state.reason) == (holder, "failing", "Connection refused")
    assert camera.state.last_frame_jpeg == b"jpeg"
    assert camera.state.lag_seconds == pytest.approx(0.25)
    assert camera.source_url == ""
    listed = (await stub.ListCameras(cameras_pb2.ListCamerasRequest())).cameras[0]
    assert listed.state.state == "failing"
    assert listed.state.last_frame_jpeg == b""  # frames only when asked for
    await stub.ReleaseCameras(cameras_pb2.ReleaseCamerasRequest(holder=holder))
    assert (await stub.GetCamera(cameras_pb2.GetCameraRequest(name="door"))).state.state == "unassigned"


def _event(camera: str, first_seen: datetime, *, person: str = "", crop: bytes = b"crop") -> cameras_pb2.CameraEvent:
    return cameras_pb2.CameraEvent(
        event_id=str(uuid.uuid4()),
        camera=camera,
        collection="staff",
        person_id=person,
        person_name="Ada" if person else "",
        score=0.7 if person else 0.1,
        threshold=0.35,
        first_seen=_stamp(first_seen),
        last_seen=_stamp(first_seen + timedelta(seconds=2)),
        crop_jpeg=crop,
        track_count=1,
    )


async def test_events_are_upserted_filtered_and_paged(stub: Stub) -> None:
    camera = f"cam-{uuid.uuid4().hex[:8]}"
    start = datetime.now(UTC)
    person = str(uuid.uuid4())
    recorded = [_event(camera, start + timedelta(seconds=i), person=person if i % 2 else "") for i in range(7)]
    for event in recorded:
        await stub.RecordEvent(cameras_pb2.RecordEventRequest(event=event))

    later = cameras_pb2.CameraEvent()
    later.CopyFrom(recorded[1])
    later.last_seen.CopyFrom(_stamp(start + timedelta(seconds=60)))
    later.track_count, later.crop_jpeg, later.ended = 3, b"", True
    await stub.RecordEvent(cameras_pb2.RecordEventRequest(event=later))
    stored = await stub.GetEvent(cameras_pb2.GetEventRequest(event_id=later.event_id))
    assert (stored.track_count, stored.ended, stored.crop_jpeg) == (3, True, b"crop")  # the crop stays
    assert stored.last_seen.ToDatetime(tzinfo=UTC) == start + timedelta(seconds=60)

    seen: list[str] = []
    token = ""
    while True:
        page = await stub.ListEvents(cameras_pb2.ListEventsRequest(camera=camera, page_size=3, page_token=token))
        assert all(e.crop_jpeg == b"" for e in page.events)  # crops only when asked for
        seen += [e.event_id for e in page.events]
        token = page.next_page_token
        if not token:
            break
    assert seen == [e.event_id for e in reversed(recorded)]

    known = await stub.ListEvents(cameras_pb2.ListEventsRequest(camera=camera, person_id=person))
    assert {e.event_id for e in known.events} == {e.event_id for e in recorded[1::2]}
    unknown = await stub.ListEvents(cameras_pb2.ListEventsRequest(camera=camera, unknown_only=True))
    assert {e.event_id for e in unknown.events} == {e.event_id for e in recorded[0::2]}
    window = cameras_pb2.ListEventsRequest(
        camera=camera, since=_stamp(start + timedelta(seconds=2)), until=_stamp(start + timedelta(seconds=4))
    )
    assert [e.event_id for e in (await stub.ListEvents(window)).events] == [recorded[3].event_id, recorded[2].event_id]
    other = await stub.ListEvents(cameras_pb2.ListEventsRequest(camera=camera, collections=["visitors"]))
    assert not other.events

    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await stub.GetEvent(cameras_pb2.GetEventRequest(event_id=str(uuid.uuid4())))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await stub.ListEvents(cameras_pb2.ListEventsRequest(page_token="not-a-token"))
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_the_outbox_claims_each_delivery_once_retries_and_keeps_dead_letters(stub: Stub) -> None:
    sink = f"webhook:{uuid.uuid4().hex[:8]}"
    camera = f"cam-{uuid.uuid4().hex[:8]}"
    queued = [_event(camera, datetime.now(UTC)) for _ in range(6)]
    for event in queued:
        await stub.RecordEvent(cameras_pb2.RecordEventRequest(event=event, deliver_to=[sink], kind="new"))

    def claim(limit: int) -> cameras_pb2.ClaimDeliveriesRequest:
        return cameras_pb2.ClaimDeliveriesRequest(sinks=[sink], limit=limit, lease_seconds=30)

    first, second = await asyncio.gather(stub.ClaimDeliveries(claim(4)), stub.ClaimDeliveries(claim(4)))
    claimed = [d for reply in (first, second) for d in reply.deliveries]
    assert sorted(d.event.event_id for d in claimed) == sorted(e.event_id for e in queued)  # each once
    assert not (await stub.ClaimDeliveries(claim(10))).deliveries  # all claimed
    assert all(d.event.crop_jpeg == b"crop" and d.kind == "new" for d in claimed)

    ok, retried, dead = claimed[:3]
    await stub.SettleDelivery(cameras_pb2.SettleDeliveryRequest(delivery_id=ok.delivery_id, delivered=True))
    await stub.SettleDelivery(
        cameras_pb2.SettleDeliveryRequest(delivery_id=retried.delivery_id, error="HTTP 503", retry_after_seconds=0)
    )
    await stub.SettleDelivery(
        cameras_pb2.SettleDeliveryRequest(delivery_id=dead.delivery_id, error="HTTP 500", dead=True)
    )
    again = (await stub.ClaimDeliveries(claim(10))).deliveries
    assert [(d.delivery_id, d.attempts) for d in again] == [(retried.delivery_id, 1)]

    dead_letters = await stub.ListDeliveries(cameras_pb2.ListDeliveriesRequest(status="dead", sink=sink))
    assert [(d.delivery_id, d.last_error) for d in dead_letters.deliveries] == [(dead.delivery_id, "HTTP 500")]
    assert (await stub.RetryDeliveries(cameras_pb2.RetryDeliveriesRequest(sink=sink))).retried == 1
    assert [d.delivery_id for d in (await stub.ClaimDeliveries(claim(10))).deliveries] == [dead.delivery_id]

    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await stub.RecordEvent(cameras_pb2.RecordEventRequest(event=queued[0], deliver_to=[sink], kind="maybe"))
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    for hostile in ("webhook:\x00x", "a b", "x" * 101):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.ListDeliveries(cameras_pb2.ListDeliveriesRequest(sink=hostile))
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_events_past_the_retention_are_purged_with_their_deliveries(stub: Stub, cameras_database: str) -> None:
    camera = f"cam-{uuid.uuid4().hex[:8]}"
    old = _event(camera, datetime.now(UTC) - timedelta(days=40))
    new = _event(camera, datetime.now(UTC))
    for event in (old, new):
        await stub.RecordEvent(cameras_pb2.RecordEventRequest(event=event, deliver_to=["mqtt-purge-test"], kind="new"))
    db = Database(RegistrySettings(DATABASE_URL=cameras_database).database_url, 1)
    try:
        assert await events.purge_events(db, older_than_days=30) >= 1
    finally:
        await db.close()
    left = await stub.ListEvents(cameras_pb2.ListEventsRequest(camera=camera))
    assert [e.event_id for e in left.events] == [new.event_id]
    deliveries = await stub.ListDeliveries(cameras_pb2.ListDeliveriesRequest(sink="mqtt-purge-test"))
    assert [d.event.event_id for d in deliveries.deliveries] == [new.event_id]
