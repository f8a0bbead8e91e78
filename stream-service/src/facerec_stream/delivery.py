"""Delivery of recorded events from the registry's outbox to webhooks and MQTT.

Every replica claims due deliveries of the sinks it has (FOR UPDATE SKIP LOCKED in the registry:
none is sent by two replicas at once), sends them, and settles each: delivered, tried again
after a backoff that doubles up to its most, or dead after the most attempts (kept, listed and
retried through the API). A replica killed mid-send leaves its claims to lapse: they are sent
again, so receivers see each event at least once and tell repeats by event_id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from facerec.registry.v1 import cameras_pb2
from facerec_common.errors import FacerecError
from facerec_stream import metrics

log = logging.getLogger(__name__)

CLAIM_BATCH = 20
# Longer than the slowest send (a webhook's timeout): a claim does not lapse mid-send.
CLAIM_LEASE_S = 90.0
IDLE_POLL_S = 1.0
SEND_TIMEOUT_S = 60.0


class DeliveryFailed(Exception):
    """A send that did not reach its receiver; the message says why (never a secret)."""


class Sink(Protocol):
    name: str

    async def send(self, kind: str, event: cameras_pb2.CameraEvent, delivery_id: int) -> None: ...


def backoff_s(attempts: int, most_s: float) -> float:
    """1, 2, 4 … s up to most_s, with ±20 % jitter so receivers back up are not hit in step."""
    return min(most_s, 2.0 ** max(attempts - 1, 0)) * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not a secret


@dataclass
class Deliverer:
    sinks: dict[str, Sink]
    claim: Callable[[cameras_pb2.ClaimDeliveriesRequest], Awaitable[list[cameras_pb2.Delivery]]]
    settle: Callable[[cameras_pb2.SettleDeliveryRequest], Awaitable[None]]
    max_attempts: int
    backoff_max_s: float
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    def wake(self) -> None:
        """Something was queued here: claim now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Until cancelled: one claim loop per sink, so a slow receiver holds up only itself."""
        await asyncio.gather(*(self._run_sink(name) for name in self.sinks))

    async def _run_sink(self, sink: str) -> None:
        request = cameras_pb2.ClaimDeliveriesRequest(sinks=[sink], limit=CLAIM_BATCH, lease_seconds=CLAIM_LEASE_S)
        while True:
            try:
                claimed = await self.claim(request)
                if claimed:
                    await asyncio.gather(*(self._deliver(d) for d in claimed))
                    continue
            except FacerecError as exc:
                log.warning("deliveries to %s not claimed: %s", sink, exc.message)
            except Exception:  # a bug: logged, and delivery goes on
                log.exception("deliveries to %s failed", sink)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_POLL_S)
            self._wake.clear()

    async def _deliver(self, delivery: cameras_pb2.Delivery) -> None:
        sink = self.sinks[delivery.sink]
        settled = cameras_pb2.SettleDeliveryRequest(delivery_id=delivery.delivery_id)
        try:
            try:
                # Well inside the claim: a send still running when it lapses could go out twice at once.
                async with asyncio.timeout(SEND_TIMEOUT_S):
                    await sink.send(delivery.kind, delivery.event, delivery.delivery_id)
            except TimeoutError:
                raise DeliveryFailed(f"no answer within {SEND_TIMEOUT_S:g} s") from None
            settled.delivered = True
            metrics.DELIVERIES.labels(delivery.sink, "delivered").inc()
        except DeliveryFailed as exc:
            attempts = delivery.attempts + 1
            settled.error = str(exc)
            settled.dead = attempts >= self.max_attempts
            settled.retry_after_seconds = backoff_s(attempts, self.backoff_max_s)
            metrics.DELIVERIES.labels(delivery.sink, "dead" if settled.dead else "failed").inc()
            log.warning(
                "delivery %d to %s failed (attempt %d): %s%s",
                delivery.delivery_id,
                delivery.sink,
                attempts,
                exc,
                "; dead letter" if settled.dead else "",
            )
        try:
            await self.settle(settled)
        except FacerecError as exc:  # its claim lapses and it is sent again: at least once
            log.warning("delivery %d not settled: %s", delivery.delivery_id, exc.message)
