"""Property-based: hostile text (NUL, lone surrogates, control characters, invalid UTF-8, 10^5
characters) in every text field, id, path and query parameter and header of the REST API, and in
every text field of the public gRPC API. Never a 5xx; every REST error body carries the request id.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import grpc
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facerec.registry.v1 import registry_pb2 as rpb
from facerec.v1 import face_service_pb2
from facerec.v1.face_service_pb2_grpc import FaceServiceStub
from facerec_devstack.stack import Stack

pytestmark = pytest.mark.e2e
V1 = "/api/v1"
EXAMPLES = 25

NASTY = ["\0", "\ud800", "\udfff", "\x01", "\x1b", "\x7f", "\u0085", "\u202e", "\ufeff", "\uffff", "é", "a", " "]
HOSTILE = st.one_of(
    st.text(alphabet=st.sampled_from(NASTY), min_size=1, max_size=40),
    st.text(min_size=1, max_size=40).map(lambda t: t + "\0"),
    st.sampled_from(["Ali\0ce", "\ud83d", "x" * 100_000, "\0" * 5_000, "7" * 60_000, "../../etc/passwd", "%00"]),
)


def _url_part(text: str) -> str:
    """Percent-encoded UTF-8 (lone surrogates as the invalid bytes they would be), under httpx's URL cap."""
    return quote(text[:20_000].encode("utf-8", "surrogatepass"), safe="")


def _raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _header(text: str) -> bytes:
    # HTTP forbids control characters in a header value: the client or the server's parser refuses
    # them before any route sees them (uvicorn answers a bare 400). Anything else goes, bytes
    # 0x80-0xFF included (a lone surrogate's UTF-8 form among them).
    value = bytes(b for b in _raw(text[:8_000]) if (b >= 0x20 and b != 0x7F) or b == 0x09).strip()
    return value or b"x"


@pytest.fixture(scope="module", autouse=True)
def no_uncaught_exceptions(stack: Stack) -> Iterator[None]:
    """Whatever the answers were, no service may have logged an unexpected error meanwhile."""
    logs = {name: s.log_path for name, s in stack.group.services.items() if s.log_path is not None}
    start = {name: path.stat().st_size for name, path in logs.items()}
    yield
    for name, path in logs.items():
        with path.open("rb") as log:
            log.seek(start[name])
            new = log.read().decode("utf-8", "replace")
        for marker in ("Traceback", "unexpected error", "Exception in ASGI application"):
            assert marker not in new, f"{name} logged {marker!r} during the hostile text run"


@pytest.fixture(scope="module")
def target(api: httpx.Client) -> Iterator[tuple[str, str]]:
    collection = f"hostile-text-{uuid.uuid4().hex[:8]}"
    api.post(f"{V1}/collections", json={"name": collection}).raise_for_status()
    person = api.post(f"{V1}/collections/{collection}/people", json={"name": "Ada"}).json()["person_id"]
    yield collection, person
    api.delete(f"{V1}/collections/{collection}")


def _json(body: Any) -> dict[str, Any]:
    # ensure_ascii: lone surrogates travel as \\udXXX escapes, which JSON allows and UTF-8 cannot hold.
    return {"content": json.dumps(body).encode(), "headers": {"content-type": "application/json"}}


