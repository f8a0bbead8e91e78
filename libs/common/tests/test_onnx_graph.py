"""PRelu rewritten for ONNX Runtime's CPU provider: same values to the bit, no PRelu left where it applies."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from facerec_common.onnx_graph import prelu_as_convolutions

CHANNELS = 6


def _model() -> onnx.ModelProto:
    """conv -> PRelu (per channel) -> PRelu (one shared slope) -> flatten -> PRelu on a vector."""
    rng = np.random.default_rng(7)
    # Negative, zero, fractional and above-one slopes: the rewrite must hold for any.
    spatial = np.array([-0.8, 0.0, 0.25, 0.5, 1.0, 1.7], np.float32).reshape(CHANNELS, 1, 1)
    constants = {
        "kernel": rng.standard_normal((CHANNELS, 3, 3, 3)).astype(np.float32),
        "spatial": spatial,
        "shared": np.array([0.3], np.float32),
        "flat": rng.uniform(-1, 1, CHANNELS * 6 * 6).astype(np.float32),
    }
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["x", "kernel"], ["c"], kernel_shape=[3, 3]),
            helper.make_node("PRelu", ["c", "spatial"], ["p"]),
            helper.make_node("PRelu", ["p", "shared"], ["q"]),
            helper.make_node("Flatten", ["q"], ["f"]),
            helper.make_node("PRelu", ["f", "flat"], ["y"]),
        ],
        "prelus",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", CHANNELS * 6 * 6])],
        [numpy_helper.from_array(v, k) for k, v in constants.items()],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return np.asarray(session.run(None, {"x": x})[0])


def test_same_values_to_the_bit() -> None:
    original = _model()
    rewritten = prelu_as_convolutions(original)
    x = np.random.default_rng(0).standard_normal((4, 3, 8, 8)).astype(np.float32)
    x[0, :, :2] = 0.0  # zeros (and their conv outputs) take the positive side
    assert np.array_equal(_run(rewritten, x), _run(original, x))


def test_only_per_channel_image_slopes_are_rewritten() -> None:
    original = _model()
    rewritten = prelu_as_convolutions(original)
    onnx.checker.check_model(rewritten, full_check=True)
    ops = [n.op_type for n in rewritten.graph.node]
    # The (C, 1, 1) slope became ReLUs and depthwise convolutions; the others stay PRelu.
    assert ops.count("PRelu") == 2
    assert ops.count("Conv") == 3
    assert {t.name for t in rewritten.graph.initializer} >= {"shared", "flat"}
    assert "spatial" not in {t.name for t in rewritten.graph.initializer}  # no unused constant left
    assert [n.op_type for n in original.graph.node].count("PRelu") == 3  # the input is not changed
