from facerec.registry.v1 import cameras_pb2 as _cameras_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class WatchEventsRequest(_message.Message):
    __slots__ = ("camera", "unknown_only")
    CAMERA_FIELD_NUMBER: _ClassVar[int]
    UNKNOWN_ONLY_FIELD_NUMBER: _ClassVar[int]
    camera: str
    unknown_only: bool
    def __init__(self, camera: _Optional[str] = ..., unknown_only: _Optional[bool] = ...) -> None: ...