def _rest_requests(collection: str, person: str) -> dict[str, Callable[[str], tuple[str, str, dict[str, Any]]]]:
    c, p = collection, person
    return {
        "create person name": lambda t: ("POST", f"{V1}/collections/{c}/people", _json({"name": t})),
        "create person external_id": lambda t: (
            "POST",
            f"{V1}/collections/{c}/people",
            _json({"name": "n", "external_id": t}),
        ),
        "create person metadata key": lambda t: (
            "POST",
            f"{V1}/collections/{c}/people",
            _json({"name": "n", "metadata": {t: 1}}),
        ),
        "create person metadata value": lambda t: (
            "POST",
            f"{V1}/collections/{c}/people",
            _json({"name": "n", "metadata": {"k": [t]}}),
        ),
        "rename person": lambda t: ("PATCH", f"{V1}/collections/{c}/people/{p}", _json({"name": t})),
        "patch external_id": lambda t: ("PATCH", f"{V1}/collections/{c}/people/{p}", _json({"external_id": t})),
        "create collection": lambda t: ("POST", f"{V1}/collections", _json({"name": t})),
        "create key name": lambda t: ("POST", f"{V1}/keys", _json({"name": t, "scope": "read"})),
        "create key scope": lambda t: ("POST", f"{V1}/keys", _json({"name": "k", "scope": t})),
        "create key collections": lambda t: (
            "POST",
            f"{V1}/keys",
            _json({"name": "k", "scope": "read", "collections": [t]}),
        ),
        "delete faces ids": lambda t: ("POST", f"{V1}/collections/{c}/faces:delete", _json({"face_ids": [t]})),
        "update collection": lambda t: ("PATCH", f"{V1}/collections/{c}", _json({"target_fpir": t})),
        "search embedding": lambda t: ("POST", f"{V1}/collections/{c}/search", _json({"embedding": [t]})),
        "seed register name": lambda t: (
            "POST",
            "/api/face/register",
            {"data": {"name": _raw(t)}, "files": {"file": ("a.jpg", b"not an image", "image/jpeg")}},
        ),
        "collection in path": lambda t: ("GET", f"{V1}/collections/{_url_part(t)}/people", {}),
        "person id in path": lambda t: ("GET", f"{V1}/collections/{c}/people/{_url_part(t)}", {}),
        "delete person id": lambda t: ("DELETE", f"{V1}/collections/{c}/people/{_url_part(t)}", {}),
        "face image id": lambda t: ("GET", f"{V1}/collections/{c}/faces/{_url_part(t)}/image", {}),
        "seed delete id": lambda t: ("DELETE", f"/api/face/recognition/{_url_part(t)}", {}),
        "key id": lambda t: ("DELETE", f"{V1}/keys/{_url_part(t)}", {}),
        "cursor": lambda t: ("GET", f"{V1}/collections/{c}/people?cursor={_url_part(t)}", {}),
        "faces of person query": lambda t: ("GET", f"{V1}/collections/{c}/faces?person_id={_url_part(t)}", {}),
        "X-Request-ID": lambda t: ("GET", f"{V1}/collections", {"headers": {"X-Request-ID": _header(t)}}),
        "X-API-Key": lambda t: ("GET", f"{V1}/collections", {"headers": {"X-API-Key": _header(t)}}),
        "Idempotency-Key": lambda t: (
            "POST",
            f"{V1}/collections/{c}/import",
            {"content": b"", "headers": {"Idempotency-Key": _header(t)}},
        ),
    }


def _fuzz(check: Callable[[str], None], strategy: st.SearchStrategy[str] = HOSTILE) -> str | None:
    """Run `check` over generated hostile text; the first failure's message, or None."""

    @given(text=strategy)
    @settings(
        max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
    )
    def probe(text: str) -> None:
        check(text)

    try:
        probe()
    except AssertionError as exc:
        return str(exc).splitlines()[0]
    return None


def _rest_check(
    api: httpx.Client, label: str, build: Callable[[str], tuple[str, str, dict[str, Any]]]
) -> Callable[[str], None]:
    def check(text: str) -> None:
        method, path, kwargs = build(text)
        headers = {"X-Request-ID": "hostile-text", **kwargs.pop("headers", {})}
        reply = api.request(method, path, headers=headers, **kwargs)
        assert reply.status_code < 500, f"{label}: {reply.status_code} {reply.text[:300]}"
        if reply.status_code >= 400:
            assert reply.headers.get("content-type", "").startswith("application/json"), f"{label}: {reply.text[:300]}"
            assert reply.json()["error"]["request_id"], f"{label}: no request id in {reply.text[:300]}"
            message = reply.json()["error"]["message"]
            assert len(message) <= 1_000, f"{label}: the error echoes the input ({len(message)} characters)"

    return check


def test_rest_answers_hostile_text_without_a_server_error(api: httpx.Client, target: tuple[str, str]) -> None:
    failures = [_fuzz(_rest_check(api, label, build)) for label, build in _rest_requests(*target).items()]
    assert not any(failures), "\n".join(f for f in failures if f)


