"""The registry's layout rules, checked by reading its source: SQL only in the store package, one
module that connects to PostgreSQL, and no file longer than MAX_LINES."""

from __future__ import annotations

import re
from pathlib import Path

SERVICE = Path(__file__).resolve().parents[1]
PACKAGE = SERVICE / "src" / "facerec_registry"
STORE = PACKAGE / "store"
CONNECTION = STORE / "connection.py"
MIGRATIONS = PACKAGE / "migrations"  # Alembic's: fixed once released, and SQL by nature
MAX_LINES = 450

SQL = [
    re.compile(r"\bSELECT\b"),
    re.compile(r"\bINSERT\s+INTO\b"),
    re.compile(r"\bUPDATE\s+\w+\s+SET\b"),
    re.compile(r"\bDELETE\s+FROM\b"),
    re.compile(r"\bCOPY\s+(?:\(|[\w{}]+\s*\()|\b(?:TO\s+STDOUT|FROM\s+STDIN)\b"),
    re.compile(r"\b(?:ANALYZE|VACUUM|LOCK\s+TABLE)\b"),
    re.compile(r"\btext\("),
    re.compile(r"\.(?:execute|scalar|scalars|stream)\("),
    # Queries built with SQLAlchemy are SQL too.
    re.compile(r"^\s*from sqlalchemy(?:\.\w+)* import .*\b(?:select|insert|update|delete|text|func|tuple_)\b"),
]
CONNECTS = [
    re.compile(r"\bcreate_(?:async_)?engine\("),
    re.compile(r"\basync_sessionmaker\("),
    re.compile(r"\bAsyncSession\("),
    re.compile(r"\bconnect\("),
    re.compile(r"\.get_raw_connection\("),
    re.compile(r"\.driver_connection\b"),
]


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if MIGRATIONS not in p.parents)


def _matches(paths: list[Path], patterns: list[re.Pattern[str]]) -> list[str]:
    return [
        f"{path.relative_to(SERVICE)}:{number}: {line.strip()}"
        for path in paths
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if any(p.search(line) for p in patterns)
    ]


def test_only_the_store_holds_sql() -> None:
    outside = [p for p in _modules() if STORE not in p.parents]
    assert outside, "no module outside the store was found: the test reads the wrong folder"
    found = _matches(outside, SQL)
    assert not found, "SQL outside facerec_registry/store:\n" + "\n".join(found)


def test_only_the_connection_module_connects() -> None:
    found = _matches([p for p in _modules() if p != CONNECTION], CONNECTS)
    assert not found, f"connections made outside {CONNECTION.relative_to(SERVICE)}:\n" + "\n".join(found)


def test_no_file_is_too_long() -> None:
    files = [*_modules(), *sorted((SERVICE / "tests").rglob("*.py"))]
    long = [f"{p.relative_to(SERVICE)}: {n} lines" for p in files if (n := len(p.read_text().splitlines())) > MAX_LINES]
    assert not long, f"files over {MAX_LINES} lines:\n" + "\n".join(long)


def test_the_patterns_catch_what_they_are_for() -> None:
    # A rule that cannot fail checks nothing: each pattern on a line it must catch.
    caught = [
        'session.scalar(text("UPDATE collections SET change_seq = 1"))',
        "INSERT INTO people (id) VALUES (%s)",
        "COPY (SELECT id FROM faces) TO STDOUT",
        'f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)"',
        "DELETE FROM face_tombstones",
        "await conn.execute(query)",
        "from sqlalchemy import delete, select",
        "ANALYZE people",
    ]
    assert all(any(p.search(line) for p in SQL) for line in caught)
    prose = ("The search scans every face exactly; a select few are kept.", "faces read by binary COPY for an index")
    assert not any(p.search(line) for p in SQL for line in prose)
    assert all(
        any(p.search(line) for p in CONNECTS)
        for line in ("create_async_engine(url)", "psycopg.connect(dsn)", "AsyncSession(bind=conn)")
    )
