"""The collection file: JSON Lines, version 1 (docs/collection-format.md). Parsing and writing only.

    {"format": "facerec.collection", "version": 1, "collection": "staff", "model": {...}, "people": 2, "faces": 3}
    {"type": "person", "id": "…", "name": "Ada", "external_id": "emp-1", "metadata": {}}
    {"type": "face", "id": "…", "person_id": "…", "embedding": "<base64 float32 little-endian>", …}

People come before faces. Every error names its line, counted from 1.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from facerec_common.errors import InvalidArgument
from facerec_common.packed import is_unit
from facerec_common.rgb import is_whole
from facerec_common.text import MAX_NAME_CHARS, json_problem, text_problem
from facerec_registry.store.records import ModelRef

FORMAT = "facerec.collection"
VERSION = 1
MAX_LINE_BYTES = 8 * 1024 * 1024
MAX_NAME = MAX_NAME_CHARS
MAX_CROP_SIDE = 1024  # aligned crops are 112 x 112; room for larger models' inputs


@dataclass(frozen=True)
class Header:
    collection: str
    model: ModelRef
    people: int | None
    faces: int | None


@dataclass(frozen=True)
class PersonLine:
    person_id: uuid.UUID
    name: str
    external_id: str | None
    metadata: dict[str, Any]


@dataclass(frozen=True)
class FaceLine:
    face_id: uuid.UUID
    person_id: uuid.UUID
    embedding: np.ndarray
    box: tuple[float, float, float, float]
    detection_score: float
    created_at: datetime | None
    aligned: tuple[int, int, bytes] | None  # width, height, raw RGB
    display_image: bytes | None


def line_error(line: int, reason: str) -> InvalidArgument:
    """A line of the file is not what the format allows: INVALID_ARGUMENT naming the line."""
    return InvalidArgument(f"line {line}: {reason}", line=str(line))


async def lines(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[int, bytes]]:
    """(line number, line) from byte chunks that may split lines anywhere; blank lines skipped."""
    pending = b""
    number = 0
    async for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            number += 1
            if line.strip():
                yield number, line
        if len(pending) > MAX_LINE_BYTES:
            raise line_error(number + 1, f"longer than {MAX_LINE_BYTES // (1024 * 1024)} MiB")
    if pending.strip():
        yield number + 1, pending


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # json.loads takes NaN and Infinity; PostgreSQL does not


def _object(number: int, line: bytes) -> dict[str, Any]:
    try:
        value = json.loads(line, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise line_error(number, "not valid JSON") from exc
    if not isinstance(value, dict):
        raise line_error(number, "not a JSON object")
    return value


def _uuid(number: int, value: Any, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise line_error(number, f"{what} is not a UUID") from exc


def _b64(number: int, value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise line_error(number, f"{what} must be a base64 string")
    try:
        # Strict: only the alphabet and padding at the end (checked in C; 1.5x b64decode(validate=True)).
        return binascii.a2b_base64(value, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise line_error(number, f"{what} is not valid base64") from exc


def _side(number: int, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CROP_SIDE:
        raise line_error(number, f"aligned width and height must be whole numbers from 1 to {MAX_CROP_SIDE}")
    return value


def _number(number: int, value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise line_error(number, f"{what} must be a finite number")
    return float(value)


def parse_header(number: int, line: bytes) -> Header:
    value = _object(number, line)
    if value.get("format") != FORMAT:
        raise line_error(number, f'the first line must be the header, {{"format": "{FORMAT}", ...}}')
    if value.get("version") != VERSION:
        raise line_error(number, f"format version {value.get('version')!r} is not supported (this reads {VERSION})")
    model = value.get("model")
    if not isinstance(model, dict):
        raise line_error(number, "the header has no model")
    name, version, dimension = model.get("name"), model.get("version"), model.get("dimension")
    if not isinstance(name, str) or not isinstance(version, str) or not name or not version:
        raise line_error(number, "the model needs a name and a version")
    if isinstance(dimension, bool) or not isinstance(dimension, int) or not 1 <= dimension <= 4096:
        raise line_error(number, "the model's dimension must be a whole number from 1 to 4096")
    counts = [value.get("people"), value.get("faces")]
    for count in counts:
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
            raise line_error(number, "people and faces counts must be whole numbers")
    return Header(str(value.get("collection") or ""), ModelRef(name, version, dimension), counts[0], counts[1])


def parse_record(number: int, line: bytes, dimension: int) -> PersonLine | FaceLine:
    value = _object(number, line)
    kind = value.get("type")
    if kind == "person":
        return _person(number, value)
    if kind == "face":
        return _face(number, value, dimension)
    raise line_error(number, 'type must be "person" or "face"')


def _person(number: int, value: dict[str, Any]) -> PersonLine:
    name = value.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME or text_problem(name):
        raise line_error(number, f"a person's name must be 1-{MAX_NAME} characters (no NUL, no lone surrogate)")
    external_id = value.get("external_id")
    if external_id is not None and (
        not isinstance(external_id, str) or len(external_id) > MAX_NAME or text_problem(external_id)
    ):
        raise line_error(
            number, f"external_id must be a string of at most {MAX_NAME} characters (no NUL, no lone surrogate)"
        )
    metadata = value.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise line_error(number, "metadata must be an object")
    if json_problem(metadata):
        raise line_error(number, "metadata may hold neither NUL characters nor lone surrogates")  # jsonb refuses them
    return PersonLine(_uuid(number, value.get("id"), "id"), name.strip(), external_id or None, metadata)


def _face(number: int, value: dict[str, Any], dimension: int) -> FaceLine:
    raw = _b64(number, value.get("embedding"), "embedding")
    if len(raw) != 4 * dimension:
        raise line_error(number, f"the embedding has {len(raw) // 4} values; the model makes {dimension}")
    embedding = np.frombuffer(raw, "<f4")
    if not is_unit(embedding):
        raise line_error(number, "the embedding must be L2-normalised")
    box = value.get("box") or [0, 0, 0, 0]
    if not isinstance(box, list) or len(box) != 4:
        raise line_error(number, "box must be [x, y, width, height]")
    created_at = None
    if value.get("created_at") is not None:
        try:
            created_at = datetime.fromisoformat(str(value["created_at"]))
        except ValueError as exc:
            raise line_error(number, "created_at is not an ISO 8601 time") from exc
        if created_at.tzinfo is None:
            raise line_error(number, "created_at needs a time zone")
    aligned = None
    if value.get("aligned") is not None:
        crop = value["aligned"]
        if not isinstance(crop, dict):
            raise line_error(number, "aligned must be {width, height, rgb}")
        width, height = _side(number, crop.get("width")), _side(number, crop.get("height"))
        pixels = _b64(number, crop.get("rgb"), "aligned.rgb")
        if not is_whole(width, height, pixels):
            raise line_error(number, "aligned.rgb must hold width x height x 3 bytes")
        aligned = (width, height, pixels)
    display = value.get("display_jpeg")
    return FaceLine(
        face_id=_uuid(number, value.get("id"), "id"),
        person_id=_uuid(number, value.get("person_id"), "person_id"),
        embedding=embedding,
        box=(
            _number(number, box[0], "box"),
            _number(number, box[1], "box"),
            _number(number, box[2], "box"),
            _number(number, box[3], "box"),
        ),
        detection_score=_number(number, value.get("detection_score", 0.0), "detection_score"),
        created_at=created_at,
        aligned=aligned,
        display_image=_b64(number, display, "display_jpeg") if display is not None else None,
    )


def header_line(collection: str, model: ModelRef, people: int, faces: int, exported_at: datetime) -> bytes:
    header = {
        "format": FORMAT,
        "version": VERSION,
        "collection": collection,
        "model": {"name": model.name, "version": model.version, "dimension": model.dimension},
        "people": people,
        "faces": faces,
        "exported_at": exported_at.isoformat(),
    }
    return json.dumps(header).encode() + b"\n"


def person_line(person_id: uuid.UUID, name: str, external_id: str | None, metadata: dict[str, Any]) -> bytes:
    value = {"type": "person", "id": str(person_id), "name": name, "external_id": external_id, "metadata": metadata}
    return json.dumps(value, ensure_ascii=False).encode() + b"\n"


def face_line(
    face_id: uuid.UUID,
    person_id: uuid.UUID,
    embedding_le: bytes,
    box: tuple[float, float, float, float],
    detection_score: float,
    created_at: datetime,
    aligned: tuple[int, int, bytes] | None,
    display_image: bytes | None,
) -> bytes:
    value: dict[str, Any] = {
        "type": "face",
        "id": str(face_id),
        "person_id": str(person_id),
        "embedding": base64.b64encode(embedding_le).decode(),
        "box": list(box),
        "detection_score": detection_score,
        "created_at": created_at.isoformat(),
    }
    if aligned is not None:
        width, height, pixels = aligned
        value["aligned"] = {"width": width, "height": height, "rgb": base64.b64encode(pixels).decode()}
    if display_image is not None:
        value["display_jpeg"] = base64.b64encode(display_image).decode()
    return json.dumps(value).encode() + b"\n"
