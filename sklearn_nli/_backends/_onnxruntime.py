"""The ONNX Runtime backend: the torch model exported once, run by ONNX Runtime.

On CPUs, ONNX Runtime's fused kernels (GELU, layer norm, MatMul + bias) spend
less time outside the matrix products than eager torch, at fp32 and with logits
within a few 1e-6 of torch's. The export happens in memory when the engine
loads the model, and its logits are checked against torch's on a probe batch
before it is used; nothing is written to disk.
"""

from __future__ import annotations

import functools
import io
import warnings
from copy import deepcopy

import numpy as np
import torch

from ._base import Backend
from ._torch import TorchRunner, as_tensors

ONNX_EXTRA_HINT = "pip install 'sklearn-nli[onnx]' (onnxruntime and onnx)"

# Largest difference from torch's logits on the probe that still counts as the same model.
_PROBE_TOLERANCE = 1e-4


@functools.cache
def onnxruntime_available():
    """Whether the optional ``onnxruntime`` and ``onnx`` packages can be imported.

    Cached: every estimator call asks, and a failed import searches the path again.
    """
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


class OnnxRuntimeBackend(Backend):
    name = "onnxruntime"
    title = "ONNX Runtime"
    requirement = "onnxruntime and onnx"
    extra = ONNX_EXTRA_HINT

    @classmethod
    def is_available(cls):
        return onnxruntime_available()

    @classmethod
    def unsupported(cls, device, precision):
        if device == "cpu" and precision == "fp32":
            return None
        return (
            "backend='onnxruntime' runs fp32 on the CPU only, got "
            f"device={device!r} and precision={precision!r}; use backend='auto' or "
            "'torch' for other devices and precisions."
        )

    @classmethod
    def build(cls, network, device, precision, probe):
        expected = TorchRunner(network, "cpu", "fp32")(probe["check"])
        graph = export_onnx(network, as_tensors(probe["export"]))
        runner = OnnxRunner(graph, torch.get_num_threads())
        got = runner(probe["check"])
        if not np.allclose(got, expected, rtol=_PROBE_TOLERANCE, atol=_PROBE_TOLERANCE):
            raise RuntimeError(
                "the exported model's logits differ from torch's by up to "
                f"{np.abs(got - expected).max():.2g}"
            )
        return runner


class _LogitsOnly(torch.nn.Module):
    """Positional tensors in, logits out: the signature the exporter traces."""

    def __init__(self, network, input_names):
        super().__init__()
        self.network = network
        self.input_names = input_names

    def forward(self, *tensors):
        return self.network(**dict(zip(self.input_names, tensors))).logits


def export_onnx(network, example):
    """Serialized ONNX graph of ``network``, dynamic in batch size and sequence length.

    ``example`` maps input names to int64 tensors of shape (batch, length).
    A copy of the network is exported, with attention in its eager form, which
    the exporter traces without shape-specific branches: tracing changes the
    module it runs (its logits afterwards are wrong), so ``network`` itself is
    never traced.
    """
    names = list(example)
    copy = deepcopy(network)
    copy.set_attn_implementation("eager")
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _LogitsOnly(copy, names),
            tuple(example[name] for name in names),
            buffer,
            input_names=names,
            output_names=["logits"],
            dynamic_axes={name: {0: "batch", 1: "sequence"} for name in names},
            opset_version=17,
            dynamo=False,
        )
    return buffer.getvalue()


class OnnxRunner:
    """Runs an exported model with ONNX Runtime on the CPU.

    Parameters
    ----------
    graph : bytes
        A serialized ONNX model from :func:`export_onnx`.
    n_threads : int
        Intra-op threads (torch's setting, so both backends use the same cores).
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