def _every_parameter(
    api: httpx.Client, collection: str, person: str
) -> dict[str, Callable[[str], tuple[str, str, dict[str, Any]]]]:
    """From the API's own schema: every path and query parameter of every operation, each in turn
    given hostile text while the others name the test's collection and person."""
    known = {"collection": collection, "person_id": person}
    requests: dict[str, Callable[[str], tuple[str, str, dict[str, Any]]]] = {}
    for path, operations in api.get("/openapi.json").json()["paths"].items():
        for method, operation in operations.items():
            params = [p for p in operation.get("parameters", []) if p["in"] in ("path", "query")]
            for param in params:
                if param["in"] == "query" and param.get("schema", {}).get("type") not in (None, "string"):
                    continue  # numbers and booleans: their parsing is FastAPI's, checked by the fuzz test

                def build(
                    t: str, path: str = path, method: str = method, param: dict[str, Any] = param
                ) -> tuple[str, str, dict[str, Any]]:
                    url = path
                    for name in re.findall(r"\{(\w+)\}", path):
                        value = (
                            _url_part(t) if param["in"] == "path" and name == param["name"] else known.get(name, "x")
                        )
                        url = url.replace("{" + name + "}", value)
                    if param["in"] == "query":
                        url += f"?{param['name']}={_url_part(t)}"
                    return method.upper(), url, {}

                requests[f"{method.upper()} {path} {param['in']} {param['name']}"] = build
    return requests


def test_every_path_and_query_parameter_answers_hostile_text(api: httpx.Client, target: tuple[str, str]) -> None:
    requests = _every_parameter(api, *target)
    assert len(requests) >= 30
    failures = [_fuzz(_rest_check(api, label, build)) for label, build in requests.items()]
    assert not any(failures), "\n".join(f for f in failures if f)


def test_nul_in_names_is_refused_naming_the_field(api: httpx.Client, target: tuple[str, str]) -> None:
    collection, person = target
    for reply in (
        api.post(f"{V1}/collections/{collection}/people", json={"name": "Ali\0ce"}),
        api.patch(f"{V1}/collections/{collection}/people/{person}", json={"external_id": "x\0"}),
        api.post("/api/face/register", data={"name": "Ali\0ce"}, files={"file": ("a.jpg", b"x", "image/jpeg")}),
    ):
        assert reply.status_code == 422, reply.text
        assert "NUL" in reply.text


def _grpc_calls(collection: str, person: str) -> dict[str, Callable[[FaceServiceStub, str], Any]]:
    def struct(key: str, value: str) -> Any:
        message = rpb.CreatePersonRequest().metadata
        message.update({key: value})
        return message

    return {
        "CreatePerson name": lambda s, t: s.CreatePerson(
            rpb.CreatePersonRequest(collection=collection, name=t), timeout=30
        ),
        "CreatePerson external_id": lambda s, t: s.CreatePerson(
            rpb.CreatePersonRequest(collection=collection, name="n", external_id=t), timeout=30
        ),
        "CreatePerson metadata": lambda s, t: s.CreatePerson(
            rpb.CreatePersonRequest(collection=collection, name="n", metadata=struct(t, t)), timeout=30
        ),
        "UpdatePerson name": lambda s, t: s.UpdatePerson(
            rpb.UpdatePersonRequest(collection=collection, person_id=person, name=t), timeout=30
        ),
        "GetPerson id": lambda s, t: s.GetPerson(rpb.GetPersonRequest(collection=collection, person_id=t), timeout=30),
        "GetFace id": lambda s, t: s.GetFace(rpb.GetFaceRequest(collection=collection, face_id=t), timeout=30),
        "ListPeople collection": lambda s, t: s.ListPeople(rpb.ListPeopleRequest(collection=t), timeout=30),
        "ListPeople page token": lambda s, t: s.ListPeople(
            rpb.ListPeopleRequest(collection=collection, page_token=t), timeout=30
        ),
        "CreateCollection name": lambda s, t: s.CreateCollection(rpb.CreateCollectionRequest(name=t), timeout=30),
    }


