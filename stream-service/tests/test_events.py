"""One event per person seen: the cooldown folds a known person's tracks together, a stranger's
tracks fold by the registry's 1:1 decision (faked here: one seam), and listeners get each change."""

from __future__ import annotations

import asyncio

from facerec_stream.events import EventBook
from facerec_stream.tracks import Known, Track

from facerec.common.v1 import types_pb2
from facerec.detector.v1 import detector_pb2

MODEL = types_pb2.ModelInfo(name="w600k_mbf", version="9cc6e4a75f0e", dimension=4)


def _track(track_id: int, seen: float, person: str | None = None, face: bytes = b"a") -> Track:
    track = Track(track_id, seen, seen + 2)
    track.best = detector_pb2.Face(thumbnail_jpeg=b"\xff\xd8" + face)
    if person is not None:
        track.decision = Known(person, person.title(), 0.6, 0.3)
    else:
        track.embedding, track.model, track.best_score, track.threshold = (
            types_pb2.Embedding(vector=face),
            MODEL,
            0.1,
            0.3,
        )
    return track


async def _same(a: types_pb2.Embedding, b: types_pb2.Embedding, model: types_pb2.ModelInfo) -> bool:
    return a.vector == b.vector


async def test_a_known_person_seen_again_within_the_cooldown_is_one_event() -> None:
    book = EventBook(cooldown_s=60, same_face=_same)
    first = await book.decided("door", "staff", _track(1, 0, "ada"))
    again = await book.decided("door", "staff", _track(2, 50, "ada"))
    later = await book.decided("door", "staff", _track(3, 200, "ada"))
    elsewhere = await book.decided("gate", "staff", _track(4, 51, "ada"))
    assert again.event_id == first.event_id
    assert (again.track_count, again.first_seen, again.last_seen) == (2, 0, 52)
    assert len({first.event_id, later.event_id, elsewhere.event_id}) == 3


async def test_one_stranger_is_one_event_and_another_is_another() -> None:
    book = EventBook(cooldown_s=60, same_face=_same)
    one = await book.decided("door", "staff", _track(1, 0, face=b"x"))
    same = await book.decided("door", "staff", _track(2, 10, face=b"x"))
    other = await book.decided("door", "staff", _track(3, 20, face=b"y"))
    assert same.event_id == one.event_id
    assert other.event_id != one.event_id
    assert (one.person_id, book.events[one.event_id].track_count) == (None, 2)


async def test_listeners_get_every_change() -> None:
    book = EventBook(cooldown_s=60, same_face=_same)
    got: list[str] = []

    async def listen() -> None:
        async for event in book.watch():
            got.append(f"{event.person_name}:{event.track_count}")

    listening = asyncio.create_task(listen())
    await asyncio.sleep(0)
    await book.decided("door", "staff", _track(1, 0, "ada"))
    await book.decided("door", "staff", _track(2, 5, "ada"))
    await asyncio.sleep(0)
    listening.cancel()
    assert got == ["Ada:1", "Ada:2"]
