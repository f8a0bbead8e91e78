from facerec.common.v1 import types_pb2 as _types_pb2
from facerec.registry.v1 import registry_pb2 as _registry_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DetectedFace(_message.Message):
    __slots__ = ("box", "landmarks", "detection_score")
    BOX_FIELD_NUMBER: _ClassVar[int]
    LANDMARKS_FIELD_NUMBER: _ClassVar[int]
    DETECTION_SCORE_FIELD_NUMBER: _ClassVar[int]
    box: _types_pb2.Box
    landmarks: _types_pb2.Landmarks
    detection_score: float
    def __init__(self, box: _Optional[_Union[_types_pb2.Box, _Mapping]] = ..., landmarks: _Optional[_Union[_types_pb2.Landmarks, _Mapping]] = ..., detection_score: _Optional[float] = ...) -> None: ...

class ReembedCollectionRequest(_message.Message):
    __slots__ = ("collection",)
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    collection: str
    def __init__(self, collection: _Optional[str] = ...) -> None: ...

class EnrollFaceRequest(_message.Message):
    __slots__ = ("collection", "person_id", "image", "face_index", "select_largest")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    FACE_INDEX_FIELD_NUMBER: _ClassVar[int]
    SELECT_LARGEST_FIELD_NUMBER: _ClassVar[int]
    collection: str
    person_id: str
    image: bytes
    face_index: int
    select_largest: bool
    def __init__(self, collection: _Optional[str] = ..., person_id: _Optional[str] = ..., image: _Optional[bytes] = ..., face_index: _Optional[int] = ..., select_largest: _Optional[bool] = ...) -> None: ...

class EnrollFaceResponse(_message.Message):
    __slots__ = ("face", "faces_in_photo", "possible_duplicate", "face_index", "choice_reason")
    FACE_FIELD_NUMBER: _ClassVar[int]
    FACES_IN_PHOTO_FIELD_NUMBER: _ClassVar[int]
    POSSIBLE_DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    FACE_INDEX_FIELD_NUMBER: _ClassVar[int]
    CHOICE_REASON_FIELD_NUMBER: _ClassVar[int]
    face: _registry_pb2.FaceRecord
    faces_in_photo: int
    possible_duplicate: _registry_pb2.Candidate
    face_index: int
    choice_reason: str
    def __init__(self, face: _Optional[_Union[_registry_pb2.FaceRecord, _Mapping]] = ..., faces_in_photo: _Optional[int] = ..., possible_duplicate: _Optional[_Union[_registry_pb2.Candidate, _Mapping]] = ..., face_index: _Optional[int] = ..., choice_reason: _Optional[str] = ...) -> None: ...

class IdentifyRequest(_message.Message):
    __slots__ = ("collection", "image", "top_k", "threshold", "max_faces", "exact", "target_fpir")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    MAX_FACES_FIELD_NUMBER: _ClassVar[int]
    EXACT_FIELD_NUMBER: _ClassVar[int]
    TARGET_FPIR_FIELD_NUMBER: _ClassVar[int]
    collection: str
    image: bytes
    top_k: int
    threshold: float
    max_faces: int
    exact: bool
    target_fpir: float
    def __init__(self, collection: _Optional[str] = ..., image: _Optional[bytes] = ..., top_k: _Optional[int] = ..., threshold: _Optional[float] = ..., max_faces: _Optional[int] = ..., exact: _Optional[bool] = ..., target_fpir: _Optional[float] = ...) -> None: ...

class IdentifiedFace(_message.Message):
    __slots__ = ("face", "match", "candidates")
    FACE_FIELD_NUMBER: _ClassVar[int]
    MATCH_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    face: DetectedFace
    match: bool
    candidates: _containers.RepeatedCompositeFieldContainer[_registry_pb2.Candidate]
    def __init__(self, face: _Optional[_Union[DetectedFace, _Mapping]] = ..., match: _Optional[bool] = ..., candidates: _Optional[_Iterable[_Union[_registry_pb2.Candidate, _Mapping]]] = ...) -> None: ...

class IdentifyResponse(_message.Message):
    __slots__ = ("faces", "threshold", "model", "search_method", "target_fpir", "threshold_basis")
    FACES_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SEARCH_METHOD_FIELD_NUMBER: _ClassVar[int]
    TARGET_FPIR_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_BASIS_FIELD_NUMBER: _ClassVar[int]
    faces: _containers.RepeatedCompositeFieldContainer[IdentifiedFace]
    threshold: float
    model: _types_pb2.ModelInfo
    search_method: str
    target_fpir: float
    threshold_basis: str
    def __init__(self, faces: _Optional[_Iterable[_Union[IdentifiedFace, _Mapping]]] = ..., threshold: _Optional[float] = ..., model: _Optional[_Union[_types_pb2.ModelInfo, _Mapping]] = ..., search_method: _Optional[str] = ..., target_fpir: _Optional[float] = ..., threshold_basis: _Optional[str] = ...) -> None: ...

