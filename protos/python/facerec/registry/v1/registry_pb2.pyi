import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from facerec.common.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FaceRecord(_message.Message):
    __slots__ = ("face_id", "person_id", "person_name", "collection", "model", "box", "detection_score", "created_at", "display_image")
    FACE_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_NAME_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    BOX_FIELD_NUMBER: _ClassVar[int]
    DETECTION_SCORE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_IMAGE_FIELD_NUMBER: _ClassVar[int]
    face_id: str
    person_id: str
    person_name: str
    collection: str
    model: _types_pb2.ModelInfo
    box: _types_pb2.Box
    detection_score: float
    created_at: _timestamp_pb2.Timestamp
    display_image: bytes
    def __init__(self, face_id: _Optional[str] = ..., person_id: _Optional[str] = ..., person_name: _Optional[str] = ..., collection: _Optional[str] = ..., model: _Optional[_Union[_types_pb2.ModelInfo, _Mapping]] = ..., box: _Optional[_Union[_types_pb2.Box, _Mapping]] = ..., detection_score: _Optional[float] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., display_image: _Optional[bytes] = ...) -> None: ...

class EnrollFaceRequest(_message.Message):
    __slots__ = ("collection", "person_name", "embedding", "model", "box", "detection_score", "display_image", "aligned")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    PERSON_NAME_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    BOX_FIELD_NUMBER: _ClassVar[int]
    DETECTION_SCORE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_IMAGE_FIELD_NUMBER: _ClassVar[int]
    ALIGNED_FIELD_NUMBER: _ClassVar[int]
    collection: str
    person_name: str
    embedding: _containers.RepeatedScalarFieldContainer[float]
    model: _types_pb2.ModelInfo
    box: _types_pb2.Box
    detection_score: float
    display_image: bytes
    aligned: _types_pb2.RgbImage
    def __init__(self, collection: _Optional[str] = ..., person_name: _Optional[str] = ..., embedding: _Optional[_Iterable[float]] = ..., model: _Optional[_Union[_types_pb2.ModelInfo, _Mapping]] = ..., box: _Optional[_Union[_types_pb2.Box, _Mapping]] = ..., detection_score: _Optional[float] = ..., display_image: _Optional[bytes] = ..., aligned: _Optional[_Union[_types_pb2.RgbImage, _Mapping]] = ...) -> None: ...

class EnrollFaceResponse(_message.Message):
    __slots__ = ("face",)
    FACE_FIELD_NUMBER: _ClassVar[int]
    face: FaceRecord
    def __init__(self, face: _Optional[_Union[FaceRecord, _Mapping]] = ...) -> None: ...

class MatchFaceRequest(_message.Message):
    __slots__ = ("collection", "embedding", "model", "top_k", "threshold")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    collection: str
    embedding: _containers.RepeatedScalarFieldContainer[float]
    model: _types_pb2.ModelInfo
    top_k: int
    threshold: float
    def __init__(self, collection: _Optional[str] = ..., embedding: _Optional[_Iterable[float]] = ..., model: _Optional[_Union[_types_pb2.ModelInfo, _Mapping]] = ..., top_k: _Optional[int] = ..., threshold: _Optional[float] = ...) -> None: ...

class Candidate(_message.Message):
    __slots__ = ("face_id", "person_id", "person_name", "similarity")
    FACE_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_NAME_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    face_id: str
    person_id: str
    person_name: str
    similarity: float
    def __init__(self, face_id: _Optional[str] = ..., person_id: _Optional[str] = ..., person_name: _Optional[str] = ..., similarity: _Optional[float] = ...) -> None: ...

class MatchFaceResponse(_message.Message):
    __slots__ = ("candidates", "match", "threshold")
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    MATCH_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    candidates: _containers.RepeatedCompositeFieldContainer[Candidate]
    match: bool
    threshold: float
    def __init__(self, candidates: _Optional[_Iterable[_Union[Candidate, _Mapping]]] = ..., match: _Optional[bool] = ..., threshold: _Optional[float] = ...) -> None: ...

class ListFacesRequest(_message.Message):
    __slots__ = ("collection", "page_size", "page_token", "include_images")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_IMAGES_FIELD_NUMBER: _ClassVar[int]
    collection: str
    page_size: int
    page_token: str
    include_images: bool
    def __init__(self, collection: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., include_images: _Optional[bool] = ...) -> None: ...

class ListFacesResponse(_message.Message):
    __slots__ = ("faces", "next_page_token")
    FACES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    faces: _containers.RepeatedCompositeFieldContainer[FaceRecord]
    next_page_token: str
    def __init__(self, faces: _Optional[_Iterable[_Union[FaceRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteFaceRequest(_message.Message):
    __slots__ = ("collection", "face_id")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    FACE_ID_FIELD_NUMBER: _ClassVar[int]
    collection: str
    face_id: str
    def __init__(self, collection: _Optional[str] = ..., face_id: _Optional[str] = ...) -> None: ...

class DeleteFaceResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
