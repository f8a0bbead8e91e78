"""A typed Python client of the facerec REST API, sync (`Client`) and async (`AsyncClient`).

    from facerec_client import Client, ApiError

    with Client("http://127.0.0.1:8000", api_key=None) as facerec:
        facerec.create_collection("staff")
        ada = facerec.create_person("staff", "Ada Lovelace", external_id="E-1001")
        facerec.enrol("staff", ada.person_id, Path("ada.jpg"))
        for face in facerec.identify("staff", Path("door-camera.jpg")).faces:
            print(face.match, face.candidates[:1])

Every error of the API's error table arrives as an `ApiError` (`code`, `message`, `status`,
`request_id`, `details`); `NotFound`, `Refused` (4xx about the input or the photo) and
`Unavailable` (5xx, overload) let callers catch by kind. Reads are retried on connection
failures and 503; writes are not (an enrolment retried blindly could enrol twice).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

V1 = "/api/v1"
RETRIES = 3
RETRY_BACKOFF_S = 0.5


class ApiError(Exception):
    """An error answer of the API (see docs/errors.md for the codes)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        request_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.request_id, self.details = request_id, details or {}


class NotFound(ApiError):
    """404: the collection, person or face does not exist."""


class Refused(ApiError):
    """4xx about what was sent: a bad photo (NO_FACE, MULTIPLE_FACES, BLURRY...), a bad field, a conflict."""


class Unavailable(ApiError):
    """5xx: a service is down or overloaded; worth retrying later."""


def error_of(reply: httpx.Response) -> ApiError:
    try:
        error = reply.json()["error"]
        code, message = str(error["code"]), str(error["message"])
        request_id, details = error.get("request_id"), error.get("details")
    except (ValueError, KeyError, TypeError):
        code, message, request_id, details = "HTTP_ERROR", reply.text[:200], None, None
    request_id = request_id or reply.headers.get("x-request-id")
    kind = NotFound if reply.status_code == 404 else Unavailable if reply.status_code >= 500 else Refused
    return kind(reply.status_code, code, message, request_id, details)


# -- typed results


@dataclass(frozen=True)
class Collection:
    name: str
    people_count: int
    face_count: int
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def of(cls, body: dict[str, Any]) -> Collection:
        return cls(body["name"], int(body["people_count"]), int(body["face_count"]), body)


@dataclass(frozen=True)
class Person:
    person_id: str
    name: str
    external_id: str | None
    metadata: dict[str, Any]
    face_count: int

    @classmethod
    def of(cls, body: dict[str, Any]) -> Person:
        return cls(body["person_id"], body["name"], body.get("external_id"), body["metadata"], body["face_count"])


@dataclass(frozen=True)
class Enrolled:
    face_id: str
    person_id: str
    face_index: int
    faces_in_photo: int
    warnings: list[dict[str, Any]]

    @classmethod
    def of(cls, body: dict[str, Any]) -> Enrolled:
        return cls(body["face_id"], body["person_id"], body["face_index"], body["faces_in_photo"], body["warnings"])


@dataclass(frozen=True)
class Candidate:
    person_id: str
    name: str
    similarity: float


@dataclass(frozen=True)
class IdentifiedFace:
    box: dict[str, float]
    match: bool
    candidates: list[Candidate]

    @property
    def name(self) -> str | None:
        return self.candidates[0].name if self.match and self.candidates else None


@dataclass(frozen=True)
class Identification:
    faces: list[IdentifiedFace]
    threshold: float

    @classmethod
    def of(cls, body: dict[str, Any]) -> Identification:
        faces = [
            IdentifiedFace(
                f["box"],
                bool(f["match"]),
                [Candidate(c["person_id"], c["name"], float(c["similarity"])) for c in f["candidates"]],
            )
            for f in body["faces"]
        ]
        return cls(faces, float(body["threshold"]))


@dataclass(frozen=True)
class Verification:
    match: bool
    similarity: float
    threshold: float

    @classmethod
    def of(cls, body: dict[str, Any]) -> Verification:
        return cls(bool(body["match"]), float(body["similarity"]), float(body["threshold"]))


# -- requests, shared by both clients


@dataclass(frozen=True)
class _Call:
    method: str
    path: str
    json: Any = None
    params: dict[str, Any] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    data: dict[str, Any] | None = None  # form fields beside files
    ok: int = 200

    @property
    def idempotent(self) -> bool:
        return self.method in ("GET", "HEAD")


def _photo(path: Path | bytes, name: str = "photo.jpg") -> tuple[str, bytes, str]:
    if isinstance(path, Path):
        return (path.name, path.read_bytes(), "application/octet-stream")
    return (name, path, "application/octet-stream")


