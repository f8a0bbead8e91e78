"""Request and response bodies of the v1 REST API (separate from the protobuf messages)."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field

from facerec_common.names import COLLECTION_NAME_ANCHORED
from facerec_common.text import MAX_METADATA_BYTES, MAX_NAME_CHARS, text_problem

MAX_METADATA_DEPTH = 8


def _valid_text(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise ValueError(f"text {problem}")
    return value


def _check_json(value: Any, depth: int) -> None:
    if depth > MAX_METADATA_DEPTH:
        raise ValueError(f"metadata nests deeper than {MAX_METADATA_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            _valid_text(key)
            _check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1)
    elif isinstance(value, str):
        _valid_text(value)
    elif (
        isinstance(value, float | int)
        and not isinstance(value, bool)
        # Stored as a double: NaN, infinities and integers beyond 2^53 would not come back as sent.
        and ((isinstance(value, float) and not math.isfinite(value)) or abs(value) > 2**53)
    ):
        raise ValueError("metadata numbers must be finite and within +-2^53")


def _valid_metadata(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is not None:
        _check_json(value, 0)
        if len(json.dumps(value)) > MAX_METADATA_BYTES:
            raise ValueError(f"metadata is larger than {MAX_METADATA_BYTES // 1024} KiB")
    return value


Text = Annotated[str, AfterValidator(_valid_text)]
Metadata = Annotated[dict[str, Any] | None, AfterValidator(_valid_metadata)]

CollectionName = Annotated[str, Field(pattern=COLLECTION_NAME_ANCHORED, examples=["staff"])]
Similarity = Annotated[float, Field(ge=-1.0, le=1.0, description="Cosine similarity, 4 decimals.", examples=[0.7245])]


class Model(BaseModel):
    """The embedding model that produced a vector or a score."""

    name: str = Field(examples=["w600k_mbf"])
    version: str = Field(description="First 12 hex digits of the model file's sha256.", examples=["9cc6e4a75f0e"])


class Box(BaseModel):
    x: float
    y: float
    width: float
    height: float


class Point(BaseModel):
    x: float
    y: float


class Landmarks(BaseModel):
    left_eye: Point
    right_eye: Point
    nose: Point
    mouth_left: Point
    mouth_right: Point


class DetectedFace(BaseModel):
    box: Box
    landmarks: Landmarks
    detection_score: float = Field(examples=[0.998])


# -- collections


TargetFpir = Annotated[
    float,
    Field(
        ge=1e-9,
        le=0.5,
        description="Share of strangers (people not enrolled) an identify may match to someone, e.g. 0.003. "
        "The 1:N threshold is derived from it and the collection's size.",
    ),
]


class CollectionCreate(BaseModel):
    name: CollectionName
    target_fpir: TargetFpir | None = Field(None, description="Unset: the service's default (0.003).")


class CollectionUpdate(BaseModel):
    target_fpir: TargetFpir | None = Field(description="null: back to the service's default.")


class Collection(BaseModel):
    name: str
    people_count: int
    face_count: int
    model: Model | None = Field(description="Model of the stored embeddings; null until the first face.")
    created_at: datetime
    target_fpir: float | None = Field(description="The collection's own target FPIR; null: the service's default.")


class CollectionList(BaseModel):
    collections: list[Collection]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


# -- people


class PersonCreate(BaseModel):
    name: Text = Field(min_length=1, max_length=MAX_NAME_CHARS, examples=["Ada Lovelace"])
    external_id: Text | None = Field(None, max_length=MAX_NAME_CHARS, description="Your id; unique in the collection.")
    metadata: Metadata = Field(None, examples=[{"department": "R&D"}], description="Any JSON object up to 16 KiB.")


class PersonUpdate(BaseModel):
    name: Text | None = Field(None, min_length=1, max_length=MAX_NAME_CHARS)
    external_id: Text | None = Field(None, max_length=MAX_NAME_CHARS, description="Empty string clears it.")
    metadata: Metadata = Field(None, description="Merged into the stored metadata, key by key.")


class Person(BaseModel):
    person_id: str
    name: str
    external_id: str | None
    metadata: dict[str, Any]
    face_count: int
    created_at: datetime


class PeoplePage(BaseModel):
    people: list[Person]
    next_cursor: str | None


# -- faces


class Face(BaseModel):
    face_id: str
    person_id: str
    name: str
    box: Box
    detection_score: float
    model: Model
    created_at: datetime


class EnrolWarning(BaseModel):
    code: str = Field(examples=["POSSIBLE_DUPLICATE"])
    message: str
    person_id: str | None = None
    name: str | None = None
    similarity: float | None = None


class EnrolledFace(BaseModel):
    face_id: str
    person_id: str
    box: Box
    detection_score: float
    faces_in_photo: int = Field(description="Faces the detector found in the photo.")
    face_index: int = Field(description="Which of them was enrolled (0 = largest).")
    choice_reason: str = Field(
        description="Why that face was taken: your choice, the match with the person's faces, or the photo's subject.",
        examples=["most likely subject of 2 faces (inside the frame, size, centre, pose)"],
    )
    model: Model
    warnings: list[EnrolWarning] = Field(description="Enrolled, but worth a look (e.g. POSSIBLE_DUPLICATE).")


class FacesPage(BaseModel):
    faces: list[Face]
    next_cursor: str | None


class FacesDelete(BaseModel):
    face_ids: list[Annotated[Text, Field(max_length=64)]] = Field(min_length=1, max_length=1000)


class FacesDeleted(BaseModel):
    deleted: list[str]
    not_found: list[str]


# -- recognition


class Candidate(BaseModel):
    person_id: str
    name: str
    similarity: Similarity
    face_id: str = Field(description="The person's most similar face.")


class IdentifiedFace(DetectedFace):
    match: bool = Field(description="The best candidate reaches the threshold; false means unknown.")
    candidates: list[Candidate] = Field(description="Best first, one per person.")


SearchMethod = Literal["index", "exact"]
SEARCH_METHOD = "index: candidates from the search index, re-ranked exactly; exact: every face compared."


ThresholdBasis = Literal["open_set", "one_to_one", "request"]
THRESHOLD_BASIS = (
    "open_set: derived from target_fpir and the collection's size; one_to_one: the model's 1:1 "
    "operating point (no measured impostor tail, or a small gallery); request: the threshold you sent."
)


class Identification(BaseModel):
    faces: list[IdentifiedFace] = Field(description="Every face found, largest first.")
    threshold: float
    target_fpir: float | None = Field(description="The target the threshold was derived from (open_set).")
    threshold_basis: ThresholdBasis = Field(description=THRESHOLD_BASIS)
    model: Model
    search_method: SearchMethod = Field(description=SEARCH_METHOD)


class Verification(BaseModel):
    similarity: Similarity
    match: bool
    threshold: float
    face_a: DetectedFace
    face_b: DetectedFace
    model: Model


class PersonVerification(BaseModel):
    person_id: str
    similarity: Similarity | None = Field(description="Against the person's most similar face; null if they have none.")
    match: bool
    threshold: float
    face_id: str | None = Field(description="The person's face that matched best.")
    face: DetectedFace
    model: Model


class Quality(BaseModel):
    inter_eye_px: float = Field(description="Distance between the eye centres, pixels.")
    yaw_deg: float = Field(description="Head turn left/right (estimate from landmarks), 0 = facing the camera.")
    pitch_deg: float = Field(description="Head tilt up/down (estimate).")
    roll_deg: float = Field(description="In-plane rotation of the eye line.")
    sharpness: float = Field(description="Variance of the Laplacian of the aligned face; low = blurred.")
    brightness: float = Field(description="Mean grey level of the aligned face, 0..255.")
    enrollable: bool = Field(description="Passes every enrolment check.")
    problems: list[str] = Field(description="Failed checks, e.g. BLURRY, TOO_DARK, FACE_TOO_SMALL.")


class QualifiedFace(DetectedFace):
    quality: Quality


class Detection(BaseModel):
    faces: list[QualifiedFace]
    image_width: int
    image_height: int


class EmbeddedFace(QualifiedFace):
    embedding: list[float] = Field(description="L2-normalised.")


class Embeddings(BaseModel):
    faces: list[EmbeddedFace]
    model: Model


class SearchRequest(BaseModel):
    embedding: list[float] = Field(min_length=1, max_length=4096, description="From POST /api/v1/embed (same model).")
    top_k: int = Field(1, ge=1, le=100)
    threshold: float | None = Field(None, ge=-1.0, le=1.0)
    target_fpir: TargetFpir | None = Field(None, description="Unset: the collection's target.")
    exact: bool = Field(False, description="Compare with every face instead of using the search index (audits).")


class SearchResult(BaseModel):
    match: bool
    threshold: float
    target_fpir: float | None = Field(description="The target the threshold was derived from (open_set).")
    threshold_basis: ThresholdBasis = Field(description=THRESHOLD_BASIS)
    candidates: list[Candidate]
    model: Model
    search_method: SearchMethod = Field(description=SEARCH_METHOD)


class ImportResult(BaseModel):
    collection: Collection
    people_imported: int
    faces_imported: int
    replayed: bool = Field(
        False,
        description="The answer of an earlier import with the same Idempotency-Key: nothing was imported now.",
    )
