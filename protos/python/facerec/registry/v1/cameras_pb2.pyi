import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Camera(_message.Message):
    __slots__ = ("name", "source", "collection", "fps", "min_face_px", "enabled", "created_at", "updated_at", "holder", "state", "source_url")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    MIN_FACE_PX_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_URL_FIELD_NUMBER: _ClassVar[int]
    name: str
    source: str
    collection: str
    fps: float
    min_face_px: float
    enabled: bool
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    holder: str
    state: CameraState
    source_url: str
    def __init__(self, name: _Optional[str] = ..., source: _Optional[str] = ..., collection: _Optional[str] = ..., fps: _Optional[float] = ..., min_face_px: _Optional[float] = ..., enabled: _Optional[bool] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., holder: _Optional[str] = ..., state: _Optional[_Union[CameraState, _Mapping]] = ..., source_url: _Optional[str] = ...) -> None: ...

class CameraState(_message.Message):
    __slots__ = ("state", "reason", "frames_read", "frames_analysed", "frames_dropped", "analysed_fps", "lag_seconds", "tracks", "embeddings", "reported_at", "last_frame_jpeg")
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FRAMES_READ_FIELD_NUMBER: _ClassVar[int]
    FRAMES_ANALYSED_FIELD_NUMBER: _ClassVar[int]
    FRAMES_DROPPED_FIELD_NUMBER: _ClassVar[int]
    ANALYSED_FPS_FIELD_NUMBER: _ClassVar[int]
    LAG_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TRACKS_FIELD_NUMBER: _ClassVar[int]
    EMBEDDINGS_FIELD_NUMBER: _ClassVar[int]
    REPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_FRAME_JPEG_FIELD_NUMBER: _ClassVar[int]
    state: str
    reason: str
    frames_read: int
    frames_analysed: int
    frames_dropped: int
    analysed_fps: float
    lag_seconds: float
    tracks: int
    embeddings: int
    reported_at: _timestamp_pb2.Timestamp
    last_frame_jpeg: bytes
    def __init__(self, state: _Optional[str] = ..., reason: _Optional[str] = ..., frames_read: _Optional[int] = ..., frames_analysed: _Optional[int] = ..., frames_dropped: _Optional[int] = ..., analysed_fps: _Optional[float] = ..., lag_seconds: _Optional[float] = ..., tracks: _Optional[int] = ..., embeddings: _Optional[int] = ..., reported_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_frame_jpeg: _Optional[bytes] = ...) -> None: ...

class PutCameraRequest(_message.Message):
    __slots__ = ("name", "source_url", "collection", "fps", "min_face_px", "enabled", "actor", "create_only")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_URL_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    MIN_FACE_PX_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    CREATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    name: str
    source_url: str
    collection: str
    fps: float
    min_face_px: float
    enabled: bool
    actor: str
    create_only: bool
    def __init__(self, name: _Optional[str] = ..., source_url: _Optional[str] = ..., collection: _Optional[str] = ..., fps: _Optional[float] = ..., min_face_px: _Optional[float] = ..., enabled: _Optional[bool] = ..., actor: _Optional[str] = ..., create_only: _Optional[bool] = ...) -> None: ...

class GetCameraRequest(_message.Message):
    __slots__ = ("name", "include_frame")
    NAME_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_FRAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    include_frame: bool
    def __init__(self, name: _Optional[str] = ..., include_frame: _Optional[bool] = ...) -> None: ...

class ListCamerasRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListCamerasResponse(_message.Message):
    __slots__ = ("cameras",)
    CAMERAS_FIELD_NUMBER: _ClassVar[int]
    cameras: _containers.RepeatedCompositeFieldContainer[Camera]
    def __init__(self, cameras: _Optional[_Iterable[_Union[Camera, _Mapping]]] = ...) -> None: ...