class _Calls:
    """What each method sends; both clients run these."""

    @staticmethod
    def collections_page(cursor: str | None) -> _Call:
        return _Call("GET", f"{V1}/collections", params={"limit": 200, **({"cursor": cursor} if cursor else {})})

    @staticmethod
    def create_collection(name: str) -> _Call:
        return _Call("POST", f"{V1}/collections", json={"name": name}, ok=201)

    @staticmethod
    def delete_collection(name: str) -> _Call:
        return _Call("DELETE", f"{V1}/collections/{name}", ok=204)

    @staticmethod
    def people_page(collection: str, cursor: str | None, limit: int) -> _Call:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        return _Call("GET", f"{V1}/collections/{collection}/people", params=params)

    @staticmethod
    def create_person(collection: str, name: str, external_id: str | None, metadata: dict[str, Any] | None) -> _Call:
        body = {"name": name, "external_id": external_id, "metadata": metadata or {}}
        return _Call("POST", f"{V1}/collections/{collection}/people", json=body, ok=201)

    @staticmethod
    def update_person(collection: str, person_id: str, metadata: dict[str, Any]) -> _Call:
        return _Call("PATCH", f"{V1}/collections/{collection}/people/{person_id}", json={"metadata": metadata})

    @staticmethod
    def enrol(collection: str, person_id: str, photo: Path | bytes) -> _Call:
        path = f"{V1}/collections/{collection}/people/{person_id}/faces"
        return _Call("POST", path, files={"file": _photo(photo)}, ok=201)

    @staticmethod
    def identify(collection: str, photo: Path | bytes, top_k: int) -> _Call:
        path = f"{V1}/collections/{collection}/identify"
        return _Call("POST", path, files={"file": _photo(photo)}, data={"top_k": str(top_k)})

    @staticmethod
    def verify(a: Path | bytes, b: Path | bytes) -> _Call:
        return _Call("POST", f"{V1}/verify", files={"image_a": _photo(a, "a.jpg"), "image_b": _photo(b, "b.jpg")})

    @staticmethod
    def cameras() -> _Call:
        return _Call("GET", f"{V1}/cameras")

    @staticmethod
    def add_camera(body: dict[str, Any]) -> _Call:
        return _Call("POST", f"{V1}/cameras", json=body, ok=201)

    @staticmethod
    def remove_camera(name: str) -> _Call:
        return _Call("DELETE", f"{V1}/cameras/{name}", ok=204)

    @staticmethod
    def events_page(filters: dict[str, Any], cursor: str | None) -> _Call:
        params = {k: v for k, v in filters.items() if v is not None} | ({"cursor": cursor} if cursor else {})
        return _Call("GET", f"{V1}/events", params=params)


def _headers(api_key: str | None) -> dict[str, str]:
    return {"x-api-key": api_key} if api_key else {}


def _should_retry(call: _Call, attempt: int, reply: httpx.Response | None) -> bool:
    if not call.idempotent or attempt >= RETRIES:
        return False
    return reply is None or reply.status_code in (502, 503, 504)


class Client:
    """Sync client; one per thread or shared (httpx.Client is thread-safe)."""

    def __init__(self, url: str = "http://127.0.0.1:8000", api_key: str | None = None, timeout_s: float = 60) -> None:
        self._http = httpx.Client(base_url=url, headers=_headers(api_key), timeout=timeout_s)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _run(self, call: _Call) -> Any:
        attempt = 0
        while True:
            attempt += 1
            try:
                reply = self._http.request(
                    call.method, call.path, json=call.json, params=call.params, files=call.files, data=call.data
                )
            except httpx.TransportError:
                if not _should_retry(call, attempt, None):
                    raise
                time.sleep(RETRY_BACKOFF_S * attempt)
                continue
            if reply.status_code == call.ok:
                return reply.json() if reply.content else None
            if not _should_retry(call, attempt, reply):
                raise error_of(reply)
            time.sleep(RETRY_BACKOFF_S * attempt)

    def collections(self) -> Iterator[Collection]:
        cursor = None
        while True:
            page = self._run(_Calls.collections_page(cursor))
            yield from (Collection.of(c) for c in page["collections"])
            if not (cursor := page.get("next_cursor")):
                return

    def create_collection(self, name: str) -> Collection:
        return Collection.of(self._run(_Calls.create_collection(name)))

    def delete_collection(self, name: str) -> None:
        self._run(_Calls.delete_collection(name))

    def people(self, collection: str, page_size: int = 200) -> Iterator[Person]:
        cursor = None
        while True:
            page = self._run(_Calls.people_page(collection, cursor, page_size))
            yield from (Person.of(p) for p in page["people"])
            if not (cursor := page.get("next_cursor")):
                return

    def create_person(
        self, collection: str, name: str, external_id: str | None = None, metadata: dict[str, Any] | None = None
    ) -> Person:
        return Person.of(self._run(_Calls.create_person(collection, name, external_id, metadata)))

    def update_person_metadata(self, collection: str, person_id: str, metadata: dict[str, Any]) -> Person:
        return Person.of(self._run(_Calls.update_person(collection, person_id, metadata)))

    def enrol(self, collection: str, person_id: str, photo: Path | bytes) -> Enrolled:
        return Enrolled.of(self._run(_Calls.enrol(collection, person_id, photo)))

    def identify(self, collection: str, photo: Path | bytes, top_k: int = 3) -> Identification:
        return Identification.of(self._run(_Calls.identify(collection, photo, top_k)))

    def verify(self, a: Path | bytes, b: Path | bytes) -> Verification:
        return Verification.of(self._run(_Calls.verify(a, b)))

    def cameras(self) -> list[dict[str, Any]]:
        return list(self._run(_Calls.cameras()))

    def add_camera(self, name: str, source_url: str, collection: str, **options: Any) -> dict[str, Any]:
        """options: fps, min_face_px, enabled (see POST /api/v1/cameras)."""
        body = {"name": name, "source_url": source_url, "collection": collection, **options}
        return dict(self._run(_Calls.add_camera(body)))

    def remove_camera(self, name: str) -> None:
        self._run(_Calls.remove_camera(name))

    def events(self, cursor: str | None = None, **filters: Any) -> dict[str, Any]:
        """One page, newest first: {"events": [...], "next_cursor"}; filters as GET /api/v1/events takes."""
        return dict(self._run(_Calls.events_page(filters, cursor)))


