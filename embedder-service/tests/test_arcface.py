"""The ArcFace runtime: same vectors as InsightFace's reference, unit length, batch-invariant."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from facerec_common.models import MOBILEFACENET
from facerec_common.rgb import RgbArray
from facerec_embedder.arcface import ArcFaceModel, Runtime, provider_options, to_fp16, with_preprocessing


def test_identity_of_the_default_model(model: ArcFaceModel) -> None:
    assert model.identity.name == "w600k_mbf"
    assert model.identity.version == MOBILEFACENET.version
    assert model.identity.dimension == 512
    assert model.provider == "CPUExecutionProvider"


def test_matches_insightface_reference(model: ArcFaceModel, model_path: Path, crops: dict[str, RgbArray]) -> None:
    from insightface.model_zoo.arcface_onnx import ArcFaceONNX

    reference = ArcFaceONNX(str(model_path))
    reference.prepare(ctx_id=-1)
    for name, crop in crops.items():
        expected = reference.get_feat(cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))[0]  # it takes BGR
        expected = expected / np.linalg.norm(expected)
        ours = model.embed(crop[None])[0]
        assert float(ours @ expected) > 0.9999, name


def test_cpu_graph_gives_the_original_models_vectors(
    model: ArcFaceModel, model_path: Path, crops: dict[str, RgbArray]
) -> None:
    # On CPU the model's PRelus run rewritten (facerec_common.onnx_graph): same vectors, to the bit.
    import onnx
    import onnxruntime as ort

    original = with_preprocessing(onnx.load(str(model_path)), 127.5, 127.5)
    session = ort.InferenceSession(original.SerializeToString(), providers=["CPUExecutionProvider"])
    batch = np.stack(list(crops.values()))
    expected = session.run(None, {"crops": batch})[0]
    expected = expected / np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.array_equal(model.embed(batch), expected)


def test_unit_length_and_batch_invariant(model: ArcFaceModel, crops: dict[str, RgbArray]) -> None:
    batch = np.stack(list(crops.values()))  # 8 crops, max_batch 8
    together = model.embed(batch)
    alone = np.concatenate([model.embed(c[None]) for c in batch])
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(together, alone, atol=1e-4)
    bigger = model.embed(np.concatenate([batch, batch[:3]]))  # split across two runs
    np.testing.assert_allclose(bigger[8:], together[:3], atol=1e-4)


def test_same_person_is_closer_than_strangers(model: ArcFaceModel, crops: dict[str, RgbArray]) -> None:
    vectors = {name: model.embed(crop[None])[0] for name, crop in crops.items()}
    people = sorted({name.rsplit("_", 1)[0] for name in vectors})
    for person in people:
        a, b = (vectors[n] for n in sorted(vectors) if n.startswith(person))
        same = float(a @ b)
        strangers = [float(a @ v) for n, v in vectors.items() if not n.startswith(person)]
        assert same > max(strangers) + 0.2, person


def test_swapped_colour_channels_hurt(model: ArcFaceModel, crops: dict[str, RgbArray]) -> None:
    # A BGR/RGB mix-up must not go unnoticed: it moves the vector measurably.
    crop = next(iter(crops.values()))
    right, swapped = model.embed(np.stack([crop, crop[..., ::-1]]))
    assert float(right @ swapped) < 0.95


def test_warm_up_runs_every_power_of_two_batch(model: ArcFaceModel) -> None:
    assert model.warm_up(8) == [1, 2, 4, 8]
    assert model.warm_up(12) == [1, 2, 4, 8, 12]
    assert model.warm_up() == [1]


def test_empty_batch(model: ArcFaceModel) -> None:
    assert model.embed(np.empty((0, 112, 112, 3), dtype=np.uint8)).shape == (0, 512)


def test_rejects_a_non_arcface_model(tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "not_arcface",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 64, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 64, 64])],
    )
    path = tmp_path / "other.onnx"
    onnx.save(helper.make_model(graph), str(path))
    with pytest.raises(ValueError, match="112"):
        ArcFaceModel(path, ["CPUExecutionProvider"], max_batch=4)


def test_fp32_on_cpu_even_when_fp16_is_asked(model: ArcFaceModel) -> None:
    # fp16 is the default, but the CPU provider has no fast half precision: it must not be used there.
    assert model.precision == "fp32"


def test_fp16_copy_keeps_float32_at_its_edges(model_path: Path) -> None:
    # What the CUDA provider runs: weights in half precision, callers still send and get float32.
    import onnx

    half = to_fp16(onnx.load(str(model_path)))
    edges = [*half.graph.input, *half.graph.output]
    assert {v.type.tensor_type.elem_type for v in edges} == {onnx.TensorProto.FLOAT}
    weights = {t.data_type for t in half.graph.initializer if len(t.dims) == 4}
    assert weights == {onnx.TensorProto.FLOAT16}


def test_tensorrt_options_cover_every_batch_the_batcher_sends(tmp_path: Path) -> None:
    runtime = Runtime(fp16=True, trt_cache_dir=tmp_path)
    options = provider_options("TensorrtExecutionProvider", runtime, "crops", max_batch=64)
    assert options["trt_fp16_enable"] == "True"
    assert options["trt_engine_cache_path"] == str(tmp_path)
    assert options["trt_profile_min_shapes"] == "crops:1x112x112x3"
    assert options["trt_profile_max_shapes"] == "crops:64x112x112x3"
    assert provider_options("CPUExecutionProvider", runtime, "crops", 64) == {}


def test_graph_takes_uint8_crops_and_normalises_them(model_path: Path) -> None:
    # The provider (a GPU's, where there is one) does the cast, layout and scaling, not numpy.
    import onnx

    for half, source in enumerate((onnx.load(str(model_path)), to_fp16(onnx.load(str(model_path))))):
        wrapped = with_preprocessing(source, 127.5, 127.5)
        if not half:  # (the fp16 converter's own output is not topologically sorted: ORT sorts it)
            onnx.checker.check_model(wrapped, full_check=True)  # types and shapes line up
        graph = wrapped.graph
        (crops,) = graph.input
        assert crops.type.tensor_type.elem_type == onnx.TensorProto.UINT8
        assert [d.dim_value for d in crops.type.tensor_type.shape.dim][1:] == [112, 112, 3]
        assert [n.op_type for n in graph.node[:4]] == ["Cast", "Transpose", "Sub", "Div"]
    # A model that normalises itself gets the crops as float NCHW, unscaled.
    original = onnx.load(str(model_path))
    model_input = original.graph.input[0].name
    self_normalising = with_preprocessing(original, 0.0, 1.0).graph
    assert [n.op_type for n in self_normalising.node[:2]] == ["Cast", "Transpose"]
    assert self_normalising.node[1].output[0] == model_input
