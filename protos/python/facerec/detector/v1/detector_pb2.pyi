from facerec.common.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DetectRequest(_message.Message):
    __slots__ = ("image", "options")
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    image: bytes
    options: DetectOptions
    def __init__(self, image: _Optional[bytes] = ..., options: _Optional[_Union[DetectOptions, _Mapping]] = ...) -> None: ...

class DetectOptions(_message.Message):
    __slots__ = ("min_face_size", "min_score", "max_faces", "include_thumbnails")
    MIN_FACE_SIZE_FIELD_NUMBER: _ClassVar[int]
    MIN_SCORE_FIELD_NUMBER: _ClassVar[int]
    MAX_FACES_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_THUMBNAILS_FIELD_NUMBER: _ClassVar[int]
    min_face_size: float
    min_score: float
    max_faces: int
    include_thumbnails: bool
    def __init__(self, min_face_size: _Optional[float] = ..., min_score: _Optional[float] = ..., max_faces: _Optional[int] = ..., include_thumbnails: _Optional[bool] = ...) -> None: ...

class Face(_message.Message):
    __slots__ = ("box", "score", "landmarks", "aligned", "thumbnail_jpeg", "quality")
    BOX_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    LANDMARKS_FIELD_NUMBER: _ClassVar[int]
    ALIGNED_FIELD_NUMBER: _ClassVar[int]
    THUMBNAIL_JPEG_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    box: _types_pb2.Box
    score: float
    landmarks: _types_pb2.Landmarks
    aligned: _types_pb2.RgbImage
    thumbnail_jpeg: bytes
    quality: FaceQuality
    def __init__(self, box: _Optional[_Union[_types_pb2.Box, _Mapping]] = ..., score: _Optional[float] = ..., landmarks: _Optional[_Union[_types_pb2.Landmarks, _Mapping]] = ..., aligned: _Optional[_Union[_types_pb2.RgbImage, _Mapping]] = ..., thumbnail_jpeg: _Optional[bytes] = ..., quality: _Optional[_Union[FaceQuality, _Mapping]] = ...) -> None: ...

class FaceQuality(_message.Message):
    __slots__ = ("inter_eye_px", "yaw_deg", "pitch_deg", "roll_deg", "sharpness", "brightness")
    INTER_EYE_PX_FIELD_NUMBER: _ClassVar[int]
    YAW_DEG_FIELD_NUMBER: _ClassVar[int]
    PITCH_DEG_FIELD_NUMBER: _ClassVar[int]
    ROLL_DEG_FIELD_NUMBER: _ClassVar[int]
    SHARPNESS_FIELD_NUMBER: _ClassVar[int]
    BRIGHTNESS_FIELD_NUMBER: _ClassVar[int]
    inter_eye_px: float
    yaw_deg: float
    pitch_deg: float
    roll_deg: float
    sharpness: float
    brightness: float
    def __init__(self, inter_eye_px: _Optional[float] = ..., yaw_deg: _Optional[float] = ..., pitch_deg: _Optional[float] = ..., roll_deg: _Optional[float] = ..., sharpness: _Optional[float] = ..., brightness: _Optional[float] = ...) -> None: ...

class DetectResponse(_message.Message):
    __slots__ = ("faces", "image_width", "image_height")
    FACES_FIELD_NUMBER: _ClassVar[int]
    IMAGE_WIDTH_FIELD_NUMBER: _ClassVar[int]
    IMAGE_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    faces: _containers.RepeatedCompositeFieldContainer[Face]
    image_width: int
    image_height: int
    def __init__(self, faces: _Optional[_Iterable[_Union[Face, _Mapping]]] = ..., image_width: _Optional[int] = ..., image_height: _Optional[int] = ...) -> None: ...