class AsyncClient:
    """Async client (httpx.AsyncClient); the same methods as `Client`, awaited."""

    def __init__(self, url: str = "http://127.0.0.1:8000", api_key: str | None = None, timeout_s: float = 60) -> None:
        self._http = httpx.AsyncClient(base_url=url, headers=_headers(api_key), timeout=timeout_s)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def _run(self, call: _Call) -> Any:
        attempt = 0
        while True:
            attempt += 1
            try:
                reply = await self._http.request(
                    call.method, call.path, json=call.json, params=call.params, files=call.files, data=call.data
                )
            except httpx.TransportError:
                if not _should_retry(call, attempt, None):
                    raise
                await asyncio.sleep(RETRY_BACKOFF_S * attempt)
                continue
            if reply.status_code == call.ok:
                return reply.json() if reply.content else None
            if not _should_retry(call, attempt, reply):
                raise error_of(reply)
            await asyncio.sleep(RETRY_BACKOFF_S * attempt)

    async def collections(self) -> AsyncIterator[Collection]:
        cursor = None
        while True:
            page = await self._run(_Calls.collections_page(cursor))
            for c in page["collections"]:
                yield Collection.of(c)
            if not (cursor := page.get("next_cursor")):
                return

    async def create_collection(self, name: str) -> Collection:
        return Collection.of(await self._run(_Calls.create_collection(name)))

    async def delete_collection(self, name: str) -> None:
        await self._run(_Calls.delete_collection(name))

    async def people(self, collection: str, page_size: int = 200) -> AsyncIterator[Person]:
        cursor = None
        while True:
            page = await self._run(_Calls.people_page(collection, cursor, page_size))
            for p in page["people"]:
                yield Person.of(p)
            if not (cursor := page.get("next_cursor")):
                return

    async def create_person(
        self, collection: str, name: str, external_id: str | None = None, metadata: dict[str, Any] | None = None
    ) -> Person:
        return Person.of(await self._run(_Calls.create_person(collection, name, external_id, metadata)))

    async def update_person_metadata(self, collection: str, person_id: str, metadata: dict[str, Any]) -> Person:
        return Person.of(await self._run(_Calls.update_person(collection, person_id, metadata)))

    async def enrol(self, collection: str, person_id: str, photo: Path | bytes) -> Enrolled:
        return Enrolled.of(await self._run(_Calls.enrol(collection, person_id, photo)))

    async def identify(self, collection: str, photo: Path | bytes, top_k: int = 3) -> Identification:
        return Identification.of(await self._run(_Calls.identify(collection, photo, top_k)))

    async def verify(self, a: Path | bytes, b: Path | bytes) -> Verification:
        return Verification.of(await self._run(_Calls.verify(a, b)))

    async def cameras(self) -> list[dict[str, Any]]:
        return list(await self._run(_Calls.cameras()))

    async def add_camera(self, name: str, source_url: str, collection: str, **options: Any) -> dict[str, Any]:
        body = {"name": name, "source_url": source_url, "collection": collection, **options}
        return dict(await self._run(_Calls.add_camera(body)))

    async def remove_camera(self, name: str) -> None:
        await self._run(_Calls.remove_camera(name))

    async def events(self, cursor: str | None = None, **filters: Any) -> dict[str, Any]:
        return dict(await self._run(_Calls.events_page(filters, cursor)))
