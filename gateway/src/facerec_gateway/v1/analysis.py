"""Questions about photos: identify every face, verify 1:1, detect, embed, search with your own vector."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from facerec_gateway.dependencies import FacesDep, Reader, SettingsDep
from facerec_gateway.json_body import JsonRoute
from facerec_gateway.routes.responses import ERRORS
from facerec_gateway.uploads import read_image
from facerec_gateway.v1 import convert
from facerec_gateway.v1 import schemas as s
from facerec_gateway.v1.params import CollectionPath

router = APIRouter(tags=["recognition"], responses=ERRORS, route_class=JsonRoute)

Photo = Annotated[UploadFile, File(description="JPEG, PNG or WebP photo")]
Threshold = Annotated[
    float | None,
    Form(ge=-1.0, le=1.0, description="Similarity needed for a match; default: the model's calibrated one"),
]
MaxFaces = Annotated[int, Form(ge=0, le=100, description="Largest faces to consider; 0 = all")]


@router.post("/collections/{collection}/identify", response_model=s.Identification)
async def identify(
    collection: CollectionPath,
    file: Photo,
    faces: FacesDep,
    settings: SettingsDep,
    _: Reader,
    top_k: Annotated[int, Form(ge=1, le=100, description="Candidates per face, one per person")] = 1,
    threshold: Threshold = None,
    max_faces: MaxFaces = 0,
    exact: Annotated[bool, Form(description="Compare with every face instead of using the search index")] = False,
    target_fpir: Annotated[
        float | None, Form(ge=1e-9, le=0.5, description="Share of strangers that may match; default: the collection's")
    ] = None,
) -> s.Identification:
    """Every face of the photo, largest first, with its best candidates. `match: false` means
    the face is unknown: nobody reaches the threshold, which follows the collection's target
    false-positive identification rate and its size (or is the `threshold` you send)."""
    image = await read_image(file, settings.max_upload_bytes)
    found, model = await faces.recognition.identify(collection, image, top_k, threshold, max_faces, exact, target_fpir)
    return s.Identification(
        faces=[
            s.IdentifiedFace(
                **convert.detected(f.face).model_dump(),
                match=f.result.match,
                candidates=[convert.candidate(c) for c in f.result.candidates],
            )
            for f in found
        ],
        threshold=round(found[0].result.threshold, convert.DECIMALS),
        target_fpir=convert.target_fpir(found[0].result),
        threshold_basis=convert.threshold_basis(found[0].result),
        model=convert.model(model),
        search_method=convert.search_method(found[0].result.method),
    )


@router.post("/verify", response_model=s.Verification)
async def verify(
    image_a: Photo, image_b: Photo, faces: FacesDep, settings: SettingsDep, _: Reader, threshold: Threshold = None
) -> s.Verification:
    """1:1: are the subjects of two photos the same person (see docs/face-choice.md)?"""
    a = await read_image(image_a, settings.max_upload_bytes)
    b = await read_image(image_b, settings.max_upload_bytes)
    done = await faces.recognition.verify(a, b, threshold)
    return s.Verification(
        similarity=round(done.similarity, convert.DECIMALS),
        match=done.match,
        threshold=round(done.threshold, convert.DECIMALS),
        face_a=convert.detected(done.face_a),
        face_b=convert.detected(done.face_b),
        model=convert.model(done.model),
    )


@router.post("/detect", response_model=s.Detection)
async def detect(
    file: Photo, faces: FacesDep, settings: SettingsDep, _: Reader, max_faces: MaxFaces = 0
) -> s.Detection:
    """Every face with its box, 5 landmarks, detection score and quality measures, so a client can
    guide its user before enrolling (an empty list when there is no face)."""
    image = await read_image(file, settings.max_upload_bytes)
    found = await faces.steps.detect(image, max_faces=max_faces)
    return s.Detection(
        faces=[convert.qualified(f, settings.enrol_quality) for f in found.faces],
        image_width=found.image_width,
        image_height=found.image_height,
    )


@router.post("/embed", response_model=s.Embeddings)
async def embed(
    file: Photo, faces: FacesDep, settings: SettingsDep, _: Reader, max_faces: MaxFaces = 0
) -> s.Embeddings:
    """The embedding of every face, for callers that keep their own vectors."""
    image = await read_image(file, settings.max_upload_bytes)
    found, vectors, model = await faces.recognition.embed_photo(image, max_faces)
    return s.Embeddings(
        faces=[
            s.EmbeddedFace(**convert.qualified(f, settings.enrol_quality).model_dump(), embedding=convert.numbers(v))
            for f, v in zip(found, vectors, strict=True)
        ],
        model=convert.model(model),
    )


@router.post("/collections/{collection}/search", response_model=s.SearchResult)
async def search(collection: CollectionPath, body: s.SearchRequest, faces: FacesDep, _: Reader) -> s.SearchResult:
    """Match your own vector (made by this service's current model, e.g. via /embed)."""
    # Answered by `search_fast_path` when the request is well formed: this route is its fallback,
    # for every other request, and its documentation.
    result, model = await faces.recognition.search(
        collection, body.embedding, body.top_k, body.threshold, body.exact, body.target_fpir
    )
    return convert.search_result(result, model)
