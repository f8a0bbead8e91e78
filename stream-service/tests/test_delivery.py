"""Webhook delivery against a real HTTP receiver: signed, retried with backoff, dead after the most
attempts. The outbox is faked at its one seam (claim and settle), as the registry's own tests
cover the real one (registry-service/tests/test_cameras.py)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from facerec_stream.delivery import Deliverer, backoff_s
from facerec_stream.settings import WebhookSettings
from facerec_stream.webhooks import WebhookSink, payload, signature
from google.protobuf.timestamp_pb2 import Timestamp

from facerec.registry.v1 import cameras_pb2
from facerec_devstack.receivers import WebhookReceiver

SECRET = "a-webhook-secret-0123456789"


class Outbox:
    """Claim and settle as the registry answers them, over a list in memory."""

    def __init__(self, deliveries: list[cameras_pb2.Delivery]) -> None:
        self.due = {d.delivery_id: d for d in deliveries}
        self.settled: list[cameras_pb2.SettleDeliveryRequest] = []

    async def claim(self, request: cameras_pb2.ClaimDeliveriesRequest) -> list[cameras_pb2.Delivery]:
        claimed = [d for d in self.due.values() if d.sink in request.sinks][: request.limit]
        for d in claimed:
            del self.due[d.delivery_id]
        return claimed

    async def settle(self, request: cameras_pb2.SettleDeliveryRequest) -> None:
        self.settled.append(request)
        if not request.delivered and not request.dead:
            again = self.attempted(request.delivery_id)
            self.due[again.delivery_id] = again

    def attempted(self, delivery_id: int) -> cameras_pb2.Delivery:
        attempts = sum(1 for s in self.settled if s.delivery_id == delivery_id)
        return _delivery(delivery_id, attempts)


def _delivery(delivery_id: int, attempts: int = 0) -> cameras_pb2.Delivery:
    stamp = Timestamp()
    stamp.GetCurrentTime()
    event = cameras_pb2.CameraEvent(
        event_id=f"00000000-0000-4000-8000-{delivery_id:012d}",
        camera="door",
        collection="staff",
        person_id="11111111-1111-4111-8111-111111111111",
        person_name="Ada",
        score=0.7,
        threshold=0.35,
        first_seen=stamp,
        last_seen=stamp,
        crop_jpeg=b"\xff\xd8jpeg",
        track_count=1,
    )
    return cameras_pb2.Delivery(delivery_id=delivery_id, sink="webhook:hr", kind="new", attempts=attempts, event=event)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(SECRET)
    receiver.start()
    yield receiver
    receiver.stop()


async def _run(deliverer: Deliverer, until: Callable[[], bool], timeout_s: float = 20) -> None:
    task = asyncio.create_task(deliverer.run())
    deadline = time.monotonic() + timeout_s
    try:
        while not until() and time.monotonic() < deadline:  # noqa: ASYNC110 - the outbox is polled as a test
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_deliveries_are_signed_and_settled(receiver: WebhookReceiver) -> None:
    outbox = Outbox([_delivery(1), _delivery(2)])
    async with httpx.AsyncClient() as client:
        sink = WebhookSink(WebhookSettings(name="hr", url=receiver.url, secret=SECRET), client)  # type: ignore[arg-type]
        deliverer = Deliverer({sink.name: sink}, outbox.claim, outbox.settle, max_attempts=3, backoff_max_s=1)
        await _run(deliverer, lambda: len(outbox.settled) == 2)
    assert sorted((s.delivery_id, s.delivered) for s in outbox.settled) == [(1, True), (2, True)]
    assert len(receiver.received) == 2
    assert all(r.signed for r in receiver.received)
    first = receiver.received[0]
    assert first.headers["X-Facerec-Signature"] == signature(
        SECRET.encode(), first.headers["X-Facerec-Timestamp"], first.body
    )
    assert first.document["type"] == "new"
    assert first.document["event"]["person"] == {"id": "11111111-1111-4111-8111-111111111111", "name": "Ada"}
    assert first.document["crop_jpeg_base64"] == "/9hqcGVn"


async def test_a_receiver_that_is_down_is_retried_and_at_last_dead(receiver: WebhookReceiver) -> None:
    receiver.stop()  # nothing listens: every try fails to connect
    outbox = Outbox([_delivery(7)])
    async with httpx.AsyncClient() as client:
        sink = WebhookSink(WebhookSettings(name="hr", url=receiver.url, secret=SECRET), client)  # type: ignore[arg-type]
        deliverer = Deliverer({sink.name: sink}, outbox.claim, outbox.settle, max_attempts=3, backoff_max_s=0.01)
        await _run(deliverer, lambda: any(s.dead for s in outbox.settled))
    assert [(s.delivered, s.dead) for s in outbox.settled] == [(False, False), (False, False), (False, True)]
    assert all("ConnectError" in s.error for s in outbox.settled)
    assert all(SECRET not in s.error for s in outbox.settled)


def test_backoff_doubles_up_to_its_most_with_jitter() -> None:
    waits = [backoff_s(attempt, 30.0) for attempt in range(1, 9)]
    for attempt, wait in enumerate(waits, start=1):
        assert 0.8 * min(30, 2 ** (attempt - 1)) <= wait <= 1.2 * min(30, 2 ** (attempt - 1))


def test_the_signature_covers_the_timestamp_and_the_body() -> None:
    body = payload("new", _delivery(3).event, 3)
    signed = signature(SECRET.encode(), "1700000000", body)
    expected = hmac.new(SECRET.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signed == f"sha256={expected}"
    assert signature(SECRET.encode(), "1700000001", body) != signed
