"""Large images within a bounded memory: decoded reduced, faces still in full-size pixels, and a
per-replica pixel budget that turns a flood of huge images away quickly without holding up
normal photos."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import grpc
import numpy as np
import pytest
from PIL import Image

from facerec.detector.v1 import detector_pb2, detector_pb2_grpc
from facerec_common.errors import Overloaded
from facerec_detector.decode import decode_reduced, image_pixels
from facerec_detector.pipeline import FacePipeline
from facerec_detector.pixel_budget import PixelBudget
from facerec_detector.server import create_server
from facerec_detector.settings import DetectorSettings
from facerec_devstack import photos

MP = 1_000_000


def _jpeg(image: Image.Image, **kwargs: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92, **kwargs)
    return out.getvalue()


@pytest.fixture(scope="module")
def big_group_photo(data_dir: Path) -> bytes:
    """A real group photo enlarged 5x (about 5 MP)."""
    photo = Image.open(data_dir / "group/2008_002506.jpg").convert("RGB")
    return _jpeg(photo.resize((photo.width * 5, photo.height * 5), Image.Resampling.BICUBIC))


def test_a_large_jpeg_is_decoded_reduced_by_its_codec(big_group_photo: bytes) -> None:
    data = big_group_photo
    full = decode_reduced(data, 40 * MP, max_side=0)
    reduced = decode_reduced(data, 40 * MP, max_side=1000)
    assert (reduced.width, reduced.height) == (full.width, full.height) == full.image.shape[1::-1]
    assert max(reduced.image.shape[:2]) <= 1000
    assert reduced.scale_x == pytest.approx(full.width / reduced.image.shape[1])
    assert image_pixels(data, 40 * MP) == full.width * full.height


def test_exif_rotation_reports_the_upright_size(data_dir: Path) -> None:
    photo = Image.open(data_dir / "faces/Naomi_Watts/Naomi_Watts_0004.jpg").convert("RGB").resize((2000, 1000))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: upright it is 1000 wide, 2000 high
    decoded = decode_reduced(_jpeg(photo, exif=exif), 40 * MP, max_side=500)
    assert (decoded.width, decoded.height) == (1000, 2000)
    assert decoded.image.shape[0] > decoded.image.shape[1]


def test_faces_of_a_reduced_decode_are_where_the_full_decode_puts_them(big_group_photo: bytes) -> None:
    data = big_group_photo
    full = FacePipeline(DetectorSettings(decode_max_side=0))
    reduced = FacePipeline(DetectorSettings(decode_max_side=1280))
    options = full.resolve(0, 0, 0, False)
    at_full, at_reduced = full.run(data, options), reduced.run(data, options)
    assert (at_reduced.width, at_reduced.height) == (at_full.width, at_full.height)
    assert len(at_full.faces) >= 3
    for face in at_full.faces:
        box = (face.raw.x, face.raw.y, face.raw.width, face.raw.height)
        match = max(at_reduced.faces, key=lambda f: photos.iou(box, (f.raw.x, f.raw.y, f.raw.width, f.raw.height)))
        assert photos.iou(box, (match.raw.x, match.raw.y, match.raw.width, match.raw.height)) >= 0.8
        # Landmarks in full-size pixels too: within a few percent of the face's size.
        assert np.abs(match.raw.landmarks - face.raw.landmarks).max() <= 0.06 * face.raw.width


async def test_the_budget_admits_small_beside_large_and_refuses_what_cannot_fit() -> None:
    budget = PixelBudget(48 * MP)
    large = await budget.acquire(40 * MP, wait_s=0)
    small = await budget.acquire(MP // 10, wait_s=0)  # a portrait fits beside it at once
    with pytest.raises(Overloaded):
        await budget.acquire(40 * MP, wait_s=0.2)
    waiting = asyncio.create_task(budget.acquire(40 * MP, wait_s=5))
    await asyncio.sleep(0.1)
    assert not waiting.done()
    budget.release(large)
    assert await asyncio.wait_for(waiting, 2) == 40 * MP
    budget.release(small)
    budget.release(40 * MP)
    assert budget.used == 0


def _solid_png(side: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (side, side), (90, 120, 150)).save(out, format="PNG")
    return out.getvalue()


async def test_a_flood_of_huge_images_is_refused_quickly_and_portraits_still_pass(data_dir: Path) -> None:
    settings = DetectorSettings(port=0, pixel_budget=40 * MP, pixel_budget_wait_s=0.5)
    server, port, _, executor = await create_server(settings)
    huge = _solid_png(6000)  # 36 MP, about 110 KB
    portrait = (data_dir / "faces/Naomi_Watts/Naomi_Watts_0004.jpg").read_bytes()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = detector_pb2_grpc.DetectorServiceStub(channel)
            floods = [stub.Detect(detector_pb2.DetectRequest(image=huge), timeout=60) for _ in range(6)]
            flooding = asyncio.gather(*floods, return_exceptions=True)
            await asyncio.sleep(0.2)
            reply = await stub.Detect(detector_pb2.DetectRequest(image=portrait), timeout=60)
            assert len(reply.faces) == 1
            answers = await flooding
    finally:
        await server.stop(None)
        executor.shutdown()
    refused = [a for a in answers if isinstance(a, grpc.aio.AioRpcError)]
    assert all(a.code() == grpc.StatusCode.RESOURCE_EXHAUSTED for a in refused)
    assert 1 <= len(answers) - len(refused) < len(answers)
