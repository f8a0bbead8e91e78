"""The ArcFace models the product knows by checksum, and what was measured about each.

A model's identity is its name plus the first 12 hex digits of its file's
sha256 (`version`): vectors from different identities never compare.
`threshold` is the 1:1 cosine similarity calibrated on real genuine/impostor pairs
by `scripts/calibrate_threshold.py` (it also records the impostor tail that 1:N
thresholds follow, in calibration/<name>.json); see docs/threshold.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from facerec_common.open_set import ImpostorTail, calibration, tail_of


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

    @property
    def impostor_tail(self) -> ImpostorTail | None:
        """Measured by scripts/calibrate_threshold.py on this very file; None: not calibrated."""
        record = calibration(self.name)
        if record is None or not isinstance(record.get("model"), dict) or record["model"]["version"] != self.version:  # type: ignore[index]
            return None
        return tail_of(record)


MOBILEFACENET = KnownModel(
    name="w600k_mbf",
    filename="w600k_mbf.onnx",
    sha256="9cc6e4a75f0e2bf0b1aed94578f144d15175f357bdc05e815e5c4a02b319eb4f",
    size_bytes=13_616_099,
    # 1:1 at FMR 1e-4 on 9.5M crowd impostor pairs (calibration/w600k_mbf.json, which also holds
    # the impostor tail 1:N thresholds come from); FNMR 1.2 % on 3,581 genuine pairs.
    threshold=0.2835,
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
