"""The ONNX Runtime backend: the exported graph run by ONNX Runtime on the CPU.

On CPUs, ONNX Runtime's fused kernels (GELU, layer norm, MatMul + bias) spend
less time outside the matrix products than eager torch, at fp32 and with logits
within a few 1e-6 of torch's. ``precision="int8"`` runs the same graph with its
linear layers quantized by ONNX Runtime's own dynamic quantizer (int8 weights
per output channel, activations quantized per batch).
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile

import numpy as np
import torch

from ._base import Backend, install_hint
from ._export import build_checked

# int8 changes the logits by design: the probe only catches a broken graph.
_INT8_PROBE_TOLERANCE = 0.5


class OnnxRuntimeBackend(Backend):
    name = "onnxruntime"
    title = "ONNX Runtime"
    modules = ("onnxruntime", "onnx")
    extra = install_hint("onnx", modules)
    summary = "the exported graph run by ONNX Runtime; fp32 and int8 on the CPU"
    cpu_precisions = ("fp32", "int8")

    @classmethod
    def build(cls, network, device, precision, probe):
        threads = torch.get_num_threads()
        if precision == "int8":
            return build_checked(
                network,
                probe,
                lambda graph: OnnxRunner(graph.data, threads),
                tolerance=_INT8_PROBE_TOLERANCE,
                # The quantized graph depends on the quantizer: its version is in the name.
                variant=(f"int8-onnxruntime{_onnxruntime_version()}", quantize_int8),
            )
        return build_checked(network, probe, lambda graph: OnnxRunner(graph.data, threads))


def quantize_int8(graph):
    """The graph with its MatMul weights quantized to int8 per output channel."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(prefix="sklearn-nli-int8-") as folder:
        source, target = os.path.join(folder, "fp32.onnx"), os.path.join(folder, "int8.onnx")
        with open(source, "wb") as handle:
            handle.write(graph)
        # The quantizer logs advice about pre-processing on the root logger: not the user's concern.
        with _root_logging_at(logging.ERROR):
            quantize_dynamic(
                source,
                target,
                per_channel=True,
                weight_type=QuantType.QInt8,
                op_types_to_quantize=["MatMul"],
            )
        with open(target, "rb") as handle:
            return handle.read()


@contextlib.contextmanager
def _root_logging_at(level):
    root = logging.getLogger()
    previous = root.level
    root.setLevel(max(level, previous))
    try:
        yield
    finally:
        root.setLevel(previous)


def _onnxruntime_version():
    import onnxruntime

    return onnxruntime.__version__


class OnnxRunner:
    """Runs an exported model with ONNX Runtime on the CPU.

    Parameters
    ----------
    graph : bytes
        A serialized ONNX model.
    n_threads : int
        Intra-op threads (torch's setting, so all backends use the same cores).
    """

    def __init__(self, graph, n_threads):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = n_threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(
            graph, options, providers=["CPUExecutionProvider"]
        )
        self.input_names = [node.name for node in self.session.get_inputs()]

    def __call__(self, inputs):
        """Logits (float32 array) of a batch given as int64 arrays by input name."""
        feed = {name: inputs[name] for name in self.input_names}
        return np.asarray(self.session.run(None, feed)[0], dtype=np.float32)
