"""Devices: what a ``device`` parameter means here, bf16 the CPU emulates, running out of memory."""

from __future__ import annotations

import torch

from .._errors import InvalidValueError
from ._backends._torch import warn_if_bf16_is_emulated  # fine-tuning warns as prediction does

__all__ = ["OUT_OF_MEMORY", "mps_available", "resolve_device", "warn_if_bf16_is_emulated"]

# torch 2.5 and later name it; before, CUDA's is the one there is.
OUT_OF_MEMORY = getattr(torch, "OutOfMemoryError", torch.cuda.OutOfMemoryError)


def mps_available():
    """Whether Apple's MPS backend is usable here."""
    backend = getattr(torch.backends, "mps", None)
    return backend is not None and backend.is_available()


def resolve_device(device):
    """Turn a ``device`` parameter into a concrete, available torch device string."""
    if device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if mps_available():
            return "mps"
        return "cpu"
    if device == "cpu":
        return "cpu"
    if device == "mps":
        if not mps_available():
            raise InvalidValueError(
                "device='mps' was requested but Apple's MPS backend is not available "
                "in this torch build or on this machine; use device='cpu' or 'auto'."
            )
        return "mps"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise InvalidValueError(
                f"device={device!r} was requested but CUDA is not available "
                "(torch.cuda.is_available() is False); use device='cpu' or 'auto'."
            )
        if ":" in device:
            index = int(device.split(":", 1)[1])
            count = torch.cuda.device_count()
            if index >= count:
                raise InvalidValueError(
                    f"device={device!r} was requested but this machine has {count} CUDA "
                    f"device(s), numbered 0 to {count - 1}."
                )
        return device
    raise AssertionError(f"unchecked device {device!r}")  # the parameter table checks it
