import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from facerec.common.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ApiKey(_message.Message):
    __slots__ = ("key_id", "name", "scope", "collections", "prefix", "created_at", "revoked_at")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    COLLECTIONS_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    name: str
    scope: str
    collections: _containers.RepeatedScalarFieldContainer[str]
    prefix: str
    created_at: _timestamp_pb2.Timestamp
    revoked_at: _timestamp_pb2.Timestamp
    def __init__(self, key_id: _Optional[str] = ..., name: _Optional[str] = ..., scope: _Optional[str] = ..., collections: _Optional[_Iterable[str]] = ..., prefix: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateApiKeyRequest(_message.Message):
    __slots__ = ("name", "scope", "collections", "key_sha256", "prefix")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    COLLECTIONS_FIELD_NUMBER: _ClassVar[int]
    KEY_SHA256_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    name: str
    scope: str
    collections: _containers.RepeatedScalarFieldContainer[str]
    key_sha256: str
    prefix: str
    def __init__(self, name: _Optional[str] = ..., scope: _Optional[str] = ..., collections: _Optional[_Iterable[str]] = ..., key_sha256: _Optional[str] = ..., prefix: _Optional[str] = ...) -> None: ...

class ListApiKeysRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListApiKeysResponse(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[ApiKey]
    def __init__(self, keys: _Optional[_Iterable[_Union[ApiKey, _Mapping]]] = ...) -> None: ...

class RevokeApiKeyRequest(_message.Message):
    __slots__ = ("key_id",)
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    def __init__(self, key_id: _Optional[str] = ...) -> None: ...

class GetApiKeyByHashRequest(_message.Message):
    __slots__ = ("key_sha256",)
    KEY_SHA256_FIELD_NUMBER: _ClassVar[int]
    key_sha256: str
    def __init__(self, key_sha256: _Optional[str] = ...) -> None: ...

class AuditEvent(_message.Message):
    __slots__ = ("event_id", "at", "actor", "action", "collection", "targets")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    event_id: int
    at: _timestamp_pb2.Timestamp
    actor: str
    action: str
    collection: str
    targets: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, event_id: _Optional[int] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[str] = ..., action: _Optional[str] = ..., collection: _Optional[str] = ..., targets: _Optional[_Iterable[str]] = ...) -> None: ...

class ListAuditEventsRequest(_message.Message):
    __slots__ = ("collection", "page_size", "before_event_id")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    BEFORE_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    collection: str
    page_size: int
    before_event_id: int
    def __init__(self, collection: _Optional[str] = ..., page_size: _Optional[int] = ..., before_event_id: _Optional[int] = ...) -> None: ...

class ListAuditEventsResponse(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[AuditEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[AuditEvent, _Mapping]]] = ...) -> None: ...

class Collection(_message.Message):
    __slots__ = ("name", "model", "people_count", "face_count", "created_at", "target_fpir")
    NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PEOPLE_COUNT_FIELD_NUMBER: _ClassVar[int]
    FACE_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    TARGET_FPIR_FIELD_NUMBER: _ClassVar[int]
    name: str
    model: _types_pb2.ModelInfo
    people_count: int
    face_count: int
    created_at: _timestamp_pb2.Timestamp
    target_fpir: float
    def __init__(self, name: _Optional[str] = ..., model: _Optional[_Union[_types_pb2.ModelInfo, _Mapping]] = ..., people_count: _Optional[int] = ..., face_count: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., target_fpir: _Optional[float] = ...) -> None: ...

class CreateCollectionRequest(_message.Message):
    __slots__ = ("name", "target_fpir")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TARGET_FPIR_FIELD_NUMBER: _ClassVar[int]
    name: str
    target_fpir: float
    def __init__(self, name: _Optional[str] = ..., target_fpir: _Optional[float] = ...) -> None: ...

