"""docs/errors.md's table is the error tree's: every domain code is there with its gRPC status
and HTTP status as the classes say, and the table names no code the tree does not have."""

from __future__ import annotations

import re
from pathlib import Path

from facerec_common import errors

DOC = Path(__file__).resolve().parents[3] / "docs" / "errors.md"
# Answered by the gateway's HTTP layer itself (routing, validation, framing): not domain errors.
GATEWAY_ONLY = {"VALIDATION_ERROR", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "MALFORMED_REQUEST"}
ROUTING = {"NOT_FOUND", "METHOD_NOT_ALLOWED"}


def _rows() -> dict[str, tuple[str, str]]:
    """code -> (gRPC status, HTTP status) for every code the table names."""
    rows: dict[str, tuple[str, str]] = {}
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`"):
            continue
        codes = re.findall(r"`([A-Z_]+)`", cells[0])
        statuses = [s.strip() for s in cells[2].split("/")]
        for i, code in enumerate(codes):
            rows[code] = (cells[1], statuses[min(i, len(statuses) - 1)])
    return rows


def test_every_domain_error_is_in_the_table_as_the_tree_says() -> None:
    rows = _rows()
    assert len(rows) >= 30, "the table was not found"
    wrong = {
        code: (rows.get(code), (cls.grpc_status.name, str(cls.http_status)))
        for code, cls in errors.ERRORS_BY_CODE.items()
        # POOR_QUALITY: a family name clients never receive; NOT_FOUND: the router's row (the same 404)
        if code not in {"POOR_QUALITY"} | ROUTING and rows.get(code) != (cls.grpc_status.name, str(cls.http_status))
    }
    assert wrong == {}


def test_the_table_names_no_code_the_tree_lacks() -> None:
    unknown = set(_rows()) - set(errors.ERRORS_BY_CODE) - GATEWAY_ONLY - ROUTING
    assert unknown == set()
