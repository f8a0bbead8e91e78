"""The ArcFace models the product knows by checksum, and what was measured about each.

A model's identity is its name plus the first 12 hex digits of its file's
sha256 (`version`): vectors from different identities never compare.
`threshold` is the cosine similarity calibrated on real genuine/impostor pairs
by `scripts/calibrate_threshold.py`; see docs/threshold.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KnownModel:
    name: str
    filename: str
    sha256: str
    size_bytes: int
    threshold: float | None
    licence: str

    @property
    def version(self) -> str:
        return self.sha256[:12]


MOBILEFACENET = KnownModel(
    name="w600k_mbf",
    filename="w600k_mbf.onnx",
    sha256="9cc6e4a75f0e2bf0b1aed94578f144d15175f357bdc05e815e5c4a02b319eb4f",
    size_bytes=13_616_099,
    # docs/calibration/w600k_mbf.json: FMR 9.3e-5 on 32,191 impostor pairs, FNMR 1.8 %.
    threshold=0.29,
    licence="InsightFace pretrained weights: non-commercial research use only",
)

R100 = KnownModel(
    name="glintr100",
    filename="glintr100.onnx",
    sha256="",
    size_bytes=0,
    threshold=None,
    licence="InsightFace pretrained weights: non-commercial research use only",
)

KNOWN_MODELS = (MOBILEFACENET, R100)


def known_by_version(version: str) -> KnownModel | None:
    return next((m for m in KNOWN_MODELS if m.sha256 and m.version == version), None)
