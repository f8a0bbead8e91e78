"""The gateway's upload budget as one ASGI seam: bodies held at once are bounded; a request that
does not fit waits, then gets a JSON 503 OVERLOADED with Retry-After; small ones pass beside."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from facerec_gateway.upload_budget import UploadBudget

MB = 1024 * 1024


class _Held:
    """An app that answers once `release` is set, and counts what it saw at once."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.inside = 0
        self.most_inside = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.inside += 1
        self.most_inside = max(self.most_inside, self.inside)
        await self.release.wait()
        self.inside -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def test_bodies_beyond_the_budget_wait_then_are_refused() -> None:
    held = _Held()
    budget = UploadBudget(held, capacity_bytes=10 * MB, wait_s=0.3, largest_body=25 * MB)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=budget), base_url="http://gw") as client:
        big = [asyncio.create_task(client.post("/api/v1/detect", content=b"x" * (4 * MB))) for _ in range(3)]
        await asyncio.sleep(0.1)
        assert budget.used == 8 * MB  # two fit, the third waits
        small = asyncio.create_task(client.post("/api/v1/detect", content=b"x" * 1000))
        await asyncio.sleep(0.05)
        assert held.inside == 3  # the small one went in beside the two large ones
        refused = await big[2]
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "OVERLOADED"
        assert refused.headers["retry-after"] == "1"
        held.release.set()
        assert [(await t).status_code for t in (*big[:2], small)] == [200, 200, 200]
    assert budget.used == 0


async def test_a_waiting_body_goes_in_when_room_is_freed() -> None:
    held = _Held()
    budget = UploadBudget(held, capacity_bytes=10 * MB, wait_s=5, largest_body=25 * MB)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=budget), base_url="http://gw") as client:
        first = asyncio.create_task(client.post("/x", content=b"x" * (8 * MB)))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(client.post("/x", content=b"x" * (8 * MB)))
        await asyncio.sleep(0.05)
        assert held.inside == 1
        held.release.set()
        assert (await first).status_code == 200
        assert (await second).status_code == 200
    assert held.most_inside == 1


async def test_reads_and_streamed_imports_are_not_counted() -> None:
    held = _Held()
    held.release.set()
    budget = UploadBudget(held, capacity_bytes=1, wait_s=0, largest_body=25 * MB)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=budget), base_url="http://gw") as client:
        assert (await client.get("/api/v1/collections")).status_code == 200
        assert (await client.post("/api/v1/collections/c/import", content=b"x" * MB)).status_code == 200
