"""What text the product stores: one rule for every way it arrives (REST, the public gRPC API,
the seed API, collection imports), checked at the gateway and again by the registry.

PostgreSQL's text and jsonb hold neither NUL characters nor lone surrogates (which JSON and
Python strings can both spell), so such text is refused with the field's name, never sent on
to fail as a 500.
"""

from __future__ import annotations

from typing import Any

MAX_NAME_CHARS = 255  # a person's name, external_id, an API key's name
MAX_METADATA_BYTES = 16 * 1024


def text_problem(text: str) -> str | None:
    """Why `text` cannot be stored as sent, or None."""
    if "\0" in text:
        return "must not contain NUL characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode (no lone surrogates)"
    return None


def json_problem(value: Any) -> str | None:
    """`text_problem` for every key and string inside a JSON value."""
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, dict):
        for key, item in value.items():
            problem = text_problem(key) or json_problem(item)
            if problem:
                return problem
    if isinstance(value, list):
        for item in value:
            problem = json_problem(item)
            if problem:
                return problem
    return None
