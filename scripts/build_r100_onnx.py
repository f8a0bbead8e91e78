"""Build an ONNX graph of ArcFace's IResNet-100 (InsightFace's `glintr100`/`r100`) with random
weights, to measure its cost where the trained weights are not at hand: speed does not depend
on the weights, so this file runs exactly as fast as the real one and answers nonsense.

Architecture as insightface's iresnet100: a 3x3 stem of 64 channels, four stages of 3 / 13 /
30 / 3 IBasicBlocks (BN, conv3x3, BN, PReLU, conv3x3, BN, plus a 1x1 projection where the
stage halves the resolution) with 64 / 128 / 256 / 512 channels, then BN, a 25,088 x 512
fully connected layer and BN: 65.2M parameters, 24.2 GFLOPs per 112x112 face.

    .venv/bin/python scripts/build_r100_onnx.py [--out models/r100-random.onnx]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parents[1]
STAGES = ((64, 3), (128, 13), (256, 30), (512, 3))


class Graph:
    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.weights: list[onnx.TensorProto] = []
        self.parameters = 0
        self.flops = 0
        self._names = 0

    def name(self, kind: str) -> str:
        self._names += 1
        return f"{kind}_{self._names}"

    def tensor(self, array: np.ndarray, kind: str) -> str:  # type: ignore[type-arg]
        name = self.name(kind)
        self.weights.append(numpy_helper.from_array(array.astype(np.float32), name))
        self.parameters += array.size
        return name

    def conv(self, x: str, cin: int, cout: int, kernel: int, stride: int, side: int) -> tuple[str, int]:
        fan_in = cin * kernel * kernel
        w = self.tensor(self.rng.normal(0, np.sqrt(1.0 / fan_in), (cout, cin, kernel, kernel)), "w")
        out = self.name("conv")
        pad = kernel // 2
        self.nodes.append(
            helper.make_node(
                "Conv", [x, w], [out], kernel_shape=[kernel, kernel], strides=[stride, stride], pads=[pad] * 4
            )
        )
        side_out = side // stride
        self.flops += 2 * fan_in * cout * side_out * side_out
        return out, side_out

    def bn(self, x: str, channels: int) -> str:
        scale = self.tensor(np.ones(channels), "gamma")
        bias = self.tensor(np.zeros(channels), "beta")
        mean = self.tensor(np.zeros(channels), "mean")
        var = self.tensor(np.ones(channels), "var")
        out = self.name("bn")
        self.nodes.append(helper.make_node("BatchNormalization", [x, scale, bias, mean, var], [out], epsilon=1e-5))
        return out

    def prelu(self, x: str, channels: int) -> str:
        slope = self.tensor(np.full((channels, 1, 1), 0.25), "slope")
        out = self.name("prelu")
        self.nodes.append(helper.make_node("PRelu", [x, slope], [out]))
        return out

    def add(self, a: str, b: str) -> str:
        out = self.name("add")
        self.nodes.append(helper.make_node("Add", [a, b], [out]))
        return out


def build(seed: int = 0) -> tuple[onnx.ModelProto, int, int]:
    g = Graph(seed)
    x, side = g.conv("data", 3, 64, 3, 1, 112)
    x = g.prelu(g.bn(x, 64), 64)
    channels = 64
    for planes, blocks in STAGES:
        for block in range(blocks):
            stride = 2 if block == 0 else 1
            y = g.bn(x, channels)
            y, _ = g.conv(y, channels, planes, 3, 1, side)
            y = g.prelu(g.bn(y, planes), planes)
            y, side_out = g.conv(y, planes, planes, 3, stride, side)
            y = g.bn(y, planes)
            if stride != 1 or channels != planes:
                shortcut, _ = g.conv(x, channels, planes, 1, stride, side)
                shortcut = g.bn(shortcut, planes)
            else:
                shortcut = x
            x, side, channels = g.add(y, shortcut), side_out, planes
    x = g.bn(x, channels)
    flat = g.name("flatten")
    g.nodes.append(helper.make_node("Flatten", [x], [flat], axis=1))
    fc_in = channels * side * side
    w = g.tensor(g.rng.normal(0, np.sqrt(1.0 / fc_in), (fc_in, 512)), "fc_w")
    b = g.tensor(np.zeros(512), "fc_b")
    fc = g.name("fc")
    g.nodes.append(helper.make_node("Gemm", [flat, w, b], [fc]))
    g.flops += 2 * fc_in * 512
    out = g.bn(fc, 512)
    g.nodes.append(helper.make_node("Identity", [out], ["fc1"]))
    graph = helper.make_graph(
        g.nodes,
        "iresnet100_random",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, ["batch", 3, 112, 112])],
        [helper.make_tensor_value_info("fc1", TensorProto.FLOAT, ["batch", 512])],
        g.weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="facerec")
    model.ir_version = 8
    return model, g.parameters, g.flops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "r100-random.onnx")
    args = parser.parse_args()
    model, parameters, flops = build()
    onnx.checker.check_model(model)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(args.out))
    print(f"{args.out}: {parameters / 1e6:.1f}M parameters, {flops / 1e9:.1f} GFLOPs per face")


if __name__ == "__main__":
    main()