class DeleteCameraRequest(_message.Message):
    __slots__ = ("name", "actor")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    name: str
    actor: str
    def __init__(self, name: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class DeleteCameraResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CameraReport(_message.Message):
    __slots__ = ("name", "state")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    name: str
    state: CameraState
    def __init__(self, name: _Optional[str] = ..., state: _Optional[_Union[CameraState, _Mapping]] = ...) -> None: ...

class LeaseCamerasRequest(_message.Message):
    __slots__ = ("holder", "lease_seconds", "reports")
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    LEASE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    holder: str
    lease_seconds: float
    reports: _containers.RepeatedCompositeFieldContainer[CameraReport]
    def __init__(self, holder: _Optional[str] = ..., lease_seconds: _Optional[float] = ..., reports: _Optional[_Iterable[_Union[CameraReport, _Mapping]]] = ...) -> None: ...

class LeaseCamerasResponse(_message.Message):
    __slots__ = ("cameras", "replicas")
    CAMERAS_FIELD_NUMBER: _ClassVar[int]
    REPLICAS_FIELD_NUMBER: _ClassVar[int]
    cameras: _containers.RepeatedCompositeFieldContainer[Camera]
    replicas: int
    def __init__(self, cameras: _Optional[_Iterable[_Union[Camera, _Mapping]]] = ..., replicas: _Optional[int] = ...) -> None: ...

class ReleaseCamerasRequest(_message.Message):
    __slots__ = ("holder",)
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    holder: str
    def __init__(self, holder: _Optional[str] = ...) -> None: ...

class ReleaseCamerasResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CameraEvent(_message.Message):
    __slots__ = ("event_id", "camera", "collection", "person_id", "person_name", "score", "threshold", "first_seen", "last_seen", "crop_jpeg", "track_count", "ended")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    CAMERA_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_NAME_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    FIRST_SEEN_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_FIELD_NUMBER: _ClassVar[int]
    CROP_JPEG_FIELD_NUMBER: _ClassVar[int]
    TRACK_COUNT_FIELD_NUMBER: _ClassVar[int]
    ENDED_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    camera: str
    collection: str
    person_id: str
    person_name: str
    score: float
    threshold: float
    first_seen: _timestamp_pb2.Timestamp
    last_seen: _timestamp_pb2.Timestamp
    crop_jpeg: bytes
    track_count: int
    ended: bool
    def __init__(self, event_id: _Optional[str] = ..., camera: _Optional[str] = ..., collection: _Optional[str] = ..., person_id: _Optional[str] = ..., person_name: _Optional[str] = ..., score: _Optional[float] = ..., threshold: _Optional[float] = ..., first_seen: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_seen: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., crop_jpeg: _Optional[bytes] = ..., track_count: _Optional[int] = ..., ended: _Optional[bool] = ...) -> None: ...

class RecordEventRequest(_message.Message):
    __slots__ = ("event", "deliver_to", "kind")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    DELIVER_TO_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    event: CameraEvent
    deliver_to: _containers.RepeatedScalarFieldContainer[str]
    kind: str
    def __init__(self, event: _Optional[_Union[CameraEvent, _Mapping]] = ..., deliver_to: _Optional[_Iterable[str]] = ..., kind: _Optional[str] = ...) -> None: ...

class RecordEventResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetEventRequest(_message.Message):
    __slots__ = ("event_id",)
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    def __init__(self, event_id: _Optional[str] = ...) -> None: ...

class ListEventsRequest(_message.Message):
    __slots__ = ("camera", "person_id", "unknown_only", "since", "until", "collections", "page_size", "page_token", "include_crops")
    CAMERA_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    UNKNOWN_ONLY_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    COLLECTIONS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_CROPS_FIELD_NUMBER: _ClassVar[int]
    camera: str
    person_id: str
    unknown_only: bool
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    collections: _containers.RepeatedScalarFieldContainer[str]
    page_size: int
    page_token: str
    include_crops: bool
    def __init__(self, camera: _Optional[str] = ..., person_id: _Optional[str] = ..., unknown_only: _Optional[bool] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., collections: _Optional[_Iterable[str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., include_crops: _Optional[bool] = ...) -> None: ...

class ListEventsResponse(_message.Message):
    __slots__ = ("events", "next_page_token")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[CameraEvent]
    next_page_token: str
    def __init__(self, events: _Optional[_Iterable[_Union[CameraEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Delivery(_message.Message):
    __slots__ = ("delivery_id", "sink", "kind", "status", "attempts", "last_error", "created_at", "next_attempt_at", "event")
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    SINK_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    delivery_id: int
    sink: str
    kind: str
    status: str
    attempts: int
    last_error: str
    created_at: _timestamp_pb2.Timestamp
    next_attempt_at: _timestamp_pb2.Timestamp
    event: CameraEvent
    def __init__(self, delivery_id: _Optional[int] = ..., sink: _Optional[str] = ..., kind: _Optional[str] = ..., status: _Optional[str] = ..., attempts: _Optional[int] = ..., last_error: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., event: _Optional[_Union[CameraEvent, _Mapping]] = ...) -> None: ...

class ClaimDeliveriesRequest(_message.Message):
    __slots__ = ("sinks", "limit", "lease_seconds")
    SINKS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    LEASE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    sinks: _containers.RepeatedScalarFieldContainer[str]
    limit: int
    lease_seconds: float
    def __init__(self, sinks: _Optional[_Iterable[str]] = ..., limit: _Optional[int] = ..., lease_seconds: _Optional[float] = ...) -> None: ...

class ClaimDeliveriesResponse(_message.Message):
    __slots__ = ("deliveries",)
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[Delivery]
    def __init__(self, deliveries: _Optional[_Iterable[_Union[Delivery, _Mapping]]] = ...) -> None: ...

class SettleDeliveryRequest(_message.Message):
    __slots__ = ("delivery_id", "delivered", "error", "retry_after_seconds", "dead")
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_SECONDS_FIELD_NUMBER: _ClassVar[int]
    DEAD_FIELD_NUMBER: _ClassVar[int]
    delivery_id: int
    delivered: bool
    error: str
    retry_after_seconds: float
    dead: bool
    def __init__(self, delivery_id: _Optional[int] = ..., delivered: _Optional[bool] = ..., error: _Optional[str] = ..., retry_after_seconds: _Optional[float] = ..., dead: _Optional[bool] = ...) -> None: ...

class SettleDeliveryResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListDeliveriesRequest(_message.Message):
    __slots__ = ("status", "sink", "limit")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SINK_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    status: str
    sink: str
    limit: int
    def __init__(self, status: _Optional[str] = ..., sink: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ListDeliveriesResponse(_message.Message):
    __slots__ = ("deliveries",)
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[Delivery]
    def __init__(self, deliveries: _Optional[_Iterable[_Union[Delivery, _Mapping]]] = ...) -> None: ...

class RetryDeliveriesRequest(_message.Message):
    __slots__ = ("sink",)
    SINK_FIELD_NUMBER: _ClassVar[int]
    sink: str
    def __init__(self, sink: _Optional[str] = ...) -> None: ...

class RetryDeliveriesResponse(_message.Message):
    __slots__ = ("retried",)
    RETRIED_FIELD_NUMBER: _ClassVar[int]
    retried: int
    def __init__(self, retried: _Optional[int] = ...) -> None: ...
