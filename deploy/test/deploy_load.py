"""Bounded load at a few clients for the deployment test, counting what failed."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx


@dataclass
class Load:
    """Bounded load at a few clients: counts answers by status, and what failed."""

    requests: int
    clients: int
    send: Callable[[int], httpx.Response]
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    done: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next: int = 0

    def run(self, at: dict[int, Callable[[], None]] | None = None) -> Load:
        """Send every request; `at[n]` runs (once, in its own thread) when the n-th request is sent."""
        actions = dict(at or {})
        side: list[threading.Thread] = []

        def client() -> None:
            while True:
                with self._lock:
                    if self._next >= self.requests:
                        return
                    n, self._next = self._next, self._next + 1
                    action = actions.pop(n, None)
                if action is not None:
                    side.append(threading.Thread(target=action))
                    side[-1].start()
                try:
                    reply = self.send(n)
                    status = reply.status_code
                    detail = reply.text[:200]
                except httpx.HTTPError as exc:
                    status, detail = 0, repr(exc)
                with self._lock:
                    self.statuses[status] += 1
                    self.done += 1
                    if status >= 500 or status == 0:
                        self.failures.append(f"#{n}: {status} {detail}")

        threads = [threading.Thread(target=client) for _ in range(self.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for t in side:
            t.join()
        return self
