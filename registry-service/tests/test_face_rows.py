"""The search index's COPY parser on real PostgreSQL output, fed in chunks that split rows."""

from __future__ import annotations

import numpy as np
import psycopg
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from facerec_registry.face_arrays import UUIDS
from facerec_registry.store import face_rows
from facerec_registry.store.connection import conninfo
from facerec_registry.store.face_rows import CopyParser

DIM = 8
ROWS = (
    "SELECT gen_random_uuid() AS id, gen_random_uuid() AS person_id, "
    "array_fill(i::real / 1000, ARRAY[8])::vector AS embedding FROM generate_series(1, 700) i"
)


def _copied(database_url: str) -> tuple[bytes, list[tuple[object, ...]]]:
    with psycopg.connect(database_url.replace("+psycopg", "")) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute(f"CREATE TEMP TABLE copied AS {ROWS}")
        expected = conn.execute("SELECT id, person_id, embedding::text FROM copied").fetchall()
        data = bytearray()
        with conn.cursor() as cursor, cursor.copy("COPY copied TO STDOUT (FORMAT BINARY)") as copy:
            while chunk := copy.read():
                data += chunk
    return bytes(data), expected


@pytest.mark.parametrize("chunk", [1, 997, 1 << 20])
def test_rows_come_out_whole_however_the_copy_is_cut(
    chunk: int, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(face_rows, "PARSE_BLOCK_BYTES", 5000)  # several blocks, rows split across them
    data, expected = _copied(database_url)
    parser = CopyParser(len(expected), DIM)
    for start in range(0, len(data), chunk):
        parser.feed(data[start : start + chunk])
    rows = parser.rows()
    assert [e[0].bytes for e in expected] == [f.tobytes() for f in rows.face_ids]  # type: ignore[attr-defined]
    assert [e[1].bytes for e in expected] == [p.tobytes() for p in rows.person_ids]  # type: ignore[attr-defined]
    want = np.array([[float(x) for x in str(e[2]).strip("[]").split(",")] for e in expected], np.float32)
    np.testing.assert_array_equal(rows.vectors, want)


def test_a_copy_cut_short_is_refused(database_url: str) -> None:
    data, expected = _copied(database_url)
    parser = CopyParser(len(expected), DIM)
    parser.feed(data[: len(data) // 2])
    with pytest.raises(RuntimeError, match="COPY returned"):
        parser.rows()


def test_full_loads_connect_as_the_engine_does() -> None:
    url = "postgresql+psycopg://facerec:p%20w%40x@db1:5432/facerec?host=db1:5432&host=db2:5433&sslmode=require"
    params = psycopg.conninfo.conninfo_to_dict(conninfo(create_async_engine(url)))
    assert params == {
        "user": "facerec",
        "password": "p w@x",
        "host": "db1,db2",
        "port": "5432,5433",
        "dbname": "facerec",
        "sslmode": "require",
        "connect_timeout": "10",
    }


def test_a_load_keeps_the_names_of_its_faces_people_only() -> None:
    rng = np.random.default_rng(3)
    people = np.frombuffer(rng.bytes(16 * 1000), dtype=UUIDS)
    # Ids that share their first half (time-ordered UUIDs made in one millisecond look alike).
    twins = np.frombuffer(b"".join(b"\x01" * 8 + rng.bytes(8) for _ in range(100)), dtype=UUIDS)
    everyone = np.concatenate([people, twins])
    names = {p.tobytes(): f"person {i}" for i, p in enumerate(everyone)}
    with_faces = everyone[rng.random(len(everyone)) < 0.7]
    kept = face_rows.names_of(names, np.repeat(with_faces, 2))
    assert kept == {p.tobytes(): names[p.tobytes()] for p in with_faces}
    assert face_rows.names_of(names, everyone) is names  # nobody to drop: no copy
    assert face_rows.names_of(names, everyone[:0]) == {}
    assert face_rows.names_of({}, with_faces) == {}
