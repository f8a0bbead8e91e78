"""Path, query and form parameters shared by the v1 routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from facerec_common.names import COLLECTION_NAME_ANCHORED

CollectionPath = Annotated[str, Path(pattern=COLLECTION_NAME_ANCHORED, description="Collection name")]
Limit = Annotated[int, Query(ge=1, le=500, description="Items per page")]
Cursor = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page")]
