"""Every event change written to the registry (PostgreSQL), with the deliveries it asks for.

Opened and ended events are written at once with a delivery to every sink (the registry queues
them in the same transaction: the outbox); sightings that only move last_seen on are written a
few seconds later, latest wins. While the registry is away, changes wait here, folded to the
latest state per event, and go as soon as it answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from google.protobuf.timestamp_pb2 import Timestamp

from facerec.registry.v1 import cameras_pb2
from facerec_common.errors import FacerecError
from facerec_stream.events import Change, Event

log = logging.getLogger(__name__)

# Changes delivered to sinks; an "update" (another track) or a sighting is recorded only.
DELIVERED: tuple[Change, ...] = ("new", "end")
SEEN_EVERY_S = 3.0
MOST_WAITING = 10_000


def _stamp(seconds: float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromNanoseconds(round(seconds * 1e9))
    return stamp


def event_message(event: Event) -> cameras_pb2.CameraEvent:
    return cameras_pb2.CameraEvent(
        event_id=event.event_id,
        camera=event.camera,
        collection=event.collection,
        person_id=event.person_id or "",
        person_name=event.person_name or "",
        score=event.score,
        threshold=event.threshold,
        first_seen=_stamp(event.first_seen),
        last_seen=_stamp(event.last_seen),
        crop_jpeg=event.crop_jpeg,
        track_count=event.track_count,
        ended=event.ended,
    )


@dataclass
class _Waiting:
    event: Event
    deliveries: list[Change] = field(default_factory=list)


@dataclass
class EventRecorder:
    record: Callable[[cameras_pb2.RecordEventRequest], Awaitable[None]]
    sinks: list[str]
    # Told after a write that queued deliveries, so this replica's deliverer starts at once.
    recorded: Callable[[], None] = lambda: None
    _waiting: dict[str, _Waiting] = field(default_factory=dict)
    _urgent: asyncio.Event = field(default_factory=asyncio.Event)

    def changed(self, event: Event, change: Change) -> None:
        """EventBook's listener: never blocks the camera that saw it."""
        waiting = self._waiting.get(event.event_id)
        if waiting is None:
            if len(self._waiting) >= MOST_WAITING:
                log.error("event %s not recorded: %d events wait for the registry", event.event_id, MOST_WAITING)
                return
            waiting = self._waiting[event.event_id] = _Waiting(event)
        waiting.event = event
        if change in DELIVERED and self.sinks:
            waiting.deliveries.append(change)
        if change != "seen":
            self._urgent.set()

    async def run(self) -> None:
        """Until cancelled: write what waits, at once when urgent, otherwise every few seconds."""
        retry_s = 0.5
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._urgent.wait(), SEEN_EVERY_S)
            self._urgent.clear()
            try:
                written = await self.flush()
            except Exception:  # a bug: logged; what waits stays for the next round
                log.exception("events not written")
                written = False
            if written:
                retry_s = 0.5
            else:
                await asyncio.sleep(retry_s)  # the registry is away: try again, less and less often
                retry_s = min(retry_s * 2, 5.0)
                self._urgent.set()

    async def flush(self) -> bool:
        """Write every waiting change; False when the registry did not take them all."""
        delivered = False
        for event_id in list(self._waiting):
            waiting = self._waiting[event_id]
            snapshot = waiting.event
            message = event_message(snapshot)
            try:
                if not waiting.deliveries:
                    await self.record(cameras_pb2.RecordEventRequest(event=message))
                for change in list(waiting.deliveries):
                    request = cameras_pb2.RecordEventRequest(event=message, deliver_to=self.sinks, kind=change)
                    await self.record(request)
                    waiting.deliveries.remove(change)
                    delivered = True
            except FacerecError as exc:
                log.warning("events wait for the registry (%d): %s", len(self._waiting), exc.message)
                return False
            if waiting.event is snapshot and not waiting.deliveries:  # nothing newer came meanwhile
                del self._waiting[event_id]
        if delivered:
            self.recorded()
        return True
