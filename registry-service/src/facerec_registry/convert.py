"""Wire messages <-> the store's records, and validation of what comes in."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from google.protobuf import json_format, struct_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from facerec.common.v1 import types_pb2
from facerec.registry.v1 import registry_pb2
from facerec_common.errors import InvalidArgument
from facerec_common.names import COLLECTION_NAME_RULE, is_collection_name
from facerec_common.packed import is_unit, unpack
from facerec_common.text import MAX_METADATA_BYTES, MAX_NAME_CHARS, json_problem, text_problem
from facerec_registry.face_arrays import Vector
from facerec_registry.store.records import CollectionInfo, ModelRef, PersonInfo, StoredFace


def collection_name(name: str) -> str:
    if not is_collection_name(name):
        raise InvalidArgument(COLLECTION_NAME_RULE, collection=name)
    return name


IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,128}")


def idempotency_key(key: str) -> str | None:
    """None when not given."""
    if not key:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidArgument("An idempotency key is 1-128 printable ASCII characters without spaces.")
    return key


def target_fpir(value: float) -> float:
    # Above 0.5 "unknown" would mean little; below 1e-9 no threshold can be told apart from 1.
    if not 1e-9 <= value <= 0.5:
        raise InvalidArgument("target_fpir is a share of strangers between 1e-9 and 0.5, e.g. 0.003.")
    return value


def stored_text(value: str, field: str) -> str:
    problem = text_problem(value)
    if problem:
        raise InvalidArgument(f"{field} {problem}.", field=field)
    return value


def person_name(name: str, field: str = "name") -> str:
    name = stored_text(name, field).strip()
    if not name or len(name) > MAX_NAME_CHARS:
        raise InvalidArgument(f"A person's {field} must be 1-{MAX_NAME_CHARS} characters.", field=field)
    return name


def external_id(value: str) -> str:
    if len(value) > MAX_NAME_CHARS:
        raise InvalidArgument(f"external_id is at most {MAX_NAME_CHARS} characters.", field="external_id")
    return stored_text(value, "external_id")


def metadata(value: struct_pb2.Struct) -> dict[str, Any]:
    if len(value.SerializeToString()) > MAX_METADATA_BYTES:
        raise InvalidArgument(f"metadata is at most {MAX_METADATA_BYTES // 1024} KiB.", field="metadata")
    as_dict = json_format.MessageToDict(value)
    problem = json_problem(as_dict)
    if problem:
        raise InvalidArgument(f"metadata keys and strings {problem}.", field="metadata")
    return as_dict


def uuid_arg(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidArgument(f"'{value}' is not a {what} (a UUID).", **{what.replace(" ", "_"): value}) from exc


def embedding(packed: types_pb2.Embedding, floats: Sequence[float] = ()) -> Vector:
    """One embedding as float32, read in place from its packed bytes; or from the float form
    (`floats`) a gateway older than this registry sends, when the packed one is unset."""
    if packed.vector or not floats:
        return unpack(packed.vector)
    return np.asarray(floats, dtype=np.float32)


def model(info: types_pb2.ModelInfo, *vectors: Vector) -> ModelRef:
    """The model the vectors claim, once each is checked to be of its dimension and unit length."""
    if not info.name or not info.version or not info.dimension:
        raise InvalidArgument("The embedding's model (name, version, dimension) is required.")
    for vector in vectors:
        if len(vector) != info.dimension:
            raise InvalidArgument(f"The embedding has {len(vector)} values; model {info.name} makes {info.dimension}.")
        if not is_unit(vector):
            raise InvalidArgument("The embedding must be L2-normalised.")
    return ModelRef(info.name, info.version, info.dimension)


def timestamp(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def model_info(ref: ModelRef | None) -> types_pb2.ModelInfo | None:
    return types_pb2.ModelInfo(name=ref.name, version=ref.version, dimension=ref.dimension) if ref else None


def face_record(face: StoredFace) -> registry_pb2.FaceRecord:
    x, y, w, h = face.box
    return registry_pb2.FaceRecord(
        face_id=str(face.face_id),
        person_id=str(face.person_id),
        person_name=face.person_name,
        collection=face.collection,
        model=model_info(face.model),
        box=types_pb2.Box(x=x, y=y, width=w, height=h),
        detection_score=face.detection_score,
        created_at=timestamp(face.created_at),
        display_image=face.display_image,
    )


def collection(info: CollectionInfo) -> registry_pb2.Collection:
    return registry_pb2.Collection(
        name=info.name,
        model=model_info(info.model),
        people_count=info.people_count,
        face_count=info.face_count,
        created_at=timestamp(info.created_at),
        target_fpir=info.target_fpir,
    )


def person(info: PersonInfo) -> registry_pb2.Person:
    meta = struct_pb2.Struct()
    meta.update(info.metadata)
    return registry_pb2.Person(
        person_id=str(info.person_id),
        collection=info.collection,
        name=info.name,
        external_id=info.external_id or "",
        metadata=meta,
        face_count=info.face_count,
        created_at=timestamp(info.created_at),
    )
