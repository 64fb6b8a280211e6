"""What the CPU can do natively, for the backends that depend on it."""

from __future__ import annotations

import functools

NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


@functools.cache
def _cpuinfo():
    """``(model name, flags)`` of the first CPU in /proc/cpuinfo (``(None, empty)`` elsewhere)."""
    model = None
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                if line.startswith("flags"):
                    return model, frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return model, frozenset()


def cpu_flags():
    """The CPU's feature flags from /proc/cpuinfo (an empty set where there is none)."""
    return _cpuinfo()[1]


def cpu_model():
    """The CPU's model name from /proc/cpuinfo, else what ``platform`` says."""
    import platform

    return _cpuinfo()[0] or platform.processor() or "unknown CPU"


def native_bf16_flags():
    """The CPU flags that mean native bf16 matrix products, of those this CPU has."""
    return [flag for flag in NATIVE_BF16_FLAGS if flag in cpu_flags()]
