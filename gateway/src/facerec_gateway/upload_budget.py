"""How many bytes of uploads one gateway replica holds at once: its memory bound.

Each upload is copied a few times on its way (the form, the image bytes, the gRPC message), so 32
photos of 10 MB at once took a replica from 94 MB to 1.4 GB. A request with a body counts its
Content-Length (or the largest allowed body, when it sends none) from its first byte until its
answer is sent; one that does not fit waits briefly, then is answered 503 OVERLOADED with
Retry-After. Small photos fit beside large ones; collection imports stream and are not counted.
"""

from __future__ import annotations

import asyncio
import math
import time

from starlette.types import ASGIApp, Receive, Scope, Send

from facerec_gateway.errors import error_response
from facerec_gateway.limits import STREAMED_SUFFIXES


class UploadBudget:
    def __init__(self, app: ASGIApp, capacity_bytes: int, wait_s: float, largest_body: int) -> None:
        self.app = app
        self.capacity = capacity_bytes
        self.wait_s = wait_s
        self.largest_body = largest_body
        self.used = 0
        self._released = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        size = self._size(scope)
        if size == 0:
            await self.app(scope, receive, send)
            return
        if not await self._acquire(size):
            retry = str(max(1, math.ceil(self.wait_s)))
            response = error_response(
                503,
                "OVERLOADED",
                "The gateway holds as many uploads as it takes; try again shortly.",
                {"retry_after": retry},
            )
            await response(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.used -= size
            self._released.set()

    def _size(self, scope: Scope) -> int:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return 0
        if scope["path"].endswith(STREAMED_SUFFIXES):
            return 0
        length = dict(scope["headers"]).get(b"content-length", b"")
        size = int(length) if length.isdigit() else self.largest_body
        return min(size, self.capacity)

    async def _acquire(self, size: int) -> bool:
        deadline = time.monotonic() + self.wait_s
        while self.used + size > self.capacity:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._released.clear()
            try:
                await asyncio.wait_for(self._released.wait(), remaining)
            except TimeoutError:
                return False
        self.used += size
        return True
