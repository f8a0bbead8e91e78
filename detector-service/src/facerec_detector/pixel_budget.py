"""How many pixels a replica decodes and searches at once: its memory bound.

An image holds its full size in the budget from before it is decoded until its detection ends
(even when its caller has gone: the work still runs). Images that do not fit wait briefly, then
are refused OVERLOADED, so a flood of huge images is turned away in seconds instead of queueing
for everyone; small photos fit beside a large one and are not held up by it.
"""

from __future__ import annotations

import asyncio
import math
import time

from facerec_common.errors import Overloaded
from facerec_detector import metrics


class PixelBudget:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.used = 0
        self._waiters: list[asyncio.Future[None]] = []

    async def acquire(self, pixels: int, wait_s: float) -> int:
        """Room for `pixels` (capped at the capacity); give the returned count to `release`."""
        pixels = min(pixels, self.capacity)
        deadline = time.monotonic() + wait_s
        while self.used + pixels > self.capacity:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                metrics.REFUSED.inc()
                raise Overloaded(
                    "The detector is busy with large images; try again shortly.",
                    retry_after=str(max(1, math.ceil(wait_s))),
                )
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                pass
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        self.used += pixels
        metrics.PIXELS_IN_FLIGHT.set(self.used)
        return pixels

    def release(self, pixels: int) -> None:
        self.used -= pixels
        metrics.PIXELS_IN_FLIGHT.set(self.used)
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
