"""Synthetic galleries for search speed and recall: random unit vectors written as a collection file.

Never used for accuracy claims (those use real photos). The vectors follow a decaying
variance spectrum rather than a uniform sphere, because real face embeddings concentrate
in fewer directions, which is harder for compressed indexes; probes are made at a chosen
cosine to one enrolled face, across the range real genuine pairs span.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Model:
    name: str
    version: str
    dimension: int


def unit_vectors(rng: np.random.Generator, count: int, dimension: int) -> Floats:
    spectrum = (1.0 / np.sqrt(1.0 + np.arange(dimension) / 20.0)).astype(np.float32)
    vectors = rng.standard_normal((count, dimension), dtype=np.float32) * spectrum
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def probes_near(rng: np.random.Generator, targets: Floats, similarities: npt.NDArray[np.float32]) -> Floats:
    """One probe per target at exactly the given cosine similarity to it."""
    noise = unit_vectors(rng, len(targets), targets.shape[1])
    noise -= (noise * targets).sum(axis=1, keepdims=True) * targets
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    s = similarities[:, None]
    probes: Floats = (s * targets + np.sqrt(1.0 - s * s) * noise).astype(np.float32)
    probes /= np.linalg.norm(probes, axis=1, keepdims=True)
    return probes


def header(model: Model, people: int, faces: int) -> bytes:
    value = {
        "format": "facerec.collection",
        "version": 1,
        "model": {"name": model.name, "version": model.version, "dimension": model.dimension},
        "people": people,
        "faces": faces,
    }
    return json.dumps(value).encode() + b"\n"


def collection_file(model: Model, vectors: Floats, faces_per_person: int, chunk_faces: int = 2_000) -> Iterator[bytes]:
    """The collection file of `vectors` (person i owns rows i*k .. i*k+k-1), in chunks of lines."""
    people = -(-len(vectors) // faces_per_person)
    person_ids = [uuid.uuid4() for _ in range(people)]
    yield header(model, people, len(vectors))
    for start in range(0, people, chunk_faces):
        yield b"".join(
            b'{"type":"person","id":"%s","name":"person %d"}\n' % (str(person_ids[i]).encode(), i)
            for i in range(start, min(people, start + chunk_faces))
        )
    raw = vectors.astype("<f4")
    for start in range(0, len(vectors), chunk_faces):
        yield b"".join(
            b'{"type":"face","id":"%s","person_id":"%s","embedding":"%s"}\n'
            % (
                str(uuid.uuid4()).encode(),
                str(person_ids[i // faces_per_person]).encode(),
                base64.b64encode(raw[i].tobytes()),
            )
            for i in range(start, min(len(vectors), start + chunk_faces))
        )
