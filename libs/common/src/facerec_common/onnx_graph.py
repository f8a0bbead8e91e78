"""Rewrites of ONNX graphs that make them faster on ONNX Runtime's CPU provider, same values out.

For the services that run ONNX models (detector, embedder; they install `onnx`).
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper


def prelu_as_convolutions(model: onnx.ModelProto) -> onnx.ModelProto:
    """`model` with each per-channel PRelu of an image tensor as ReLUs and 1x1 depthwise convolutions.

    ONNX Runtime's CPU provider runs PRelu outside its blocked (NCHWc) layout: each one costs a
    slow broadcast and two layout reorders around it (a third of ArcFace MobileFaceNet's time,
    and of MTCNN's). As y = relu(x) + (-a) * relu(-x), with the products as depthwise 1x1
    convolutions that fuse with their ReLU and the sum, everything stays blocked. Bit-exact:
    per element one term is zero and the other is one rounded product, as in PRelu.
    Slopes that are not constants of shape (C, 1, 1) are left as they are.
    """
    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    constants = {t.name: t for t in graph.initializer}
    nodes: list[onnx.NodeProto] = []
    replaced: set[str] = set()
    for node in graph.node:
        slope = constants.get(node.input[1]) if node.op_type == "PRelu" else None
        alpha = numpy_helper.to_array(slope) if slope is not None else None
        if alpha is None or alpha.ndim != 3 or alpha.shape[1:] != (1, 1):
            nodes.append(node)
            continue
        x, y = node.input[0], node.output[0]
        replaced.add(node.input[1])
        channels = alpha.shape[0]
        flip, scale = f"{y}/flip", f"{y}/scale"
        graph.initializer.extend(
            [
                numpy_helper.from_array(np.full((channels, 1, 1, 1), -1.0, alpha.dtype), flip),
                numpy_helper.from_array((-alpha).reshape(channels, 1, 1, 1), scale),
            ]
        )
        depthwise = {"group": channels, "kernel_shape": [1, 1]}
        nodes += [
            helper.make_node("Relu", [x], [f"{y}/positive"]),
            helper.make_node("Conv", [x, flip], [f"{y}/flipped"], **depthwise),
            helper.make_node("Relu", [f"{y}/flipped"], [f"{y}/negative"]),
            helper.make_node("Conv", [f"{y}/negative", scale], [f"{y}/scaled"], **depthwise),
            helper.make_node("Add", [f"{y}/scaled", f"{y}/positive"], [y]),
        ]
    del graph.node[:]
    graph.node.extend(nodes)
    # The slopes nothing reads any more (ONNX Runtime warns of unused constants).
    used = {name for node in graph.node for name in node.input} | {i.name for i in graph.input}
    for tensor in [t for t in graph.initializer if t.name in replaced and t.name not in used]:
        graph.initializer.remove(tensor)
    return out
