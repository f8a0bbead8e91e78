"""One event per person seen: a known person seen again on the same camera within the cooldown
extends their open event instead of opening another, and an unknown face that matches one of the
camera's recent unknowns is that stranger's event again."""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Literal

from facerec.common.v1 import types_pb2
from facerec_stream import metrics
from facerec_stream.tracks import Known, Track

# Events kept in memory for this replica's listing; the registry keeps them all (PostgreSQL).
KEPT = 1000

# How an event changed: opened; another track folded in; seen again (last_seen moves on); ended
# (the cooldown passed without a sighting: final).
Change = Literal["new", "update", "seen", "end"]


@dataclass(frozen=True)
class Event:
    event_id: str
    camera: str
    collection: str
    person_id: str | None  # None: unknown
    person_name: str | None
    score: float
    threshold: float
    first_seen: float  # wall-clock seconds
    last_seen: float
    crop_jpeg: bytes
    track_count: int
    ended: bool = False


@dataclass
class _Stranger:
    event_id: str
    embedding: types_pb2.Embedding
    model: types_pb2.ModelInfo
    last_seen: float


# Whether two embeddings of one model are the same face (the registry's 1:1 decision).
SameFace = Callable[[types_pb2.Embedding, types_pb2.Embedding, types_pb2.ModelInfo], Awaitable[bool]]


@dataclass
class EventBook:
    """The events of every camera of this replica, and who listens to them."""

    cooldown_s: float
    same_face: SameFace
    # Told of every change, in order (the recorder: PostgreSQL and delivery).
    on_change: Callable[[Event, Change], None] | None = None
    events: dict[str, Event] = field(default_factory=dict)
    _order: deque[str] = field(default_factory=deque)
    _open_known: dict[tuple[str, str], str] = field(default_factory=dict)  # (camera, person) -> event
    _strangers: dict[str, list[_Stranger]] = field(default_factory=dict)  # camera -> recent unknowns
    _listeners: set[asyncio.Queue[Event]] = field(default_factory=set)

    async def decided(self, camera: str, collection: str, track: Track) -> Event:
        """The event of a track that has its decision (known), or ended without one (unknown)."""
        if track.decision is not None:
            previous = self._open_known.get((camera, track.decision.person_id))
            event_id = previous if previous and self._open(previous, track.first_seen) else None
        else:
            event_id = await self._same_stranger(camera, track)
        if event_id is None:
            event = self._new(camera, collection, track)
        else:
            event = self._extended(self.events[event_id], track, new_track=True)
        if track.decision is not None:
            self._open_known[(camera, track.decision.person_id)] = event.event_id
        elif track.embedding is not None and track.model is not None:
            strangers = self._strangers.setdefault(camera, [])
            strangers.append(_Stranger(event.event_id, track.embedding, track.model, track.last_seen))
        track.event_id = event.event_id
        return event

    def seen_again(self, track: Track) -> Event | None:
        """A decided track still in view: its event's last sighting moves on."""
        if track.event_id is None or track.event_id not in self.events:
            return None
        event = self.events[track.event_id]
        if track.last_seen <= event.last_seen or event.ended:
            return None
        return self._extended(event, track, new_track=False)

    def expire(self, now: float) -> list[Event]:
        """Events not seen for the cooldown end: nothing will fold into them any more."""
        ended = []
        for event in list(self.events.values()):
            if not event.ended and now - event.last_seen > self.cooldown_s:
                ended.append(self._publish(replace(event, ended=True), "end"))
        return ended

    async def watch(self) -> AsyncIterator[Event]:
        """Every event as it opens or changes, until the caller stops."""
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=1000)
        self._listeners.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._listeners.discard(queue)

    def _open(self, event_id: str, now: float) -> bool:
        event = self.events.get(event_id)
        return event is not None and not event.ended and now - event.last_seen <= self.cooldown_s

    async def _same_stranger(self, camera: str, track: Track) -> str | None:
        if track.embedding is None or track.model is None:
            return None
        recent = [s for s in self._strangers.get(camera, []) if track.first_seen - s.last_seen <= self.cooldown_s]
        self._strangers[camera] = recent
        for stranger in reversed(recent):
            same = stranger.model.version == track.model.version and await self.same_face(
                stranger.embedding, track.embedding, track.model
            )
            if same and self._open(stranger.event_id, track.first_seen):
                stranger.last_seen = track.last_seen
                return stranger.event_id
        return None

    def _new(self, camera: str, collection: str, track: Track) -> Event:
        known: Known | None = track.decision
        event = Event(
            event_id=str(uuid.uuid4()),
            camera=camera,
            collection=collection,
            person_id=known.person_id if known else None,
            person_name=known.name if known else None,
            score=known.score if known else track.best_score,
            threshold=known.threshold if known else track.threshold,
            first_seen=track.first_seen,
            last_seen=track.last_seen,
            crop_jpeg=track.best.thumbnail_jpeg if track.best is not None else b"",
            track_count=1,
        )
        metrics.EVENTS.labels(camera, "true" if known else "false").inc()
        self._order.append(event.event_id)
        while len(self._order) > KEPT:
            self.events.pop(self._order.popleft(), None)
        return self._publish(event, "new")

    def _extended(self, event: Event, track: Track, *, new_track: bool) -> Event:
        crop = event.crop_jpeg
        if new_track and track.best is not None and track.best.thumbnail_jpeg and not crop:
            crop = track.best.thumbnail_jpeg
        score = max(event.score, track.decision.score) if track.decision else event.score
        return self._publish(
            replace(
                event,
                last_seen=max(event.last_seen, track.last_seen),
                track_count=event.track_count + (1 if new_track else 0),
                score=score,
                crop_jpeg=crop,
            ),
            "update" if new_track else "seen",
        )

    def _publish(self, event: Event, change: Change) -> Event:
        self.events[event.event_id] = event
        if self.on_change is not None:
            self.on_change(event, change)
        for queue in list(self._listeners):
            if queue.full():
                queue.get_nowait()  # a slow listener loses its oldest, never blocks the cameras
            queue.put_nowait(event)
        return event
