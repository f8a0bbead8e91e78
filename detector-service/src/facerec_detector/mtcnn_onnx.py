"""MTCNN on ONNX Runtime: the `mtcnn` wheel's published weights and its exact cascade, without
TensorFlow.

The three networks are rebuilt as ONNX graphs from the wheel's weight files when the detector
starts (a few ms; nothing is downloaded or written), and the steps between them (pyramid, proposal
decoding, NMS, crops, box regression) follow mtcnn 1.0.0 step by step, so both runtimes find the
same faces (tests/test_mtcnn_runtimes.py holds them to it). What changes is the cost: no
TensorFlow import (~3 s, ~600 MB), no eager-op overhead per layer, and each stage's crops run as
one batch.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import joblib  # type: ignore[import-untyped]
import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from facerec_common.onnx_graph import prelu_as_convolutions
from facerec_common.rgb import RgbArray
from facerec_detector.pyramid import scale_pyramid

Array = npt.NDArray[np.float32]
# Rows as mtcnn's numpy output: x1, y1, x2, y2, score, then 5 landmark x and 5 landmark y.
Rows = npt.NDArray[np.float64]

# mtcnn 1.0.0's defaults.
PNET_THRESHOLD, RNET_THRESHOLD, ONET_THRESHOLD = 0.6, 0.7, 0.8
PNET_NMS_SCALE, PNET_NMS_ALL, RNET_NMS, ONET_NMS = 0.5, 0.7, 0.7, 0.7
PNET_STRIDE, PNET_CELL = 2, 12


def _weights(name: str) -> list[npt.NDArray[np.float32]]:
    """The wheel's weights for one network, found without importing `mtcnn` (which imports TensorFlow)."""
    spec = importlib.util.find_spec("mtcnn")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the mtcnn package (which ships the MTCNN weights) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "assets" / "weights" / f"{name}.lz4"
    return [np.asarray(w, dtype=np.float32) for w in joblib.load(path)]


