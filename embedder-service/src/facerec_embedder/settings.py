from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from facerec_common.settings import GrpcServiceSettings
from facerec_embedder.arcface import Runtime


class EmbedderSettings(GrpcServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FACEREC_EMBEDDER_")

    port: int = 50052
    metrics_port: int = 9102
    model_path: Path = Field(Path("models/w600k_mbf.onnx"), description="Any ArcFace ONNX file (112x112 input).")
    providers: list[str] = Field(
        ["CUDAExecutionProvider", "CPUExecutionProvider"],
        description="ONNX Runtime providers in order of preference; unavailable ones are skipped.",
    )
    max_batch: int = Field(64, ge=1, le=4096, description="Largest batch run through the model at once.")
    max_faces_per_request: int = Field(256, ge=1, description="Crops accepted in one Embed call.")
    intra_op_threads: int = Field(
        0, ge=0, description="ONNX Runtime CPU threads per model run; 0: the cores shared among `workers` runs."
    )
    batching: bool = Field(True, description="Gather concurrent Embed calls into one model run.")
    batch_faces: int = Field(
        0,
        ge=0,
        le=4096,
        description="Faces one gathered run takes; 0: 4 on CPU (larger batches only add waiting there), "
        "max_batch on a GPU.",
    )
    batch_wait_ms: float = Field(
        0.0, ge=0, le=100, description="How long a free model waits for a fuller batch (a few ms on a GPU; 0 on CPU)."
    )
    max_queued_faces: int = Field(1024, ge=1, description="Faces waiting beyond this: RESOURCE_EXHAUSTED (503).")
    fp16: bool = Field(
        True,
        description="Half precision where the provider allows: TensorRT builds fp16 engines, CUDA runs an fp16 "
        "copy of the model; the CPU stays fp32.",
    )
    spin_wait: bool = Field(
        False, description="Let ONNX Runtime's CPU threads busy-wait for work (only worth it on cores of its own)."
    )
    trt_cache_dir: Path = Field(Path(".cache/tensorrt"), description="Where TensorRT keeps its built engines.")

    @property
    def runtime(self) -> Runtime:
        return Runtime(
            fp16=self.fp16,
            # Concurrent runs each with every core oversubscribe a CPU (make bench: p95 -10 %).
            intra_op_threads=self.intra_op_threads or max(1, len(os.sched_getaffinity(0)) // self.workers),
            spin_wait=self.spin_wait,
            trt_cache_dir=self.trt_cache_dir,
        )

    @field_validator("model_path")
    @classmethod
    def _model_exists(cls, path: Path) -> Path:
        if not path.is_file():
            raise ValueError(f"model file {path} does not exist; run `make models` or set FACEREC_EMBEDDER_MODEL_PATH")
        return path
