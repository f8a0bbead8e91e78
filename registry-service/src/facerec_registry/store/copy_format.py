"""People and faces as rows of PostgreSQL's binary COPY format, encoded here in one pass per row.

psycopg's `write_row` sends each value through its own Python dumper: at a million faces of
sixteen columns that cost as much as parsing the file. The format (PostgreSQL docs, COPY, "Binary
Format"): a signature, then per row a 16-bit field count and each field as a 32-bit length (-1:
NULL) followed by the type's binary form; a 16-bit -1 ends the data. Column order is the one
named in PEOPLE_COLUMNS and FACE_COLUMNS.
"""

from __future__ import annotations

import json
import struct
import uuid
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from psycopg import AsyncCopy, AsyncCursor
from psycopg.copy import AsyncLibpqWriter

PEOPLE_COLUMNS = "id, collection_id, name, external_id, metadata"
FACE_COLUMNS = (
    "id, collection_id, person_id, embedding, model_version, box_x, box_y, box_width, box_height, "
    "detection_score, display_image, aligned_pixels, aligned_width, aligned_height, seq, created_at"
)

MAGIC = b"PGCOPY\n\xff\r\n\x00"  # how binary COPY data begins, both ways
SIGNATURE = MAGIC + struct.pack(">ii", 0, 0)  # no flags, no header extension
TRAILER = struct.pack(">h", -1)
# Rows go to libpq in writes of this size; libpq sends what the socket takes as they come.
WRITE_BYTES = 1 << 16
# Only after this much has been handed to libpq since its last flush does a write wait for all
# of it to reach the server. A flush at every write made the encoder and the server take turns
# rather than work at once (100k faces with 60 us of encoding per row: 11.3 s vs 7.7 s at 4 MiB;
# psycopg's default is 1 MiB). libpq keeps its grown output buffer for the connection's life.
MAX_UNFLUSHED_BYTES = 4 << 20
_NULL = struct.pack(">i", -1)
_UUID = struct.pack(">i", 16)
_PERSON_FIELDS = struct.pack(">h", 5)
_FACE_FIELDS = struct.pack(">h", 16)
_EMPTY_METADATA = b"\x01{}"  # jsonb's binary form: a version byte, then the JSON text
_POSTGRES_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_BOX = struct.Struct(">ididididid")


def _field(data: bytes) -> bytes:
    return struct.pack(">i", len(data)) + data


def _nullable(data: bytes | None) -> bytes:
    return _NULL if data is None else _field(data)


def _int4(value: int | None) -> bytes:
    return _NULL if value is None else struct.pack(">ii", 4, value)


def _timestamptz(moment: datetime) -> bytes:
    """Microseconds since 2000-01-01 UTC, as an 8-byte field (the time must carry its zone)."""
    return struct.pack(">iq", 8, (moment - _POSTGRES_EPOCH) // _MICROSECOND)


class PersonRows:
    """`encoding`: the connection's client encoding (text goes as is, not converted by psycopg)."""

    def __init__(self, collection_id: uuid.UUID, encoding: str) -> None:
        self._collection = _field(collection_id.bytes)
        self._encoding = encoding

    def encode(self, person_id: uuid.UUID, name: str, external_id: str | None, metadata: dict[str, Any]) -> bytes:
        return b"".join(
            (
                _PERSON_FIELDS,
                _UUID,
                person_id.bytes,
                self._collection,
                _field(name.encode(self._encoding)),
                _nullable(external_id.encode(self._encoding) if external_id is not None else None),
                _field(b"\x01" + json.dumps(metadata).encode()) if metadata else _field(_EMPTY_METADATA),
            )
        )


class FaceRows:
    def __init__(self, collection_id: uuid.UUID, model_version: str, seq: int, now: datetime, encoding: str) -> None:
        self._collection = _field(collection_id.bytes)
        self._model = _field(model_version.encode(encoding))
        self._seq = struct.pack(">iq", 8, seq)
        self._now = _timestamptz(now)

    def encode(
        self,
        face_id: uuid.UUID,
        person_id: uuid.UUID,
        embedding: np.ndarray,
        box: tuple[float, float, float, float],
        detection_score: float,
        display_image: bytes | None,
        aligned: tuple[int, int, bytes] | None,
        created_at: datetime | None,
    ) -> bytes:
        width, height, pixels = aligned or (None, None, None)
        vector = embedding.astype(">f4").tobytes()  # pgvector's binary form: dimension, unused, floats
        return b"".join(
            (
                _FACE_FIELDS,
                _UUID,
                face_id.bytes,
                self._collection,
                _UUID,
                person_id.bytes,
                struct.pack(">ihh", 4 + len(vector), len(embedding), 0),
                vector,
                self._model,
                _BOX.pack(8, box[0], 8, box[1], 8, box[2], 8, box[3], 8, detection_score),
                _nullable(display_image),
                _nullable(pixels),
                _int4(width),
                _int4(height),
                self._seq,
                self._now if created_at is None else _timestamptz(created_at),
            )
        )


def copy_in(cursor: AsyncCursor[Any], table: str, columns: str) -> AbstractAsyncContextManager[AsyncCopy]:
    """`COPY table (columns) FROM STDIN` in binary, sent as the server takes it."""
    writer = AsyncLibpqWriter(cursor, flush_threshold=MAX_UNFLUSHED_BYTES)
    return cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)", writer=writer)


class CopyBuffer:
    """Encoded rows sent to a `COPY ... FROM STDIN (FORMAT BINARY)` in writes of WRITE_BYTES."""

    def __init__(self, copy: AsyncCopy) -> None:
        self._copy = copy
        self._buffer = bytearray(SIGNATURE)

    async def add(self, row: bytes) -> None:
        self._buffer += row
        if len(self._buffer) >= WRITE_BYTES:
            data, self._buffer = bytes(self._buffer), bytearray()
            await self._copy.write(data)

    async def finish(self) -> None:
        """The rest and the end marker; only after the last row (an error leaves the COPY to fail)."""
        self._buffer += TRAILER
        await self._copy.write(bytes(self._buffer))
        self._buffer = bytearray()


__all__ = ["FACE_COLUMNS", "MAGIC", "PEOPLE_COLUMNS", "CopyBuffer", "FaceRows", "PersonRows", "copy_in"]
