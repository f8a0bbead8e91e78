"""Opaque keyset page tokens over (created_at, id): stable under concurrent inserts and deletes."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from facerec_common.errors import InvalidArgument

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    # Empty on the last page.
    next_token: str


def encode_token(created_at: datetime, row_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{row_id}".encode()).decode()


def decode_token(token: str) -> tuple[datetime, uuid.UUID]:
    try:
        created, row_id = base64.urlsafe_b64decode(token.encode()).decode().split("|")
        return datetime.fromisoformat(created), uuid.UUID(row_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidArgument("The page token is not valid.") from exc
