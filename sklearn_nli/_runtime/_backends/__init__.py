"""Backends: what runs the model's forward passes, and how ``backend="auto"`` picks one.

Each backend is a :class:`~sklearn_nli._runtime._backends._base.Backend` subclass in its
own module, registered below by one line, in order of preference:
``backend="auto"`` takes the first one that is installed and runs the
estimator's device and precision, and falls back (with a warning) to the next
if it fails to build. The registry names modules rather than importing them, so
listing the backends (for parameter checks and the command line's choices)
imports nothing heavy.
"""

from __future__ import annotations

import importlib
import logging

from ..._checks import Choice
from ..._errors import BackendError, InvalidValueError, MissingExtraError, warn

_REGISTRY: dict = {}
logger = logging.getLogger("sklearn_nli")


def register_backend(name, backend):
    """Register ``backend`` (a Backend subclass, or ``"module:Class"``) under ``name``.

    Later registrations come later in ``backend="auto"``'s order of preference.
    """
    _REGISTRY[name] = backend


register_backend("openvino", "sklearn_nli._runtime._backends._openvino:OpenVINOBackend")
register_backend("onnxruntime", "sklearn_nli._runtime._backends._onnxruntime:OnnxRuntimeBackend")
register_backend("torch", "sklearn_nli._runtime._backends._torch:TorchBackend")


def backend_names():
    """The registered backends, in ``backend="auto"``'s order of preference."""
    return tuple(_REGISTRY)


def backend_choices():
    """The values of the ``backend`` parameter: ``"auto"``, then :func:`backend_names`."""
    return ("auto", *backend_names())


def get_backend(name):
    """The Backend class registered as ``name``."""
    backend = _REGISTRY[name]
    if isinstance(backend, str):
        module, _, attribute = backend.partition(":")
        backend = getattr(importlib.import_module(module), attribute)
        _REGISTRY[name] = backend
    return backend


def resolve_backend(backend, device, precision):
    """The backend an engine for ``device`` and ``precision`` runs on.

    A backend asked for by name must be installed and run ``precision`` on
    ``device`` (an error says why not). ``"auto"`` becomes the only candidate
    when one backend applies, and stays ``"auto"`` when several do (the engine
    then tries them in order).
    """
    if backend != "auto":
        if backend not in _REGISTRY:  # the parameter table's check, in its words
            Choice("backend", backend_choices).check(backend)
        cls = get_backend(backend)
        reason = cls.unsupported_reason(device, precision)
        if reason is not None:
            raise InvalidValueError(reason)
        if not cls.is_available():
            raise MissingExtraError(f"backend={backend!r} needs {cls.requirement()}: {cls.extra}.")
        return backend
    candidates = _candidates(device, precision)
    return candidates[0].name if len(candidates) == 1 else "auto"


def _reason(backend, name, device, precision, skipped):
    if backend != "auto":
        return f"backend={name!r} was asked for"
    order = ", ".join(n for n in _REGISTRY if get_backend(n).is_available())
    reason = (
        f"backend='auto' takes the first installed backend in its order of preference "
        f"({order}) that runs precision={precision!r} on device={device!r}"
    )
    return reason + "".join(f"; {note}" for note in skipped)


def _candidates(device, precision):
    backends = [get_backend(name) for name in _REGISTRY]
    candidates = [
        cls
        for cls in backends
        if cls.is_available() and cls.unsupported_reason(device, precision) is None
    ]
    if not candidates:
        # The last backend is the one that runs most things: its reason is the useful one.
        raise InvalidValueError(backends[-1].unsupported_reason(device, precision))
    return candidates


def build_runner(backend, network, device, precision, probe, model_name):
    """Build the runner of the resolved ``backend``; return ``(runner, name, reason)``.

    ``reason`` says why that backend runs the model. Under ``"auto"``, a
    backend that fails to build is skipped with a warning naming the reason
    and the backend used instead; a backend asked for by name raises instead.
    """
    names = [backend] if backend != "auto" else [c.name for c in _candidates(device, precision)]
    skipped = []
    for position, name in enumerate(names):
        cls = get_backend(name)
        try:
            runner = cls.build(network, device, precision, probe)
        except Exception as exc:
            message = f"Could not run model {model_name!r} with {cls.title}: {exc}"
            if position + 1 == len(names):
                if backend == "auto":
                    raise
                if isinstance(exc, (InvalidValueError, MissingExtraError)):
                    raise
                raise BackendError(f"{message}. Use backend='torch'.") from exc
            fallback = get_backend(names[position + 1]).title
            warn(f"{message}. Running it with {fallback} instead.")
            skipped.append(f"{name} failed: {exc}")
            continue
        reason = _reason(backend, name, device, precision, skipped)
        logger.info("Model %r runs with backend %r: %s.", model_name, name, reason)
        return runner, name, reason
    raise AssertionError("unreachable")  # pragma: no cover