def _grpc_check(
    stub: FaceServiceStub, label: str, call: Callable[[FaceServiceStub, str], Any]
) -> Callable[[str], None]:
    def check(text: str) -> None:
        code, details = grpc.StatusCode.OK, ""
        try:
            call(stub, text)
        except grpc.RpcError as exc:
            code, details = exc.code(), exc.details()  # type: ignore[attr-defined]
        assert code not in {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}, f"{label}: {code} {details[:300]}"

    return check


def _every_grpc_text_field(channel: grpc.Channel, collection: str, person: str) -> dict[str, Callable[[str], Any]]:
    """From the public service's own descriptor: every string field of every RPC's request, each in
    turn given hostile text while the other strings name the test's collection and person."""
    from google.protobuf import message_factory

    known = {"collection": collection, "name": collection, "person_id": person}
    service = face_service_pb2.DESCRIPTOR.services_by_name["FaceService"]
    calls: dict[str, Callable[[str], Any]] = {}
    for method in service.methods:
        request_class = message_factory.GetMessageClass(method.input_type)
        response_class = message_factory.GetMessageClass(method.output_type)
        rpc = channel.unary_unary(
            f"/{service.full_name}/{method.name}",
            request_serializer=request_class.SerializeToString,
            response_deserializer=response_class.FromString,
        )
        strings = [f for f in method.input_type.fields if f.type == f.TYPE_STRING]
        for field in strings:

            def call(
                text: str,
                field: Any = field,
                strings: list[Any] = strings,
                request_class: Any = request_class,
                rpc: Any = rpc,
            ) -> Any:
                request = request_class()
                for other in strings:
                    value = text if other is field else known.get(other.name, "x")
                    if other.is_repeated:
                        getattr(request, other.name).append(value)
                    else:
                        setattr(request, other.name, value)
                return rpc(request, timeout=30)

            calls[f"{method.name}.{field.name}"] = call
    return calls


def test_every_public_grpc_text_field_answers_hostile_text(stack: Stack, target: tuple[str, str]) -> None:
    sendable = HOSTILE.map(lambda t: t.encode("utf-8", "replace").decode())
    with grpc.insecure_channel(stack.address("public_grpc")) as channel:
        calls = _every_grpc_text_field(channel, *target)
        assert len(calls) >= 30
        failures = [
            _fuzz(_grpc_check(FaceServiceStub(channel), label, lambda _, t, call=call: call(t)), sendable)
            for label, call in calls.items()
        ]
    assert not any(failures), "\n".join(f for f in failures if f)


def test_public_grpc_answers_hostile_text_without_internal(stack: Stack, target: tuple[str, str]) -> None:
    # Protobuf strings are UTF-8: lone surrogates cannot be sent, everything else can.
    sendable = HOSTILE.map(lambda t: t.encode("utf-8", "replace").decode())
    with grpc.insecure_channel(stack.address("public_grpc")) as channel:
        stub = FaceServiceStub(channel)
        failures = [_fuzz(_grpc_check(stub, label, call), sendable) for label, call in _grpc_calls(*target).items()]
    assert not any(failures), "\n".join(f for f in failures if f)


def test_a_form_name_that_is_not_utf8_is_refused_not_stored_garbled(api: httpx.Client, data_dir: Path) -> None:
    photo = (data_dir / "faces/Hugh_Grant/Hugh_Grant_0001.jpg").read_bytes()
    refused = api.post(
        "/api/face/register", data={"name": b"Jos\xe9 Latin1"}, files={"file": ("a.jpg", photo, "image/jpeg")}
    )
    assert refused.status_code == 400, refused.text
    assert "name" in refused.json()["error"]["message"]
    assert refused.json()["error"]["request_id"]
    assert not [f for f in api.get("/api/face/").json() if "Latin1" in f["name"]]
    # The same name in UTF-8 is a name like any other.
    accepted = api.post(
        "/api/face/register", data={"name": "José Utf8".encode()}, files={"file": ("a.jpg", photo, "image/jpeg")}
    )
    assert accepted.status_code == 200, accepted.text
    stored = [f for f in api.get("/api/face/").json() if f["name"] == "José Utf8"]
    assert len(stored) == 1
    api.delete(f"/api/face/recognition/{stored[0]['id_face']}")
