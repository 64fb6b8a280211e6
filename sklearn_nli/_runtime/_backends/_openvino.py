"""The OpenVINO backend: the exported graph compiled by OpenVINO for the CPU.

At fp32 its logits match torch's to a few 1e-6. With ``precision="bf16"`` it
runs OpenVINO's bf16 kernels (``INFERENCE_PRECISION_HINT``), which need a CPU
with native bf16 instructions (AVX512-BF16 or AMX); elsewhere bf16 would be
emulated many times slower, so it is refused with the reason.
"""

from __future__ import annotations

import functools
import threading

import numpy as np
import torch

from ._base import Backend, install_hint
from ._cpu import cpu_flags, native_bf16_flags
from ._export import build_checked

# bf16 keeps 8 bits of mantissa: the probe only catches a broken graph.
_BF16_PROBE_TOLERANCE = 0.5


@functools.cache
def native_bf16():
    """``(has native bf16, what was seen)``: the CPU flags, else OpenVINO's capabilities."""
    import openvino

    capabilities = list(openvino.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"))
    seen = f"OpenVINO's CPU capabilities {capabilities}"
    if cpu_flags():  # Linux: the instruction sets decide (OpenVINO may list BF16 it emulates)
        found = native_bf16_flags()
        return bool(found), f"{seen}; CPU flags: {', '.join(found) or 'no avx512_bf16 or amx_bf16'}"
    return "BF16" in capabilities, seen


class OpenVINOBackend(Backend):
    name = "openvino"
    title = "OpenVINO"
    modules = ("openvino", "onnx")
    extra = install_hint("openvino", modules)
    summary = "the exported graph compiled by OpenVINO; fp32 and bf16 on the CPU"
    cpu_precisions = ("fp32", "bf16")

    @classmethod
    def unsupported_reason(cls, device, precision):
        reason = super().unsupported_reason(device, precision)
        if reason is None and precision == "bf16" and cls.is_available():
            native, seen = native_bf16()
            if not native:
                return (
                    "precision='bf16' with backend='openvino' needs a CPU with native bf16 "
                    f"instructions (AVX512-BF16 or AMX), and this one has none ({seen}); "
                    "bf16 would be emulated, many times slower than fp32. Use precision='fp32'."
                )
        return reason

    @classmethod
    def build(cls, network, device, precision, probe):
        hint = "bf16" if precision == "bf16" else "f32"
        tolerance = _BF16_PROBE_TOLERANCE if precision == "bf16" else None
        make = functools.partial(OpenVINORunner, precision=hint, n_threads=torch.get_num_threads())
        if tolerance is None:
            return build_checked(network, probe, make)
        return build_checked(network, probe, make, tolerance=tolerance)


class OpenVINORunner:
    """Runs an exported graph compiled by OpenVINO for the CPU.

    Parameters
    ----------
    graph : ExportedGraph
        The ONNX graph (its file when the disk cache holds it, else its bytes).
    precision : {"f32", "bf16"}
        OpenVINO's ``INFERENCE_PRECISION_HINT``.
    n_threads : int
        Inference threads (torch's setting, so all backends use the same cores).
    """

    def __init__(self, graph, precision, n_threads):
        import openvino

        core = openvino.Core()
        model = core.read_model(graph.path if graph.path is not None else graph.data)
        config = {
            "INFERENCE_PRECISION_HINT": precision,
            "INFERENCE_NUM_THREADS": int(n_threads),
            "PERFORMANCE_HINT": "LATENCY",
        }
        self.compiled = core.compile_model(model, "CPU", config)
        self.input_names = [port.get_any_name() for port in self.compiled.inputs]
        self._requests = threading.local()  # an infer request serves one thread at a time

    def __call__(self, inputs):
        """Logits (float32 array) of a batch given as int64 arrays by input name."""
        request = getattr(self._requests, "request", None)
        if request is None:
            request = self._requests.request = self.compiled.create_infer_request()
        request.infer({name: inputs[name] for name in self.input_names})
        return np.array(request.get_output_tensor(0).data, dtype=np.float32)
