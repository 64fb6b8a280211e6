"""What a backend is: the interface the engine talks to.

A backend runs the forward passes of a loaded model. The engine hands it int64
arrays by input name (``input_ids``, ``attention_mask``, ``token_type_ids``),
padded to one length, and gets float32 logits of shape ``(batch, n_labels)``
back. Everything else (tokenizing, batching, caching, devices) stays in the
engine, so a backend is only this.
"""

from __future__ import annotations

import functools
import importlib


@functools.cache
def importable(modules):
    """Whether every module of the tuple ``modules`` can be imported.

    Cached: every estimator call asks, and a failed import searches the path again.
    """
    try:
        for module in modules:
            importlib.import_module(module)
    except ImportError:
        return False
    return True


def install_hint(extra, modules):
    """The command that installs the package extra ``extra``, naming the ``modules`` it brings."""
    return f"pip install 'sklearn-nli[{extra}]' ({' and '.join(modules)})"


class Backend:
    """A way to run a model. Subclasses set the class attributes and override the methods.

    Attributes
    ----------
    name : str
        The value of the estimators' ``backend`` parameter that selects it.
    title : str
        How messages name it, e.g. ``"ONNX Runtime"``.
    modules : tuple of str
        The optional packages it imports; it is available when they are.
    extra : str
        The command that installs what it needs (:func:`install_hint`).
    summary : str
        What it is and what it runs, for the ``backend`` parameter's
        documentation (which lists the registered backends).
    cpu_precisions : tuple of str
        The precisions it runs on the CPU (for the default :meth:`unsupported_reason`).
    """

    name = ""
    title = ""
    modules = ()
    extra = ""
    summary = ""
    cpu_precisions = ("fp32",)

    @classmethod
    def is_available(cls):
        """Whether its optional dependencies (``modules``) can be imported."""
        return importable(cls.modules)

    @classmethod
    def requirement(cls):
        """What it needs installed, for the message when it is not."""
        return " and ".join(cls.modules)

    @classmethod
    def unsupported_reason(cls, device, precision):
        """None if it runs ``precision`` on ``device``; else the message saying why not.

        By default: the CPU only, at the precisions of ``cls.cpu_precisions``.
        """
        if device == "cpu" and precision in cls.cpu_precisions:
            return None
        return (
            f"backend={cls.name!r} runs {' and '.join(cls.cpu_precisions)} on the CPU only, got "
            f"device={device!r} and precision={precision!r}; use backend='auto' or 'torch' for "
            "other devices and precisions."
        )

    @classmethod
    def build(cls, network, device, precision, probe):
        """A runner for ``network`` (a torch model in eval mode, on the CPU, fp32).

        ``probe`` maps ``"export"`` and ``"check"`` to small padded batches
        (int64 arrays by input name) that a backend which converts the model
        may use as example input and to check its logits against torch's.
        The returned runner is called with such a batch and returns float32
        logits. Raise any exception when the model cannot be run: the engine
        falls back to the next backend under ``backend="auto"``.
        """
        raise NotImplementedError
