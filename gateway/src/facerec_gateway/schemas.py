"""Response bodies of the seed API, field for field what its clients already parse."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Message(BaseModel):
    message: str = Field(examples=["Face registered successfully"])


class RecognitionResult(BaseModel):
    match: bool = Field(description="True when the best similarity reaches the threshold.")
    name: str | None = Field(description="Name of the matched person; null when no match.", examples=["Rangga2"])
    id_face: str | None = Field(description="Id of the matched face; null when no match.")
    score: float = Field(
        description="Cosine similarity to the most similar enrolled face, 4 decimals; 0.0 when none is enrolled.",
        examples=[0.7245],
    )


class StoredFace(BaseModel):
    id_face: str
    name: str
    image: str = Field(description="Base64 JPEG of the face, for display only.")


class ErrorBody(BaseModel):
    code: str = Field(examples=["NO_FACE"])
    message: str
    details: dict[str, str] | None = Field(
        None, description="Machine-readable context, e.g. the failed quality checks."
    )


class ErrorResponse(BaseModel):
    detail: str
    error: ErrorBody
