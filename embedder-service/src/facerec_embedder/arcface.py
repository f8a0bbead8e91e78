"""An ArcFace ONNX model behind one small interface: aligned RGB crops in, unit vectors out."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from facerec_common.models import known_by_version
from facerec_common.onnx_graph import prelu_as_convolutions
from facerec_embedder import metrics

log = logging.getLogger(__name__)

INPUT_SIZE = 112
CROPS = "crops"  # the graph's input: [N,112,112,3] uint8 RGB, as aligned


@dataclass(frozen=True)
class ModelIdentity:
    name: str
    version: str
    dimension: int


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _normalisation(graph: onnx.GraphProto) -> tuple[float, float]:
    """(mean, std) the model expects: 0/1 when it normalises itself (leading Sub+Mul), else 127.5/127.5.

    The same rule InsightFace's ArcFaceONNX applies to its model zoo.
    """
    ops = [node.op_type for node in graph.node[:8]]
    if "Sub" in ops and "Mul" in ops:
        return 0.0, 1.0
    return 127.5, 127.5


def _dynamic_batch(model: onnx.ModelProto) -> None:
    # Many exported ArcFace files declare batch 1; ORT then warns on every larger batch.
    for value in [*model.graph.input, *model.graph.output]:
        dims = value.type.tensor_type.shape.dim
        if dims:
            dims[0].ClearField("dim_value")
            dims[0].dim_param = "batch"


GPU_PROVIDERS = ("TensorrtExecutionProvider", "CUDAExecutionProvider")


@dataclass(frozen=True)
class Runtime:
    """How the model runs beyond the provider list: precision, and where TensorRT keeps engines."""

    fp16: bool = True  # where the provider allows it: TensorRT engines, a converted copy on CUDA
    intra_op_threads: int = 0
    # ONNX Runtime's CPU threads busy-wait for work by default: a little faster alone, but on a
    # few cores shared with the other services the spinning takes CPU they need (make bench:
    # x1.16 recognitions/s, p95 -15 % without it on 2 cores).
    spin_wait: bool = False
    trt_cache_dir: Path = Path(".cache/tensorrt")


def provider_options(provider: str, runtime: Runtime, input_name: str, max_batch: int) -> dict[str, str]:
    if provider == "TensorrtExecutionProvider":
        shape = f"{input_name}:{{}}x{INPUT_SIZE}x{INPUT_SIZE}x3"
        return {
            "trt_fp16_enable": str(runtime.fp16),
            # Building an engine takes minutes; keep it for the next start.
            "trt_engine_cache_enable": "True",
            "trt_engine_cache_path": str(runtime.trt_cache_dir),
            # One engine for every batch size the batcher may send.
            "trt_profile_min_shapes": shape.format(1),
            "trt_profile_opt_shapes": shape.format(max_batch),
            "trt_profile_max_shapes": shape.format(max_batch),
        }
    if provider == "CUDAExecutionProvider":
        return {"cudnn_conv_algo_search": "EXHAUSTIVE", "do_copy_in_default_stream": "True"}
    return {}


def with_preprocessing(model: onnx.ModelProto, mean: float, std: float) -> onnx.ModelProto:
    """Take [N,112,112,3] uint8 crops as they come and normalise inside the graph.

    On a GPU the provider then does the cast, layout change and scaling, and a quarter of the
    bytes cross to the device; done in numpy they cost the host ~40 ms per 256 faces, more
    than R100 takes on the GPU.
    """
    graph = model.graph
    original = graph.input[0]
    batch = original.type.tensor_type.shape.dim[0]
    crops = helper.make_tensor_value_info(
        CROPS, TensorProto.UINT8, [batch.dim_param or batch.dim_value or "batch", INPUT_SIZE, INPUT_SIZE, 3]
    )
    nodes = [
        helper.make_node("Cast", [CROPS], ["crops_float"], to=TensorProto.FLOAT),
        helper.make_node("Transpose", ["crops_float"], ["crops_nchw"], perm=[0, 3, 1, 2]),
    ]
    if (mean, std) == (0.0, 1.0):
        nodes[-1].output[0] = original.name
    else:
        graph.initializer.extend(
            [
                numpy_helper.from_array(np.array(mean, dtype=np.float32), "crops_mean"),
                numpy_helper.from_array(np.array(std, dtype=np.float32), "crops_std"),
            ]
        )
        nodes += [
            helper.make_node("Sub", ["crops_nchw", "crops_mean"], ["crops_centred"]),
            helper.make_node("Div", ["crops_centred", "crops_std"], [original.name]),
        ]
    for node in reversed(nodes):
        graph.node.insert(0, node)
    graph.input.remove(original)
    graph.input.insert(0, crops)
    return model


def to_fp16(model: onnx.ModelProto) -> onnx.ModelProto:
    """Weights and activations in half precision; input and output stay float32 for callers."""
    from onnxruntime.transformers.float16 import convert_float_to_float16

    converted: onnx.ModelProto = convert_float_to_float16(model, keep_io_types=True)
    return converted


class ArcFaceModel:
    def __init__(self, path: Path, providers: list[str], max_batch: int, runtime: Runtime | int | None = None) -> None:
        runtime = runtime if isinstance(runtime, Runtime) else Runtime(intra_op_threads=runtime or 0)
        sha256 = file_sha256(path)
        version = sha256[:12]
        known = known_by_version(version)
        model = onnx.load(str(path))
        shape = [d.dim_value or d.dim_param for d in model.graph.input[0].type.tensor_type.shape.dim]
        if shape[1:] != [3, INPUT_SIZE, INPUT_SIZE]:
            raise ValueError(f"{path}: expected an ArcFace input of [N,3,112,112], got {shape}")
        normalisation = _normalisation(model.graph)
        _dynamic_batch(model)

        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = runtime.intra_op_threads
        if not runtime.spin_wait:
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        available = set(ort.get_available_providers())
        chosen = [p for p in providers if p in available] or ["CPUExecutionProvider"]
        # TensorRT makes its own fp16 engine; CUDA needs the model converted; CPU stays fp32.
        self.precision = "fp16" if runtime.fp16 and chosen[0] in GPU_PROVIDERS else "fp32"
        if self.precision == "fp16" and chosen[0] == "CUDAExecutionProvider":
            model = to_fp16(model)
        if chosen[0] == "CPUExecutionProvider":
            model = prelu_as_convolutions(model)
        model = with_preprocessing(model, *normalisation)
        if "TensorrtExecutionProvider" in chosen:
            runtime.trt_cache_dir.mkdir(parents=True, exist_ok=True)
        with_options = [(p, provider_options(p, runtime, CROPS, max_batch)) for p in chosen]
        self._session = ort.InferenceSession(model.SerializeToString(), options, providers=with_options)
        self._input = self._session.get_inputs()[0].name
        self._output = self._session.get_outputs()[0].name
        self.provider: str = self._session.get_providers()[0]
        # I/O binding: the output stays where the model ran until one copy back (no staging per run).
        self._device = "cuda" if self.provider in GPU_PROVIDERS else "cpu"
        self._max_batch = max_batch

        dimension = int(self._session.get_outputs()[0].shape[1])
        self.identity = ModelIdentity(name=known.name if known else path.stem, version=version, dimension=dimension)
        log.info(
            "loaded %s (version %s, %d-d) on %s in %s; sha256 %s",
            self.identity.name,
            version,
            dimension,
            self.provider,
            self.precision,
            sha256,
        )

    def embed(self, crops: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """[N,112,112,3] RGB uint8 -> [N,D] float32 with unit L2 norm."""
        if len(crops) == 0:
            return np.empty((0, self.identity.dimension), dtype=np.float32)
        outputs = [self._run(crops[i : i + self._max_batch]) for i in range(0, len(crops), self._max_batch)]
        vectors = np.concatenate(outputs).astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit: npt.NDArray[np.float32] = vectors / np.maximum(norms, 1e-12)
        return unit

    def _run(self, crops: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        metrics.BATCH_FACES.observe(len(crops))
        metrics.FACES.inc(len(crops))
        blob = np.ascontiguousarray(crops, dtype=np.uint8)
        binding = self._session.io_binding()
        binding.bind_ortvalue_input(self._input, ort.OrtValue.ortvalue_from_numpy(blob, self._device, 0))
        binding.bind_output(self._output, self._device)
        self._session.run_with_iobinding(binding)
        result: npt.NDArray[np.float32] = binding.copy_outputs_to_cpu()[0]
        return result

    def warm_up(self, largest_batch: int = 1) -> list[int]:
        """Run batches of 1, 2, 4 ... `largest_batch` faces once, so early callers do not pay a
        provider's first-run cost for those shapes (cuDNN and TensorRT pick kernels per shape).
        Returns the batch sizes run."""
        shapes = sorted({min(1 << i, largest_batch) for i in range(max(largest_batch, 1).bit_length() + 1)})
        for batch in shapes:
            self.embed(np.zeros((batch, INPUT_SIZE, INPUT_SIZE, 3), dtype=np.uint8))
        return shapes