class VerifyRequest(_message.Message):
    __slots__ = ("image_a", "image_b", "threshold")
    IMAGE_A_FIELD_NUMBER: _ClassVar[int]
    IMAGE_B_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    image_a: bytes
    image_b: bytes
    threshold: float
    def __init__(self, image_a: _Optional[bytes] = ..., image_b: _Optional[bytes] = ..., threshold: _Optional[float] = ...) -> None: ...

class VerifyResponse(_message.Message):
    __slots__ = ("similarity", "match", "threshold", "face_a", "face_b", "model")
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    MATCH_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    FACE_A_FIELD_NUMBER: _ClassVar[int]
    FACE_B_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    similarity: float
    match: bool
    threshold: float
    face_a: DetectedFace
    face_b: DetectedFace
    model: _types_pb2.ModelInfo
    def __init__(self, similarity: _Optional[float] = ..., match: _Optional[bool] = ..., threshold: _Optional[float] = ..., face_a: _Optional[_Union[DetectedFace, _Mapping]] = ..., face_b: _Optional[_Union[DetectedFace, _Mapping]] = ..., model: _Optional[_Union[_types_pb2.ModelInfo, _Mapping]] = ...) -> None: ...

class VerifyPersonRequest(_message.Message):
    __slots__ = ("collection", "person_id", "image", "threshold")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    collection: str
    person_id: str
    image: bytes
    threshold: float
    def __init__(self, collection: _Optional[str] = ..., person_id: _Optional[str] = ..., image: _Optional[bytes] = ..., threshold: _Optional[float] = ...) -> None: ...

class VerifyPersonResponse(_message.Message):
    __slots__ = ("match", "threshold", "best", "face", "model")
    MATCH_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    BEST_FIELD_NUMBER: _ClassVar[int]
    FACE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    match: bool
    threshold: float
    best: _registry_pb2.Candidate
    face: DetectedFace
    model: _types_pb2.ModelInfo
    def __init__(self, match: _Optional[bool] = ..., threshold: _Optional[float] = ..., best: _Optional[_Union[_registry_pb2.Candidate, _Mapping]] = ..., face: _Optional[_Union[DetectedFace, _Mapping]] = ..., model: _Optional[_Union[_types_pb2.ModelInfo, _Mapping]] = ...) -> None: ...

class DetectRequest(_message.Message):
    __slots__ = ("image", "max_faces")
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    MAX_FACES_FIELD_NUMBER: _ClassVar[int]
    image: bytes
    max_faces: int
    def __init__(self, image: _Optional[bytes] = ..., max_faces: _Optional[int] = ...) -> None: ...

class DetectResponse(_message.Message):
    __slots__ = ("faces", "image_width", "image_height")
    FACES_FIELD_NUMBER: _ClassVar[int]
    IMAGE_WIDTH_FIELD_NUMBER: _ClassVar[int]
    IMAGE_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    faces: _containers.RepeatedCompositeFieldContainer[DetectedFace]
    image_width: int
    image_height: int
    def __init__(self, faces: _Optional[_Iterable[_Union[DetectedFace, _Mapping]]] = ..., image_width: _Optional[int] = ..., image_height: _Optional[int] = ...) -> None: ...

class SearchRequest(_message.Message):
    __slots__ = ("collection", "embedding", "top_k", "threshold", "target_fpir")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    TARGET_FPIR_FIELD_NUMBER: _ClassVar[int]
    collection: str
    embedding: _containers.RepeatedScalarFieldContainer[float]
    top_k: int
    threshold: float
    target_fpir: float
    def __init__(self, collection: _Optional[str] = ..., embedding: _Optional[_Iterable[float]] = ..., top_k: _Optional[int] = ..., threshold: _Optional[float] = ..., target_fpir: _Optional[float] = ...) -> None: ...

class SearchResponse(_message.Message):
    __slots__ = ("match", "threshold", "candidates", "model", "target_fpir", "threshold_basis")
    MATCH_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    TARGET_FPIR_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_BASIS_FIELD_NUMBER: _ClassVar[int]
    match: bool
    threshold: float
    candidates: _containers.RepeatedCompositeFieldContainer[_registry_pb2.Candidate]
    model: _types_pb2.ModelInfo
    target_fpir: float
    threshold_basis: str
    def __init__(self, match: _Optional[bool] = ..., threshold: _Optional[float] = ..., candidates: _Optional[_Iterable[_Union[_registry_pb2.Candidate, _Mapping]]] = ..., model: _Optional[_Union[_types_pb2.ModelInfo, _Mapping]] = ..., target_fpir: _Optional[float] = ..., threshold_basis: _Optional[str] = ...) -> None: ...
