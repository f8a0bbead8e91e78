"""The rule for collection names, which every API and the registry apply alike."""

from __future__ import annotations

import re

# Safe in a URL path segment, a file name and a metrics label, without escaping.
COLLECTION_NAME_PATTERN = r"[A-Za-z0-9_.-]{1,64}"
COLLECTION_NAME = re.compile(COLLECTION_NAME_PATTERN)
COLLECTION_NAME_RULE = "Collection names are 1-64 characters of A-Z a-z 0-9 _ . -"
# As OpenAPI and pydantic state a pattern: anchored.
COLLECTION_NAME_ANCHORED = f"^{COLLECTION_NAME_PATTERN}$"


def is_collection_name(name: str) -> bool:
    return COLLECTION_NAME.fullmatch(name) is not None
