"""The torch backend: the model as loaded, eager, on any device and precision."""

from __future__ import annotations

import contextlib

import torch

from ..._errors import InvalidValueError, warn
from ._base import Backend
from ._cpu import cpu_flags, native_bf16_flags


class TorchBackend(Backend):
    name = "torch"
    title = "torch"
    summary = "the model as loaded, eager, on any device; fp32, and bf16 or fp16 by autocast"

    @classmethod
    def unsupported_reason(cls, device, precision):
        kind = device.split(":")[0]
        if precision == "fp16" and kind == "cpu":
            return "precision='fp16' is for GPUs; on the CPU use precision='bf16' or 'int8'."
        if precision == "int8" and kind != "cpu":
            return f"precision='int8' runs on the CPU only; on {device!r} use 'fp16' or 'bf16'."
        if precision == "int8":
            # torch's own quantization is deprecated: int8 is ONNX Runtime's quantizer.
            from . import get_backend

            return (
                "precision='int8' runs with ONNX Runtime's int8 quantizer (backend='auto' or "
                f"'onnxruntime'), which needs {get_backend('onnxruntime').extra}."
            )
        return None

    @classmethod
    def build(cls, network, device, precision, probe):
        reason = cls.unsupported_reason(device, precision)
        if reason is not None:
            raise InvalidValueError(reason)
        if precision == "bf16" and device == "cpu":
            warn_if_bf16_is_emulated("precision='bf16'")
        return TorchRunner(network.to(device), device, precision)


def warn_if_bf16_is_emulated(setting):
    """Warn that ``setting`` (bf16 autocast on the CPU) is emulated where the CPU lacks bf16."""
    if cpu_flags() and not native_bf16_flags():
        warn(
            f"{setting} on this CPU runs torch's bf16 autocast without native bf16 "
            "instructions (no avx512_bf16 or amx_bf16 in its flags): it is emulated, many "
            "times slower than fp32 (0.08x measured on an AVX2 host). Use 'fp32'."
        )


class TorchRunner:
    """Runs a torch model on ``device``: int64 arrays by input name in, float32 logits out."""

    def __init__(self, network, device, precision):
        self.network = network
        self.device = device
        self.precision = precision

    def __call__(self, inputs):
        tensors = {name: tensor.to(self.device) for name, tensor in as_tensors(inputs).items()}
        with torch.inference_mode(), self._autocast():
            logits = self.network(**tensors).logits
        return logits.float().cpu().numpy()

    def _autocast(self):
        if self.precision in ("bf16", "fp16"):
            dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16
            return torch.autocast(self.device.split(":")[0], dtype=dtype)
        return contextlib.nullcontext()


def as_tensors(arrays):
    """numpy arrays by name as torch tensors sharing their memory."""
    return {name: torch.from_numpy(array) for name, array in arrays.items()}
