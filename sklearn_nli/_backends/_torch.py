"""The torch backend: the model as loaded, eager, on any device and precision."""

from __future__ import annotations

import contextlib

import torch

from .._errors import InvalidValueError
from ._base import Backend


class TorchBackend(Backend):
    name = "torch"
    title = "torch"

    @classmethod
    def unsupported(cls, device, precision):
        kind = device.split(":")[0]
        if precision == "fp16" and kind == "cpu":
            return "precision='fp16' is for GPUs; on the CPU use precision='bf16' or 'int8'."
        if precision == "int8" and kind != "cpu":
            return f"precision='int8' runs on the CPU only; on {device!r} use 'fp16' or 'bf16'."
        return None

    @classmethod
    def build(cls, network, device, precision, probe):
        reason = cls.unsupported(device, precision)
        if reason is not None:
            raise InvalidValueError(reason)
        if precision == "int8":
            network = quantize_int8(network)
        else:
            network = network.to(device)
        return TorchRunner(network, device, precision)


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


def quantize_int8(network):
    """Dynamic int8 quantization of the Linear layers, per output channel."""
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    return quantize_dynamic(
        network, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8
    )
