"""The product's use cases, independent of any API shape: the seed routes, the v1 REST routes
and the public gRPC FaceService all call them, so each flow exists once.

- `steps`: one call to each service (deadline, error translation), the model cache, face choice
- `recognition`: recognise, identify, verify, verify a person, embed a photo, search by vector
- `enrolment`: enrol by name (seed) or to a person (v1), list and delete the seed's faces
- `transfer`: export and import collection files, re-embed a collection
- `results`: what they answer (internal protobuf messages, gathered per question)
"""

from __future__ import annotations

from facerec_gateway.backends import Backends
from facerec_gateway.use_cases.enrolment import EnrolmentCases
from facerec_gateway.use_cases.recognition import RecognitionCases
from facerec_gateway.use_cases.steps import Steps
from facerec_gateway.use_cases.transfer import TransferCases


class FaceService:
    """Every use case over one set of backends; what the APIs depend on."""

    def __init__(self, backends: Backends) -> None:
        self.backends = backends
        self.steps = Steps(backends)
        self.registry = self.steps.registry  # the plain registry calls the APIs make themselves
        self.recognition = RecognitionCases(self.steps)
        self.enrolment = EnrolmentCases(self.steps)
        self.transfer = TransferCases(self.steps)
