"""The detect -> align -> embed pipeline called in one process, without gRPC or HTTP.

For calibration and for benchmarks that compare it with the served API. It
uses the services' own classes, so both paths compute the same vectors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from facerec_common.errors import NoFace
from facerec_detector.pipeline import FacePipeline
from facerec_detector.settings import DetectorSettings
from facerec_embedder.arcface import ArcFaceModel, Runtime


class InProcessPipeline:
    def __init__(self, model_path: Path, threads: int = 0) -> None:
        settings = DetectorSettings()
        self.detector = FacePipeline(settings)
        self.detector.warm_up()
        self.model = ArcFaceModel(
            model_path, ["CPUExecutionProvider"], max_batch=64, runtime=Runtime(intra_op_threads=threads)
        )
        self._options = self.detector.resolve(0, 0, 1, include_thumbnails=False)
        self.all_faces = self.detector.resolve(0, 0, 0, include_thumbnails=False)

    def embed_largest_face(self, image: bytes) -> npt.NDArray[np.float32]:
        detection = self.detector.run(image, self._options)
        if not detection.faces:
            raise NoFace()
        vectors = self.model.embed(detection.faces[0].aligned[None])
        first: npt.NDArray[np.float32] = vectors[0]
        return first
