from facerec.registry.v1 import cameras_pb2 as _cameras_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListCamerasRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Camera(_message.Message):
    __slots__ = ("name", "source", "collection", "state", "reason", "fps", "frames_read", "frames_dropped", "frames_analysed", "tracks", "embeddings", "lag_seconds", "detections")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    COLLECTION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    FRAMES_READ_FIELD_NUMBER: _ClassVar[int]
    FRAMES_DROPPED_FIELD_NUMBER: _ClassVar[int]
    FRAMES_ANALYSED_FIELD_NUMBER: _ClassVar[int]
    TRACKS_FIELD_NUMBER: _ClassVar[int]
    EMBEDDINGS_FIELD_NUMBER: _ClassVar[int]
    LAG_SECONDS_FIELD_NUMBER: _ClassVar[int]
    DETECTIONS_FIELD_NUMBER: _ClassVar[int]
    name: str
    source: str
    collection: str
    state: str
    reason: str
    fps: float
    frames_read: int
    frames_dropped: int
    frames_analysed: int
    tracks: int
    embeddings: int
    lag_seconds: float
    detections: int
    def __init__(self, name: _Optional[str] = ..., source: _Optional[str] = ..., collection: _Optional[str] = ..., state: _Optional[str] = ..., reason: _Optional[str] = ..., fps: _Optional[float] = ..., frames_read: _Optional[int] = ..., frames_dropped: _Optional[int] = ..., frames_analysed: _Optional[int] = ..., tracks: _Optional[int] = ..., embeddings: _Optional[int] = ..., lag_seconds: _Optional[float] = ..., detections: _Optional[int] = ...) -> None: ...

class ListCamerasResponse(_message.Message):
    __slots__ = ("cameras",)
    CAMERAS_FIELD_NUMBER: _ClassVar[int]
    cameras: _containers.RepeatedCompositeFieldContainer[Camera]
    def __init__(self, cameras: _Optional[_Iterable[_Union[Camera, _Mapping]]] = ...) -> None: ...

class ListEventsRequest(_message.Message):
    __slots__ = ("camera", "limit")
    CAMERA_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    camera: str
    limit: int
    def __init__(self, camera: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ListEventsResponse(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[_cameras_pb2.CameraEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[_cameras_pb2.CameraEvent, _Mapping]]] = ...) -> None: ...

class WatchEventsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
