from __future__ import annotations

import importlib.util
import os
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from facerec_common.settings import GrpcServiceSettings


class DetectorSettings(GrpcServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FACEREC_DETECTOR_")

    port: int = 50051
    metrics_port: int = 9101
    runtime: Literal["onnx", "tensorflow"] = Field(
        "onnx", description="Runs MTCNN's networks: ONNX Runtime (fast, light) or the mtcnn package on TensorFlow."
    )
    workers: int = Field(
        0, ge=0, le=64, description="Concurrent detections; 0: one per CPU core (onnx), 1 (tensorflow threads itself)."
    )
    threads: int = Field(1, ge=1, le=64, description="ONNX Runtime threads within one detection.")
    min_face_size: float = Field(20.0, ge=12.0, description="Smallest face side reported, source pixels.")
    min_score: float = Field(
        0.8, ge=0.0, le=1.0, description="Smallest MTCNN confidence reported; enrolment asks for more."
    )
    max_faces: int = Field(0, ge=0, description="Faces returned per image, largest first; 0: all.")
    max_pixels: int = Field(40_000_000, ge=1, description="Refuse images above this many pixels before decoding.")
    detect_max_side: int = Field(
        1280,
        ge=64,
        le=16_384,
        description="Images are downscaled to this longest side for detection; crops use full resolution.",
    )
    thumbnail_side: int = Field(160, ge=32, le=1024, description="Longest side of display thumbnails.")
    decode_max_side: int = Field(
        4096,
        ge=0,
        description="Larger images are decoded reduced to this longest side (JPEG by its codec, others scaled "
        "right after decoding); faces are still reported in full-size pixels. 0: always full size.",
    )
    pixel_budget: int = Field(
        48_000_000,
        ge=1,
        description="Pixels of the images being decoded and detected at once (their full size); an image that "
        "does not fit waits up to pixel_budget_wait_s, then is refused OVERLOADED. Bounds the replica's memory.",
    )
    pixel_budget_wait_s: float = Field(2.0, ge=0, description="How long an image waits for room in the budget.")

    @model_validator(mode="after")
    def _budget_takes_the_largest_image(self) -> DetectorSettings:
        if self.pixel_budget < self.max_pixels:
            raise ValueError(f"pixel_budget ({self.pixel_budget}) must be at least max_pixels ({self.max_pixels})")
        return self

    @field_validator("runtime")
    @classmethod
    def _runtime_installed(cls, runtime: str) -> str:
        if runtime == "tensorflow" and importlib.util.find_spec("tensorflow") is None:
            raise ValueError(
                "the tensorflow runtime needs TensorFlow, which this install lacks: "
                "pip install 'facerec-detector[tensorflow]' (images: --build-arg WITH_TENSORFLOW=true)"
            )
        return runtime

    @property
    def concurrency(self) -> int:
        if self.workers:
            return self.workers
        return 1 if self.runtime == "tensorflow" else max(1, len(os.sched_getaffinity(0)))