class _Net:
    """Keras layer order in, ONNX NCHW graph out. Inputs and outputs are NHWC like the Keras models."""

    def __init__(self, weights: Sequence[npt.NDArray[np.float32]]) -> None:
        self._weights = list(weights)
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def _name(self, kind: str) -> str:
        self._count += 1
        return f"{kind}{self._count}"

    def _const(self, array: npt.NDArray[Any]) -> str:
        name = self._name("w")
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def _node(self, op: str, inputs: list[str], **attributes: Any) -> str:
        out = self._name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], **attributes))
        return out

    def _take(self) -> npt.NDArray[np.float32]:
        return self._weights.pop(0)

    def transpose(self, x: str, perm: list[int]) -> str:
        return self._node("Transpose", [x], perm=perm)

    def conv(self, x: str) -> str:
        kernel, bias = self._take(), self._take()  # HWIO
        w = self._const(kernel.transpose(3, 2, 0, 1))
        return self._node("Conv", [x, w, self._const(bias)], kernel_shape=list(kernel.shape[:2]))

    def prelu(self, x: str, spatial: bool = True) -> str:
        alpha = self._take().reshape(-1)
        return self._node("PRelu", [x, self._const(alpha.reshape(-1, 1, 1) if spatial else alpha)])

    def pool(self, x: str, size: int, same: bool) -> str:
        # Keras "same" pads at the bottom/right, as ONNX's SAME_UPPER.
        pad = "SAME_UPPER" if same else "VALID"
        return self._node("MaxPool", [x], kernel_shape=[size, size], strides=[2, 2], auto_pad=pad)

    def flatten_whc(self, x: str) -> str:
        # Keras permutes (H, W, C) to (W, H, C) before flattening.
        shape = self._const(np.array([0, -1], dtype=np.int64))
        return self._node("Reshape", [self.transpose(x, [0, 3, 2, 1]), shape])

    def dense(self, x: str, softmax: bool = False) -> str:
        kernel, bias = self._take(), self._take()
        y = self._node("Gemm", [x, self._const(kernel), self._const(bias)])
        return self._node("Softmax", [y], axis=-1) if softmax else y

    def model(self, inputs: list[onnx.ValueInfoProto], outputs: list[tuple[str, str, list[Any]]]) -> bytes:
        if self._weights:
            raise ValueError(f"{len(self._weights)} weight arrays left unused: the architecture does not match")
        for name, renamed, _ in outputs:
            self.nodes.append(helper.make_node("Identity", [name], [renamed]))
        graph = helper.make_graph(
            self.nodes,
            "mtcnn",
            inputs,
            [helper.make_tensor_value_info(renamed, TensorProto.FLOAT, shape) for _, renamed, shape in outputs],
            self.initializers,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        onnx.checker.check_model(model)
        return model.SerializeToString()


def _input(side: int | None) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info("image", TensorProto.FLOAT, ["n", side or "h", side or "w", 3])


GRID = ["n", "rows", "columns"]  # PNet's output: one cell per 12x12 window, stride 2


def pnet_model() -> bytes:
    net = _Net(_weights("pnet"))
    x = net.transpose("image", [0, 3, 1, 2])
    x = net.pool(net.prelu(net.conv(x)), 2, same=True)
    x = net.prelu(net.conv(net.prelu(net.conv(x))))
    reg = net.transpose(net.conv(x), [0, 2, 3, 1])
    prob = net.transpose(net._node("Softmax", [net.conv(x)], axis=1), [0, 2, 3, 1])
    return net.model([_input(None)], [(reg, "reg", [*GRID, 4]), (prob, "prob", [*GRID, 2])])


def rnet_model() -> bytes:
    net = _Net(_weights("rnet"))
    x = net.transpose("image", [0, 3, 1, 2])
    x = net.pool(net.prelu(net.conv(x)), 3, same=True)
    x = net.pool(net.prelu(net.conv(x)), 3, same=False)
    x = net.flatten_whc(net.prelu(net.conv(x)))
    x = net.prelu(net.dense(x), spatial=False)
    return net.model([_input(24)], [(net.dense(x), "reg", ["n", 4]), (net.dense(x, softmax=True), "prob", ["n", 2])])


def onet_model() -> bytes:
    net = _Net(_weights("onet"))
    x = net.transpose("image", [0, 3, 1, 2])
    x = net.pool(net.prelu(net.conv(x)), 3, same=True)
    x = net.pool(net.prelu(net.conv(x)), 3, same=False)
    x = net.pool(net.prelu(net.conv(x)), 2, same=True)
    x = net.flatten_whc(net.prelu(net.conv(x)))
    x = net.prelu(net.dense(x), spatial=False)
    reg, landmarks, prob = net.dense(x), net.dense(x), net.dense(x, softmax=True)
    return net.model(
        [_input(48)], [(reg, "reg", ["n", 4]), (landmarks, "landmarks", ["n", 10]), (prob, "prob", ["n", 2])]
    )


# --- the cascade's steps, as mtcnn 1.0.0 takes them -------------------------------------------


def _nms(rows: Rows, threshold: float, method: str = "union") -> Rows:
    """mtcnn's NMS: rows sorted by score; a row is dropped when any higher-scored row overlaps it
    by more than `threshold`, even one itself dropped (not the textbook greedy NMS)."""
    if len(rows) < 2:
        return rows
    x1, y1, x2, y2 = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
    area = (x2 - x1) * (y2 - y1)
    iw = np.maximum(0.0, np.minimum(x2[:, None], x2[None]) - np.maximum(x1[:, None], x1[None]))
    ih = np.maximum(0.0, np.minimum(y2[:, None], y2[None]) - np.maximum(y1[:, None], y1[None]))
    inter = iw * ih
    if method == "union":
        overlap = inter / (area[:, None] + area[None] - inter)
    else:
        overlap = inter / np.minimum(area[:, None], area[None])
    suppressed = np.triu(overlap > threshold, k=1).any(axis=0)
    kept: Rows = rows[~suppressed]
    return kept


def _by_score(rows: Rows, column: int = 4) -> Rows:
    return rows[np.argsort(rows[:, column])[::-1]]


def _square(rows: Rows) -> Rows:
    rows = rows.copy()
    w, h = rows[:, 2] - rows[:, 0], rows[:, 3] - rows[:, 1]
    side = np.maximum(w, h)
    rows[:, 0] += w * 0.5 - side * 0.5
    rows[:, 1] += h * 0.5 - side * 0.5
    rows[:, 2] = rows[:, 0] + side
    rows[:, 3] = rows[:, 1] + side
    return rows


def _regress(rows: Rows, offsets: Array) -> Rows:
    rows = rows.copy()
    w = rows[:, 2] - rows[:, 0] + 1
    h = rows[:, 3] - rows[:, 1] + 1
    rows[:, 0:4] += offsets * np.stack([w, h, w, h], axis=-1)
    return rows


# cv2.remap takes maps (and images) under 32767 rows.
REMAP_MAX_ROWS = 32_000


def _crops(image: Array, rows: Rows, side: int) -> Array:
    """tf.image.crop_and_resize of each row's box: bilinear, corners on pixel centres, zeros outside.

    One cv2.remap over all boxes stacked (8x faster than numpy's gathers; same values within
    2e-5): edge pixels repeat for samples inside the image, as TensorFlow clamps, and samples
    outside it are zeroed after, as TensorFlow's extrapolation value.
    """
    height, width = image.shape[:2]
    steps = np.arange(side) / (side - 1)

    def axis(lo: Rows, hi: Rows, size: int) -> npt.NDArray[np.float32]:
        # The box is normalised by the size, then sampled over size - 1, as TensorFlow does.
        start, end = lo / size * (size - 1), hi / size * (size - 1)
        return (start[:, None] + (end - start)[:, None] * steps[None]).astype(np.float32)

    ys, xs = axis(rows[:, 1], rows[:, 3], height), axis(rows[:, 0], rows[:, 2], width)
    out = np.empty((len(rows), side, side, image.shape[2]), np.float32)
    per_call = REMAP_MAX_ROWS // side  # boxes stacked in one cv2.remap
    for at in range(0, len(rows), per_call):
        y, x = ys[at : at + per_call], xs[at : at + per_call]
        count = len(y)
        map_x = np.ascontiguousarray(np.broadcast_to(x[:, None, :], (count, side, side)).reshape(count * side, side))
        map_y = np.ascontiguousarray(np.broadcast_to(y[:, :, None], (count, side, side)).reshape(count * side, side))
        sampled = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        out[at : at + count] = sampled.reshape(count, side, side, image.shape[2])
    inside = ((ys >= 0) & (ys <= height - 1))[:, :, None] & ((xs >= 0) & (xs <= width - 1))[:, None, :]
    out *= inside[..., None]
    return out


class OnnxMtcnn:
    """MTCNN's three stages on ONNX Runtime; `detect` answers as `MTCNN.detect_faces(..., output_type="numpy")`."""

    def __init__(self, threads: int = 1) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # No arena: it grows to the largest pyramid level ever seen and never shrinks, so one
        # large photo would keep hundreds of MB resident for good.
        options.enable_cpu_mem_arena = False

        def session(model: bytes) -> ort.InferenceSession:
            fast = prelu_as_convolutions(onnx.load_from_string(model)).SerializeToString()
            return ort.InferenceSession(fast, options, providers=["CPUExecutionProvider"])

        self._pnet, self._rnet, self._onet = session(pnet_model()), session(rnet_model()), session(onet_model())

    def rows(self, image: RgbArray, min_face_size: float) -> npt.NDArray[np.float64]:
        """Rows of x, y, width, height, score, 5 landmark x, 5 landmark y."""
        height, width = image.shape[:2]
        rows = self.detect(image, scale_pyramid(width, height, min_face_size)).astype(np.float64)
        rows[:, 2:4] -= rows[:, 0:2]
        return rows

    def detect(self, image: npt.NDArray[np.uint8], scales: npt.NDArray[np.float64]) -> Rows:
        """Faces in an RGB image at the pyramid `scales`: rows of x1, y1, x2, y2, score, 10 landmarks."""
        normalized = (image.astype(np.float32) - 127.5) / 128.0
        rows = self._proposals(normalized, scales)
        if len(rows):
            rows = self._refine(normalized, rows)
        if len(rows):
            rows = self._output(normalized, rows)
        if len(rows):
            height, width = image.shape[:2]
            rows[:, [0, 2]] = np.clip(rows[:, [0, 2]], 0, width - 1)
            rows[:, [1, 3]] = np.clip(rows[:, [1, 3]], 0, height - 1)
        return rows

    def _proposals(self, image: Array, scales: npt.NDArray[np.float64]) -> Rows:
        height, width = image.shape[:2]
        found = []
        for scale in scales:
            # TensorFlow's area resize truncates the size; OpenCV's area resize matches its values.
            size = (int(width * scale), int(height * scale))
            level = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
            reg, prob = self._pnet.run(None, {"image": level[None]})
            ys, xs = np.nonzero(prob[0, :, :, 1] > PNET_THRESHOLD)
            if not len(ys):
                continue
            offsets = reg[0, ys, xs].astype(np.float64)
            cell = PNET_CELL - 1
            left, top = xs * PNET_STRIDE + 1.0, ys * PNET_STRIDE + 1.0
            boxes = np.stack([left, top, left + cell, top + cell], axis=1) + offsets * cell
            rows = np.concatenate([boxes / scale, prob[0, ys, xs, 1:2].astype(np.float64)], axis=1)
            found.append(_nms(_by_score(rows), PNET_NMS_SCALE))
        if not found:
            return np.empty((0, 5))
        return _square(_nms(_by_score(np.concatenate(found)), PNET_NMS_ALL))

    def _refine(self, image: Array, rows: Rows) -> Rows:
        reg, prob = self._rnet.run(None, {"image": _crops(image, rows, 24)})
        rows = rows.copy()
        rows[:, 4] = prob[:, 1]
        rows = _regress(rows, reg)
        rows = rows[rows[:, 4] > RNET_THRESHOLD]
        return _square(_nms(_by_score(rows), RNET_NMS))

    def _output(self, image: Array, rows: Rows) -> Rows:
        reg, landmarks, prob = self._onet.run(None, {"image": _crops(image, rows, 48)})
        w = rows[:, 2:3] - rows[:, 0:1] + 1
        h = rows[:, 3:4] - rows[:, 1:2] + 1
        points = np.concatenate(
            [w * landmarks[:, 0:5] + rows[:, 0:1] - 1, h * landmarks[:, 5:10] + rows[:, 1:2] - 1], 1
        )
        rows = rows.copy()
        rows[:, 4] = prob[:, 1]
        rows = np.concatenate([_regress(rows, reg), points], axis=1)
        rows = rows[rows[:, 4] > ONET_THRESHOLD]
        return _nms(_by_score(rows), ONET_NMS, method="min")
