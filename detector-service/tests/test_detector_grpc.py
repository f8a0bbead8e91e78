"""DetectorService over a real gRPC channel, on real photos."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from grpc_status import rpc_status

from facerec.detector.v1 import detector_pb2, detector_pb2_grpc
from facerec_common import errors
from facerec_devstack import photos

Stub = detector_pb2_grpc.DetectorServiceStub


async def test_one_face_with_landmarks_and_crop(detector_stub: Stub, data_dir: Path) -> None:
    image = (data_dir / "faces/Naomi_Watts/Naomi_Watts_0004.jpg").read_bytes()
    reply = await detector_stub.Detect(
        detector_pb2.DetectRequest(image=image, options=detector_pb2.DetectOptions(include_thumbnails=True)), timeout=30
    )
    assert (reply.image_width, reply.image_height) == (250, 250)
    [face] = reply.faces
    assert face.score > 0.9
    box = face.box
    for point in (face.landmarks.left_eye, face.landmarks.right_eye, face.landmarks.nose):
        assert box.x <= point.x <= box.x + box.width
        assert box.y <= point.y <= box.y + box.height
    assert face.landmarks.left_eye.x < face.landmarks.right_eye.x
    assert (face.aligned.width, face.aligned.height, len(face.aligned.pixels)) == (112, 112, 112 * 112 * 3)
    assert face.thumbnail_jpeg.startswith(b"\xff\xd8")


async def test_group_photos_find_the_annotated_faces_largest_first(detector_stub: Stub, data_dir: Path) -> None:
    found = total = 0
    for path, boxes in photos.group_faces(data_dir).items():
        reply = await detector_stub.Detect(detector_pb2.DetectRequest(image=path.read_bytes()), timeout=30)
        areas = [f.box.width * f.box.height for f in reply.faces]
        assert areas == sorted(areas, reverse=True)
        detected = [(f.box.x, f.box.y, f.box.width, f.box.height) for f in reply.faces]
        found += sum(any(photos.iou(box, d) >= 0.4 for d in detected) for box in boxes)
        total += len(boxes)
    assert found / total >= 0.85, f"recall {found}/{total}"


async def test_max_faces_keeps_the_largest(detector_stub: Stub, data_dir: Path) -> None:
    image = (data_dir / "group/2008_002506.jpg").read_bytes()
    everything = await detector_stub.Detect(detector_pb2.DetectRequest(image=image), timeout=30)
    one = await detector_stub.Detect(
        detector_pb2.DetectRequest(image=image, options=detector_pb2.DetectOptions(max_faces=1)), timeout=30
    )
    assert len(everything.faces) >= 3
    assert len(one.faces) == 1
    assert one.faces[0].box == everything.faces[0].box


async def test_no_face_photos_have_no_face(detector_stub: Stub, data_dir: Path) -> None:
    no_face = sorted((data_dir / "no-face").glob("*.jpg"))
    assert len(no_face) >= 5, "the test photos are missing"
    for path in no_face:
        reply = await detector_stub.Detect(detector_pb2.DetectRequest(image=path.read_bytes()), timeout=30)
        assert len(reply.faces) == 0, path.name


async def test_not_an_image_is_invalid_argument_with_reason(detector_stub: Stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await detector_stub.Detect(detector_pb2.DetectRequest(image=b"%PDF-1.7 not a photo"), timeout=30)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert rpc_status.from_call(caught.value) is not None
    assert type(errors.from_rpc_error(caught.value)) is errors.InvalidImage
