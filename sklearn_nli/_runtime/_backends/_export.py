"""The ONNX graph of a torch model: exported once, kept on disk, checked before use.

ONNX Runtime and OpenVINO both run the graph that ``torch.onnx.export`` writes.
The export costs seconds (2.4 s for MiniLM-L6 on a slow host), paid by every
new process (each command-line call, each Dask worker), so the graph is kept in
a folder (``set_config(export_cache_dir=...)``; ``False`` turns it off), under
a name that is a fingerprint of everything that determines it: the weights and
config of the model, its input names, and the versions of torch, transformers
and onnx. A graph is written to a temporary file and renamed into place, so a
reader never sees a partial file, and processes that start at once each write
the same bytes. A graph that cannot be read, or whose logits differ from
torch's on the probe batch, is exported again and replaces the bad one.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time
import warnings
from copy import deepcopy
from hashlib import blake2b
from pathlib import Path

import numpy as np
import torch

from ..._errors import warn
from .._config import get_config
from ._torch import TorchRunner, as_tensors

_OPSET = 17
# Bump when export_onnx changes what it writes, so that old graphs are not reused.
_EXPORT_FORMAT = 1
# Largest difference from torch's logits on the probe that still counts as the same model.
PROBE_TOLERANCE = 1e-4
# Temporary files older than this were left by a process that died while writing.
_STALE_SECONDS = 600


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
            opset_version=_OPSET,
            dynamo=False,
        )
    return buffer.getvalue()


def fingerprint(network, input_names):
    """Hex digest of what determines the exported graph: weights, config, inputs, versions."""
    import onnx
    import transformers

    digest = blake2b(digest_size=20)
    versions = (torch.__version__, transformers.__version__, onnx.__version__)
    header = (_EXPORT_FORMAT, _OPSET, versions, tuple(input_names))
    digest.update(repr(header).encode())
    digest.update(network.config.to_json_string(use_diff=False).encode())
    for name, tensor in network.state_dict().items():
        tensor = tensor.detach().cpu().contiguous()
        digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
        digest.update(tensor.view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    return digest.hexdigest()


class ExportedGraph:
    """The bytes of a graph, and the file holding them when the disk cache is on."""

    def __init__(self, data, path=None, from_cache=False):
        self.data = data
        self.path = path
        self.from_cache = from_cache


def exported_graph(network, example, refresh=False, variant=None):
    """The ONNX graph of ``network``: from the disk cache, or exported (and stored there).

    ``refresh`` exports again even when a cached graph exists (it was found bad).
    ``variant``, a ``(name, function)`` pair, stores ``function(graph)`` instead
    of the graph (e.g. its int8 quantization) under a name of its own.
    """
    folder = get_config()["export_cache_dir"]
    if folder is False:
        return ExportedGraph(_export(network, example, variant))
    folder = Path(folder).expanduser()
    suffix = f".{variant[0]}" if variant else ""
    path = folder / f"{fingerprint(network, list(example))}{suffix}.onnx"
    if not refresh:
        try:
            return ExportedGraph(path.read_bytes(), path, from_cache=True)
        except OSError:
            pass  # not there yet, or unreadable: export
    data = _export(network, example, variant)
    try:
        _write_atomically(path, data)
    except OSError as exc:
        warn(
            f"Could not store the exported model in {str(folder)!r} ({exc}); it will be "
            "exported again by the next process. set_config(export_cache_dir=...) names "
            "another folder, or False turns the cache off."
        )
        return ExportedGraph(data)
    return ExportedGraph(data, path)


def _export(network, example, variant):
    graph = export_onnx(network, example)
    return variant[1](graph) if variant else graph


def _write_atomically(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(path.parent)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _remove_stale_temporaries(folder):
    now = time.time()
    for leftover in folder.glob("*.onnx.*.tmp"):
        with contextlib.suppress(OSError):
            if now - leftover.stat().st_mtime > _STALE_SECONDS:
                leftover.unlink()


def build_checked(network, probe, make_runner, tolerance=PROBE_TOLERANCE, variant=None):
    """A runner of the exported graph whose logits match torch's on the probe batch.

    ``make_runner(graph)`` builds the runner of an :class:`ExportedGraph`;
    ``variant`` is as for :func:`exported_graph`. A cached graph that fails
    (unreadable, or wrong logits) is exported again, once; a freshly exported
    one that fails raises.
    """
    expected = TorchRunner(network, "cpu", "fp32")(probe["check"])
    example = as_tensors(probe["export"])
    graph = exported_graph(network, example, variant=variant)
    try:
        return _runner_matching_torch(make_runner(graph), probe, expected, tolerance)
    except Exception:
        if not graph.from_cache:
            raise
    graph = exported_graph(network, example, refresh=True, variant=variant)
    return _runner_matching_torch(make_runner(graph), probe, expected, tolerance)


def _runner_matching_torch(runner, probe, expected, tolerance):
    """``runner`` itself, once its logits on the probe batch match torch's ``expected``."""
    got = runner(probe["check"])
    if not np.allclose(got, expected, rtol=tolerance, atol=tolerance):
        raise RuntimeError(
            "the exported model's logits differ from torch's by up to "
            f"{np.abs(got - expected).max():.2g}"
        )
    return runner
