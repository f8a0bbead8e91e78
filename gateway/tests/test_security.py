"""Scopes, collection binding, rate limits and key resolution (the registry lookup faked: one seam)."""

from __future__ import annotations

import asyncio
import time

import pytest

from facerec.registry.v1 import registry_pb2
from facerec_common import errors
from facerec_gateway.security import KeyResolver, Principal, RateLimiter, key_hash, new_key
from facerec_gateway.settings import GatewaySettings


def test_scopes_include_the_lower_ones() -> None:
    writer = Principal(actor="k", scope="write")
    writer.authorize("read")
    writer.authorize("write")
    with pytest.raises(errors.PermissionDenied):
        writer.authorize("admin")


def test_bound_key_sees_other_collections_as_absent() -> None:
    bound = Principal(actor="k", scope="admin", collections=frozenset({"a"}))
    bound.authorize("read", "a")
    with pytest.raises(errors.CollectionNotFound):
        bound.authorize("read", "b")
    with pytest.raises(errors.PermissionDenied):
        bound.authorize("admin")  # key management needs an unbound admin key


def test_rate_limiter_refuses_past_the_burst_and_says_when_to_retry() -> None:
    limiter = RateLimiter(per_second=2, burst=3)
    for _ in range(3):
        limiter.take("k")
    with pytest.raises(errors.RateLimited) as caught:
        limiter.take("k")
    assert int(caught.value.metadata["retry_after"]) >= 1
    limiter.take("other")  # buckets are per caller
    time.sleep(0.6)
    limiter.take("k")  # refilled at 2/s


async def test_resolver_hashes_caches_and_forgets() -> None:
    key = new_key()
    calls: list[str] = []
    live = {key_hash(key)}

    async def lookup(request: registry_pb2.GetApiKeyByHashRequest) -> registry_pb2.ApiKey:
        calls.append(request.key_sha256)
        if request.key_sha256 not in live:
            raise errors.ApiKeyNotFound()
        return registry_pb2.ApiKey(key_id="id-1", scope="read", collections=["a"])

    resolver = KeyResolver(lookup, admin_key="admin-secret", cache_s=0.2)
    principal = await resolver.resolve(key)
    assert (principal.actor, principal.scope, principal.collections) == ("id-1", "read", frozenset({"a"}))
    await resolver.resolve(key)
    assert calls == [key_hash(key)]  # cached; never the raw key
    assert (await resolver.resolve("admin-secret")).scope == "admin"
    live.clear()  # revoked
    await asyncio.sleep(0.25)
    with pytest.raises(errors.Unauthenticated):
        await resolver.resolve(key)
    with pytest.raises(errors.Unauthenticated):
        await resolver.resolve(None)


def test_production_refuses_to_start_without_keys() -> None:
    with pytest.raises(ValueError, match="production needs API keys"):
        GatewaySettings(production=True)
    with pytest.raises(ValueError, match="production needs API keys"):
        GatewaySettings(production=True, auth_mode="keys")
    GatewaySettings(production=True, auth_mode="keys", admin_key="s3cret")  # type: ignore[arg-type]
