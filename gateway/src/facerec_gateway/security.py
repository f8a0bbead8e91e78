"""API keys, scopes, collection binding and per-key rate limits, for REST and gRPC alike.

Keys are random tokens ("frk_..."); only their SHA-256 is stored (in the registry).
High-entropy tokens need no slow hash: the hash only keeps a database leak from
handing out working keys. Lookups are cached for `key_cache_s`, so a revoked key
stops working within that time.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from facerec.registry.v1 import registry_pb2
from facerec_common.errors import (
    ApiKeyNotFound,
    CollectionNotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
)

SCOPES = ("read", "write", "admin")  # each includes the ones before it
KEY_PREFIX = "frk_"
ANONYMOUS = "anonymous"
MAX_CACHED_KEYS = 10_000


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API key, the bootstrap admin key, or anyone (open mode)."""

    actor: str
    scope: str
    # Empty: every collection.
    collections: frozenset[str] = field(default_factory=frozenset)

    def allows(self, scope: str) -> bool:
        return SCOPES.index(self.scope) >= SCOPES.index(scope)

    def sees(self, collection: str) -> bool:
        return not self.collections or collection in self.collections

    def require(self, scope: str) -> None:
        """Refuse a scope it lacks (403); what it sees is the caller's to filter."""
        if not self.allows(scope):
            raise PermissionDenied(f"This key's scope is '{self.scope}'; this needs '{scope}'.", scope=scope)

    def authorize(self, scope: str, collection: str | None = None) -> None:
        """Refuse a scope it lacks (403) and, as if absent, a collection it is not bound to (404)."""
        if collection is not None and not self.sees(collection):
            raise CollectionNotFound(f"No collection named '{collection}'.", collection=collection)
        self.require(scope)
        if scope == "admin" and collection is None and self.collections:
            raise PermissionDenied("Managing keys and reading the audit log need a key bound to no collection.")


OPEN = Principal(actor=ANONYMOUS, scope="admin")
BOOTSTRAP_ACTOR = "bootstrap-admin"


class KeyResolver:
    def __init__(
        self,
        lookup: Callable[[registry_pb2.GetApiKeyByHashRequest], Awaitable[registry_pb2.ApiKey]],
        admin_key: str | None,
        cache_s: float,
    ) -> None:
        self._lookup = lookup
        self._admin_hash = key_hash(admin_key) if admin_key else None
        self._cache_s = cache_s
        self._cache: OrderedDict[str, tuple[float, Principal | None]] = OrderedDict()

    async def resolve(self, key: str | None) -> Principal:
        if not key:
            raise Unauthenticated()
        digest = key_hash(key)
        if self._admin_hash and hmac.compare_digest(digest, self._admin_hash):
            return Principal(actor=BOOTSTRAP_ACTOR, scope="admin")
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and now - cached[0] < self._cache_s:
            principal = cached[1]
        else:
            try:
                found = await self._lookup(registry_pb2.GetApiKeyByHashRequest(key_sha256=digest))
                principal = Principal(actor=found.key_id, scope=found.scope, collections=frozenset(found.collections))
            except ApiKeyNotFound:
                principal = None
            self._cache[digest] = (now, principal)
            self._cache.move_to_end(digest)
            while len(self._cache) > MAX_CACHED_KEYS:
                self._cache.popitem(last=False)
        if principal is None:
            raise Unauthenticated("The API key is not valid (unknown or revoked).")
        return principal


class RateLimiter:
    """A token bucket per caller, in this process (each gateway replica limits on its own)."""

    def __init__(self, per_second: float, burst: int) -> None:
        self._rate = per_second
        self._burst = float(burst)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, caller: str) -> None:
        if self._rate <= 0:
            return
        now = time.monotonic()
        tokens, last = self._buckets.get(caller, (self._burst, now))
        tokens = min(self._burst, tokens + (now - last) * self._rate)
        if tokens < 1.0:
            self._buckets[caller] = (tokens, now)
            wait = math.ceil((1.0 - tokens) / self._rate)
            raise RateLimited(f"Rate limit reached; retry in {wait} s.", retry_after=str(wait))
        self._buckets[caller] = (tokens - 1.0, now)
        self._buckets.move_to_end(caller)
        while len(self._buckets) > MAX_CACHED_KEYS:
            self._buckets.popitem(last=False)
