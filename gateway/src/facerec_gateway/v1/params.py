"""Path, query and form parameters shared by the v1 routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

CollectionPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="Collection name")]
Limit = Annotated[int, Query(ge=1, le=500, description="Items per page")]
Cursor = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page")]