class UpdateCollectionRequest(_message.Message):
    __slots__ = ("name", "target_fpir", "clear_target_fpir")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TARGET_FPIR_FIELD_NUMBER: _ClassVar[int]
    CLEAR_TARGET_FPIR_FIELD_NUMBER: _ClassVar[int]
    name: str
    target_fpir: float
    clear_target_fpir: bool
    def __init__(self, name: _Optional[str] = ..., target_fpir: _Optional[float] = ..., clear_target_fpir: _Optional[bool] = ...) -> None: ...

class GetCollectionRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListCollectionsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCollectionsResponse(_message.Message):
    __slots__ = ("collections", "next_page_token")
    COLLECTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    collections: _containers.RepeatedCompositeFieldContainer[Collection]
    next_page_token: str
    def __init__(self, collections: _Optional[_Iterable[_Union[Collection, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteCollectionRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteCollectionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Person(_message.Message):
    __slots__ = ("person_id", "collection", "name", "external_id", "metadata", "face_count", "created_at")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    FACE_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    collection: str
    name: str
    external_id: str
    metadata: _struct_pb2.Struct
    face_count: int
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, person_id: _Optional[str] = ..., collection: _Optional[str] = ..., name: _Optional[str] = ..., external_id: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., face_count: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreatePersonRequest(_message.Message):
    __slots__ = ("collection", "name", "external_id", "metadata")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    collection: str
    name: str
    external_id: str
    metadata: _struct_pb2.Struct
    def __init__(self, collection: _Optional[str] = ..., name: _Optional[str] = ..., external_id: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class GetPersonRequest(_message.Message):
    __slots__ = ("collection", "person_id")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    collection: str
    person_id: str
    def __init__(self, collection: _Optional[str] = ..., person_id: _Optional[str] = ...) -> None: ...

class ListPeopleRequest(_message.Message):
    __slots__ = ("collection", "page_size", "page_token")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    collection: str
    page_size: int
    page_token: str
    def __init__(self, collection: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPeopleResponse(_message.Message):
    __slots__ = ("people", "next_page_token")
    PEOPLE_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    people: _containers.RepeatedCompositeFieldContainer[Person]
    next_page_token: str
    def __init__(self, people: _Optional[_Iterable[_Union[Person, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdatePersonRequest(_message.Message):
    __slots__ = ("collection", "person_id", "name", "external_id", "metadata", "replace_metadata")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    REPLACE_METADATA_FIELD_NUMBER: _ClassVar[int]
    collection: str
    person_id: str
    name: str
    external_id: str
    metadata: _struct_pb2.Struct
    replace_metadata: bool
    def __init__(self, collection: _Optional[str] = ..., person_id: _Optional[str] = ..., name: _Optional[str] = ..., external_id: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., replace_metadata: _Optional[bool] = ...) -> None: ...

class DeletePersonRequest(_message.Message):
    __slots__ = ("collection", "person_id")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    collection: str
    person_id: str
    def __init__(self, collection: _Optional[str] = ..., person_id: _Optional[str] = ...) -> None: ...

class DeletePersonResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

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
    __slots__ = ("collection", "person_name", "embedding", "embedding_floats", "model", "box", "detection_score", "display_image", "aligned", "person_id")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    PERSON_NAME_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_FLOATS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    BOX_FIELD_NUMBER: _ClassVar[int]
    DETECTION_SCORE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_IMAGE_FIELD_NUMBER: _ClassVar[int]
    ALIGNED_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    collection: str
    person_name: str
    embedding: _types_pb2.Embedding
    embedding_floats: _containers.RepeatedScalarFieldContainer[float]
    model: _types_pb2.ModelInfo
    box: _types_pb2.Box
    detection_score: float
    display_image: bytes
    aligned: _types_pb2.RgbImage
    person_id: str
    def __init__(self, collection: _Optional[str] = ..., person_name: _Optional[str] = ..., embedding: _Optional[_Union[_types_pb2.Embedding, _Mapping]] = ..., embedding_floats: _Optional[_Iterable[float]] = ..., model: _Optional[_Union[_types_pb2.ModelInfo, _Mapping]] = ..., box: _Optional[_Union[_types_pb2.Box, _Mapping]] = ..., detection_score: _Optional[float] = ..., display_image: _Optional[bytes] = ..., aligned: _Optional[_Union[_types_pb2.RgbImage, _Mapping]] = ..., person_id: _Optional[str] = ...) -> None: ...

class EnrollFaceResponse(_message.Message):
    __slots__ = ("face",)
    FACE_FIELD_NUMBER: _ClassVar[int]
    face: FaceRecord
    def __init__(self, face: _Optional[_Union[FaceRecord, _Mapping]] = ...) -> None: ...

class MatchFaceRequest(_message.Message):
    __slots__ = ("collection", "embedding", "embedding_floats", "model", "top_k", "threshold", "person_id", "exact", "target_fpir")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_FLOATS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    EXACT_FIELD_NUMBER: _ClassVar[int]
    TARGET_FPIR_FIELD_NUMBER: _ClassVar[int]
    collection: str
    embedding: _types_pb2.Embedding
    embedding_floats: _containers.RepeatedScalarFieldContainer[float]
    model: _types_pb2.ModelInfo
    top_k: int
    threshold: float
    person_id: str
    exact: bool
    target_fpir: float
    def __init__(self, collection: _Optional[str] = ..., embedding: _Optional[_Union[_types_pb2.Embedding, _Mapping]] = ..., embedding_floats: _Optional[_Iterable[float]] = ..., model: _Optional[_Union[_types_pb2.ModelInfo, _Mapping]] = ..., top_k: _Optional[int] = ..., threshold: _Optional[float] = ..., person_id: _Optional[str] = ..., exact: _Optional[bool] = ..., target_fpir: _Optional[float] = ...) -> None: ...

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
    __slots__ = ("candidates", "match", "threshold", "method", "threshold_basis", "target_fpir", "gallery_faces")
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    MATCH_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_BASIS_FIELD_NUMBER: _ClassVar[int]
    TARGET_FPIR_FIELD_NUMBER: _ClassVar[int]
    GALLERY_FACES_FIELD_NUMBER: _ClassVar[int]
    candidates: _containers.RepeatedCompositeFieldContainer[Candidate]
    match: bool
    threshold: float
    method: str
    threshold_basis: str
    target_fpir: float
    gallery_faces: int
    def __init__(self, candidates: _Optional[_Iterable[_Union[Candidate, _Mapping]]] = ..., match: _Optional[bool] = ..., threshold: _Optional[float] = ..., method: _Optional[str] = ..., threshold_basis: _Optional[str] = ..., target_fpir: _Optional[float] = ..., gallery_faces: _Optional[int] = ...) -> None: ...

class FloatEmbedding(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, values: _Optional[_Iterable[float]] = ...) -> None: ...

class MatchFacesRequest(_message.Message):
    __slots__ = ("collection", "model", "embeddings", "embeddings_floats", "top_k", "threshold", "exact", "target_fpir")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    EMBEDDINGS_FIELD_NUMBER: _ClassVar[int]
    EMBEDDINGS_FLOATS_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    EXACT_FIELD_NUMBER: _ClassVar[int]
    TARGET_FPIR_FIELD_NUMBER: _ClassVar[int]
    collection: str
    model: _types_pb2.ModelInfo
    embeddings: _containers.RepeatedCompositeFieldContainer[_types_pb2.Embedding]
    embeddings_floats: _containers.RepeatedCompositeFieldContainer[FloatEmbedding]
    top_k: int
    threshold: float
    exact: bool
    target_fpir: float
    def __init__(self, collection: _Optional[str] = ..., model: _Optional[_Union[_types_pb2.ModelInfo, _Mapping]] = ..., embeddings: _Optional[_Iterable[_Union[_types_pb2.Embedding, _Mapping]]] = ..., embeddings_floats: _Optional[_Iterable[_Union[FloatEmbedding, _Mapping]]] = ..., top_k: _Optional[int] = ..., threshold: _Optional[float] = ..., exact: _Optional[bool] = ..., target_fpir: _Optional[float] = ...) -> None: ...

class MatchFacesResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[MatchFaceResponse]
    def __init__(self, results: _Optional[_Iterable[_Union[MatchFaceResponse, _Mapping]]] = ...) -> None: ...

class ExportCollectionRequest(_message.Message):
    __slots__ = ("collection", "include_images")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_IMAGES_FIELD_NUMBER: _ClassVar[int]
    collection: str
    include_images: bool
    def __init__(self, collection: _Optional[str] = ..., include_images: _Optional[bool] = ...) -> None: ...

class DataChunk(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    def __init__(self, data: _Optional[bytes] = ...) -> None: ...

class ImportCollectionRequest(_message.Message):
    __slots__ = ("collection", "new_ids", "data", "idempotency_key")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    NEW_IDS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    collection: str
    new_ids: bool
    data: bytes
    idempotency_key: str
    def __init__(self, collection: _Optional[str] = ..., new_ids: _Optional[bool] = ..., data: _Optional[bytes] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class ImportCollectionResponse(_message.Message):
    __slots__ = ("collection", "people_imported", "faces_imported", "replayed")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    PEOPLE_IMPORTED_FIELD_NUMBER: _ClassVar[int]
    FACES_IMPORTED_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    collection: Collection
    people_imported: int
    faces_imported: int
    replayed: bool
    def __init__(self, collection: _Optional[_Union[Collection, _Mapping]] = ..., people_imported: _Optional[int] = ..., faces_imported: _Optional[int] = ..., replayed: _Optional[bool] = ...) -> None: ...

class ListFacesRequest(_message.Message):
    __slots__ = ("collection", "page_size", "page_token", "include_images", "person_id")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_IMAGES_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    collection: str
    page_size: int
    page_token: str
    include_images: bool
    person_id: str
    def __init__(self, collection: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., include_images: _Optional[bool] = ..., person_id: _Optional[str] = ...) -> None: ...

class ListFacesResponse(_message.Message):
    __slots__ = ("faces", "next_page_token")
    FACES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    faces: _containers.RepeatedCompositeFieldContainer[FaceRecord]
    next_page_token: str
    def __init__(self, faces: _Optional[_Iterable[_Union[FaceRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteFaceRequest(_message.Message):
    __slots__ = ("collection", "face_id", "delete_empty_person")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    FACE_ID_FIELD_NUMBER: _ClassVar[int]
    DELETE_EMPTY_PERSON_FIELD_NUMBER: _ClassVar[int]
    collection: str
    face_id: str
    delete_empty_person: bool
    def __init__(self, collection: _Optional[str] = ..., face_id: _Optional[str] = ..., delete_empty_person: _Optional[bool] = ...) -> None: ...

class DeleteFaceResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetFaceRequest(_message.Message):
    __slots__ = ("collection", "face_id", "include_image")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    FACE_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_IMAGE_FIELD_NUMBER: _ClassVar[int]
    collection: str
    face_id: str
    include_image: bool
    def __init__(self, collection: _Optional[str] = ..., face_id: _Optional[str] = ..., include_image: _Optional[bool] = ...) -> None: ...

class DeleteFacesRequest(_message.Message):
    __slots__ = ("collection", "face_ids")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    FACE_IDS_FIELD_NUMBER: _ClassVar[int]
    collection: str
    face_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, collection: _Optional[str] = ..., face_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class DeleteFacesResponse(_message.Message):
    __slots__ = ("deleted", "not_found")
    DELETED_FIELD_NUMBER: _ClassVar[int]
    NOT_FOUND_FIELD_NUMBER: _ClassVar[int]
    deleted: _containers.RepeatedScalarFieldContainer[str]
    not_found: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, deleted: _Optional[_Iterable[str]] = ..., not_found: _Optional[_Iterable[str]] = ...) -> None: ...

class CompareEmbeddingsRequest(_message.Message):
    __slots__ = ("embedding_a", "embedding_b", "embedding_a_floats", "embedding_b_floats", "model", "threshold")
    EMBEDDING_A_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_B_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_A_FLOATS_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_B_FLOATS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    embedding_a: _types_pb2.Embedding
    embedding_b: _types_pb2.Embedding
    embedding_a_floats: _containers.RepeatedScalarFieldContainer[float]
    embedding_b_floats: _containers.RepeatedScalarFieldContainer[float]
    model: _types_pb2.ModelInfo
    threshold: float
    def __init__(self, embedding_a: _Optional[_Union[_types_pb2.Embedding, _Mapping]] = ..., embedding_b: _Optional[_Union[_types_pb2.Embedding, _Mapping]] = ..., embedding_a_floats: _Optional[_Iterable[float]] = ..., embedding_b_floats: _Optional[_Iterable[float]] = ..., model: _Optional[_Union[_types_pb2.ModelInfo, _Mapping]] = ..., threshold: _Optional[float] = ...) -> None: ...

class CompareEmbeddingsResponse(_message.Message):
    __slots__ = ("similarity", "match", "threshold")
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    MATCH_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    similarity: float
    match: bool
    threshold: float
    def __init__(self, similarity: _Optional[float] = ..., match: _Optional[bool] = ..., threshold: _Optional[float] = ...) -> None: ...

class ListAlignedCropsRequest(_message.Message):
    __slots__ = ("collection", "page_size", "page_token", "unstaged_for_version")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    UNSTAGED_FOR_VERSION_FIELD_NUMBER: _ClassVar[int]
    collection: str
    page_size: int
    page_token: str
    unstaged_for_version: str
    def __init__(self, collection: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., unstaged_for_version: _Optional[str] = ...) -> None: ...

class AlignedCrop(_message.Message):
    __slots__ = ("face_id", "aligned")
    FACE_ID_FIELD_NUMBER: _ClassVar[int]
    ALIGNED_FIELD_NUMBER: _ClassVar[int]
    face_id: str
    aligned: _types_pb2.RgbImage
    def __init__(self, face_id: _Optional[str] = ..., aligned: _Optional[_Union[_types_pb2.RgbImage, _Mapping]] = ...) -> None: ...

class ListAlignedCropsResponse(_message.Message):
    __slots__ = ("crops", "next_page_token")
    CROPS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    crops: _containers.RepeatedCompositeFieldContainer[AlignedCrop]
    next_page_token: str
    def __init__(self, crops: _Optional[_Iterable[_Union[AlignedCrop, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class StagedEmbedding(_message.Message):
    __slots__ = ("face_id", "embedding", "embedding_floats")
    FACE_ID_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_FLOATS_FIELD_NUMBER: _ClassVar[int]
    face_id: str
    embedding: _types_pb2.Embedding
    embedding_floats: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, face_id: _Optional[str] = ..., embedding: _Optional[_Union[_types_pb2.Embedding, _Mapping]] = ..., embedding_floats: _Optional[_Iterable[float]] = ...) -> None: ...

class StageEmbeddingsRequest(_message.Message):
    __slots__ = ("collection", "model", "embeddings")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    EMBEDDINGS_FIELD_NUMBER: _ClassVar[int]
    collection: str
    model: _types_pb2.ModelInfo
    embeddings: _containers.RepeatedCompositeFieldContainer[StagedEmbedding]
    def __init__(self, collection: _Optional[str] = ..., model: _Optional[_Union[_types_pb2.ModelInfo, _Mapping]] = ..., embeddings: _Optional[_Iterable[_Union[StagedEmbedding, _Mapping]]] = ...) -> None: ...

class StageEmbeddingsResponse(_message.Message):
    __slots__ = ("staged",)
    STAGED_FIELD_NUMBER: _ClassVar[int]
    staged: int
    def __init__(self, staged: _Optional[int] = ...) -> None: ...

class CommitReembeddingRequest(_message.Message):
    __slots__ = ("collection", "model")
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    collection: str
    model: _types_pb2.ModelInfo
    def __init__(self, collection: _Optional[str] = ..., model: _Optional[_Union[_types_pb2.ModelInfo, _Mapping]] = ...) -> None: ...
