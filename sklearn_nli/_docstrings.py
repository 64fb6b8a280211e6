"""Docstring fragments that several public objects share, written once.

A docstring names a fragment with a ``%(name)s`` placeholder and its object is
decorated with :func:`fill_doc`, which replaces each placeholder with
``DOCSTRINGS[name]``, indenting the fragment's lines like the placeholder's
line. The placeholder is matched by a regular expression, not by ``%``
formatting or ``str.format``, so the docstrings keep literal braces
(``{"fp32", "bf16"}``, ``{class: phrase}``) and percent signs as they are, and
an unknown name is an error at import time, never a silent hole in the
rendered documentation.

The idea is that of imbalanced-learn's ``Substitution`` decorator and MNE's
``fill_doc``.
"""

from __future__ import annotations

import inspect
import re
import textwrap

from ._params import DEFAULT_MODEL
from ._runtime._backends import backend_names, get_backend
from ._runtime._engine import CPU_BATCH_SIZE, GPU_BATCH_SIZE

__all__ = ["DOCSTRINGS", "fill_doc"]

# The one description of the default batch size in the package; the values
# themselves are the engine's.
DEFAULT_BATCH_SIZE = f"{CPU_BATCH_SIZE} on the CPU and {GPU_BATCH_SIZE} on a GPU"


def _backend_parameter():
    """The ``backend`` parameter's entry, listing the registered backends in their order."""
    names = backend_names()
    choices = ", ".join(f'"{name}"' for name in ("auto", *names))
    each = "; ".join(
        f'"{name}": {get_backend(name).summary}'
        + (f"; install: {get_backend(name).extra}" if get_backend(name).extra else "")
        for name in names
    )
    text = (
        f"What runs the model. {each}. A graph is exported from torch once "
        "(kept on disk, see ``set_config(export_cache_dir=...)``) and checked against "
        "torch on a probe batch: at fp32 their logits stay within a few 1e-6 of torch's. "
        f'"auto" takes the first installed backend, in the order {", ".join(names)}, that '
        "runs the device and precision, and falls back to the next one, with a warning, "
        "if it fails; ``get_backend_info()`` and the ``sklearn_nli`` logger (INFO) say "
        "which ran and why."
    )
    body = textwrap.fill(
        text, 74, initial_indent="    ", subsequent_indent="    ", break_on_hyphens=False
    )
    return f'backend : {{{choices}}}, default="auto"\n{body}'


DOCSTRINGS = {
    # ---------------------------------------------- constructor parameters
    "model": f"""\
model : str, default="{DEFAULT_MODEL}"
    Hugging Face Hub id or path of a local directory holding an NLI
    sequence-classification model and its tokenizer. The model is loaded on
    first use and shared by every estimator of the process.""",
    "max_length": """\
max_length : int, default=None
    Token limit of a (premise, hypothesis) pair; the premise is truncated,
    never the hypothesis. None uses the model's limit.""",
    "batch_size": f"""\
batch_size : int, default=None
    Pairs per forward pass. None picks {DEFAULT_BATCH_SIZE} (the
    performance page has the measurements behind them). On CUDA
    out-of-memory, a batch is halved and retried.""",
    "device": """\
device : {"auto", "cpu", "cuda", "cuda:N", "mps"}, default="auto"
    Where the model runs; "auto" picks CUDA, then MPS, then the CPU.""",
    "precision": """\
precision : {"fp32", "bf16", "fp16", "int8"}, default="fp32"
    Numeric mode of the model. "fp32" gives the reference numbers (those
    of transformers' pipelines). The others are opt-in fast modes that
    trade a little agreement for speed: "bf16" (on the CPU, OpenVINO's
    bf16 kernels where the CPU has native bf16, AVX512-BF16 or AMX;
    elsewhere torch autocast, with a warning that it is emulated; on a GPU,
    autocast), "fp16" (GPU only), "int8" (CPU only: ONNX Runtime's dynamic
    quantization of the linear layers, per channel). See the performance
    page for measured speed and agreement.""",
    "backend": _backend_parameter(),
    "cache": """\
cache : bool, default=True
    Keep the logits of scored pairs in a bounded in-process cache shared
    by all estimators using the same model, device, precision and backend,
    so that ``predict`` after ``predict_proba``, ``score``, and grid points
    that do not change the pairs reuse them. Set False to always recompute.
    The cache's size is ``set_config(result_cache_size=...)``.""",
    "show_progress_bar": """\
show_progress_bar : bool, default=False
    Show a progress bar over the pairs of each call.""",
    # ------------------------------------------------- fine-tuning parameters
    "n_epochs": """\
n_epochs : int, default=0
    Passes over the labelled data when ``fit`` gets ``X`` and ``y``: above
    0, ``fit`` fine-tunes a copy of the model on them (see Notes) and
    predictions use the fine-tuned weights; 0 keeps the model as it is
    (zero-shot). Every epoch runs (there is no early stopping).""",
    "learning_rate": """\
learning_rate : float, default=5e-5
    Peak learning rate of AdamW when fine-tuning, reached after the
    warm-up and decayed linearly to 0 at the last step.""",
    "warmup_fraction": """\
warmup_fraction : float, default=0.1
    Fraction of the fine-tuning steps over which the learning rate rises
    linearly to ``learning_rate``.""",
    "weight_decay": """\
weight_decay : float, default=0.01
    AdamW's decoupled weight decay, applied to the weight matrices (not to
    biases and normalization weights) when fine-tuning.""",
    "train_precision": """\
train_precision : {"fp32", "bf16"}, default="fp32"
    Numeric mode of the fine-tuning forward and backward passes. "bf16"
    runs them under torch's bf16 autocast (the weights and the optimizer
    stay fp32): faster on CPUs with native bf16 instructions (AVX512-BF16,
    AMX) and on recent GPUs, emulated and slower elsewhere (a warning says
    so). The model-selection page has its measured speed and accuracy.""",
    "random_state": """\
random_state : int, RandomState instance or None, default=None
    Seeds fine-tuning: the order of the examples, drawn negatives, dropout
    and any new weights. An int gives the same weights and probabilities on
    every fit (on the CPU). Not used when ``n_epochs=0``.""",
    # ------------------------------------------------------ fitted attributes
    "fine_tuned_attributes": """\
fine_tuned_model_ : object
    The fine-tuned model (the files of a Hugging Face model directory, as
    bytes: config, safetensors weights, tokenizer), which every prediction
    runs; only set when ``fit`` fine-tuned (``n_epochs > 0``). It pickles
    with the estimator; ``save_pretrained`` writes it out.
loss_curve_ : list of float
    The mean training loss of each epoch (``n_epochs`` values); only set
    when ``fit`` fine-tuned.""",
    "fine_tuning_notes": """\
Fine-tuning (``n_epochs > 0``) trains every weight of a fresh copy of the
model with AdamW (``weight_decay`` on the weight matrices), a linear warm-up
over ``warmup_fraction`` of the steps then a linear decay to 0 (BERT's
fine-tuning schedule), and gradient clipping at norm 1.0, on the estimator's
``device``. Defaults follow Laurer et al. (2023, "Less Annotating, More
Classifying": learning rates 4e-6 to 8e-5, 7 to 17 epochs, small batches at a
few hundred examples) and a one-seed prototype on AG News (learning rate 5e-5,
10 epochs, 4 texts a step); with a few dozen labelled examples per class,
``n_epochs=10`` is a good start, and ``GridSearchCV`` can choose
``learning_rate`` and ``n_epochs``. A CUDA out-of-memory error halves the
examples per forward pass and accumulates the gradients, so each step is
unchanged. A fit that fails or is interrupted leaves the estimator as it was.
The fitted estimator holds its weights (``fine_tuned_model_``): it pickles
with them (to share a model, prefer ``save_pretrained``: loading a pickle
runs code), and its results are cached apart from those of ``model``.""",
    # ------------------------------------------------------ method parameters
    "X_texts": """\
X : array-like of str of shape (n_samples,) or (n_samples, n_columns)
    Texts; 2-D input is read as text columns, joined with a space per row.""",
    "X_pairs": """\
X : array-like of shape (n_samples, 2) or DataFrame
    Premise / hypothesis pairs: a list of ``(premise, hypothesis)`` tuples,
    an array with two columns, or a DataFrame with two columns or the two
    named by ``premise_column`` and ``hypothesis_column``.""",
    # ------------------------------------------------------- long texts
    "long_texts": """\
long_texts : {"chunk", "truncate"}, default="chunk"
    How a text longer than ``chunk_size`` tokens is read. ``"chunk"``: in
    chunks of whole sentences, packed in order up to ``chunk_size`` tokens
    (a sentence is cut only where it alone overflows the model's window),
    every chunk scored and the scores combined, so every part of the text
    is read; ``evidence`` says which chunk decided. ``"truncate"``: as
    transformers' pipelines, the text is cut at ``max_length``. A text
    that fits is read whole either way, with the same probabilities.
chunk_size : int, default=None
    Most tokens (the model's tokenizer's) in a chunk. None: the most that
    fit beside the (longest) hypothesis within ``max_length``, so that
    every text that fits is one chunk. Smaller chunks, closer to the
    one-sentence premises NLI models learn from, often read long texts
    better and cost more pairs: see the long-texts page of the docs.
""",
    # ------------------------------------ learning from unlabelled texts
    "unlabelled_parameters": """\
class_prior : {"uniform"}, array-like or dict, default=None
    The expected class distribution of the texts (a sequence in
    ``classes_`` order, or ``{class: probability}``). When set, ``fit``
    learns one offset per class (``class_offsets_``) from the texts it
    gets, labelled or not, so that the mean predicted distribution over
    them matches it (prior matching, see Notes), and every prediction
    adds them to the entailment logits. None (the default) keeps the
    formulas of transformers' zero-shot pipeline. Single-label mode only.
self_training_rounds : int, default=0
    Rounds of self-training on the unlabelled texts of ``X`` (see
    Notes): each round pseudo-labels them with the current model
    (corrected by ``class_prior`` when set), keeps the most confident
    ones per class and fine-tunes the base model again on them and the
    labelled texts, for ``n_epochs`` epochs (which must then be above
    0). Single-label mode only.
pseudo_labels_per_class : int or float, default=100
    Self-training: the most pseudo-labelled texts kept per class and
    round, as a count (int) or a fraction of the unlabelled texts
    (float in (0, 1]). A class predicted for fewer texts keeps them all;
    one predicted for none gets none that round, with a warning.
""",
    "unlabelled_attributes": """\
class_offsets_ : ndarray of shape (n_classes,)
    The offset added to each class's entailment logit; only set when
    ``class_prior`` is.
transduction_ : ndarray of shape (n_samples,)
    Self-training: the label of each text of ``X`` in the last round's
    fine-tuning (its own label, its pseudo-label, or -1 for a text left
    out). Only set when ``self_training_rounds > 0``, as the next three.
labeled_iter_ : ndarray of shape (n_samples,)
    The round from which each text has had that label: 0 for a labelled
    text, -1 for one left out.
n_iter_ : int
    The number of self-training rounds run.
self_training_history_ : list of dict
    One dict per round: ``pseudo_labels`` (``{class: count}``),
    ``mean_margin`` (of the kept texts) and ``loss_curve`` (of the
    round's fine-tuning).
""",
    "unlabelled_notes": """\
Unlabelled texts: with ``class_prior`` or ``self_training_rounds`` set, a
``-1`` in ``y`` marks an unlabelled text (as in scikit-learn's
semi-supervised module), and ``fit(X)`` with ``candidate_labels`` takes
every text as unlabelled. ``class_prior`` fits the offsets by prior
matching (Liusie, Manakul and Gales 2023): the fixed point of
``b += log(prior) - log(mean predicted distribution)``, the label-shift EM
of Saerens et al. (2002) in logit form; subtracting each class's mean
logit (batch calibration, Zhou et al. 2024) is its first step. The texts
are scored once (the result cache keeps the scores for their prediction);
after fine-tuning, the fine-tuned model scores them. Self-training
follows Gera et al. (2022): in each round a text counts for the class it
is predicted as, and the ``pseudo_labels_per_class`` texts of each class
with the largest margin between the best and the second-best class are
kept; each round fine-tunes the base model again, not the last round's.
An interrupted fit leaves the estimator as it was; an int
``random_state`` gives the same rounds and probabilities.""",
    "dask_parameters": """\
estimator : ZeroShotNLIClassifier or NLIPairScorer
    A fitted estimator (checked here, before any work: NotFittedError),
    copied when this function is called.
X : dask.dataframe.Series, dask.dataframe.DataFrame or dask.bag.Bag
    What the estimator's own method takes, in partitions: texts (a Series, a
    DataFrame of text columns, a Bag of strings) or pairs (a DataFrame with
    two columns or the estimator's ``premise_column`` and
    ``hypothesis_column``, a Bag of ``(premise, hypothesis)`` tuples).""",
}

DOCSTRINGS["engine_parameters"] = "\n".join(
    DOCSTRINGS[name]
    for name in (
        "max_length",
        "batch_size",
        "device",
        "precision",
        "backend",
        "cache",
        "show_progress_bar",
    )
)

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def fill_doc(obj):
    """Replace the ``%(name)s`` placeholders of a docstring with shared fragments.

    Parameters
    ----------
    obj : class or function
        The object whose docstring to fill. For a class, the docstrings of the
        functions defined in its body (its methods) are filled too.

    Returns
    -------
    obj : class or function
        The same object, its docstrings filled in place.

    Raises
    ------
    ValueError
        If a placeholder names no fragment of ``DOCSTRINGS``.
    """
    _fill_object(obj)
    if inspect.isclass(obj):
        for member in vars(obj).values():
            if inspect.isfunction(member):
                _fill_object(member)
    return obj


def _fill_object(obj):
    if obj.__doc__:  # None under python -OO
        obj.__doc__ = _fill(obj.__doc__, getattr(obj, "__qualname__", repr(obj)))


def _fill(doc, where):
    def replace(match):
        name = match.group(1)
        if name not in DOCSTRINGS:
            raise ValueError(
                f"The docstring of {where} names an unknown fragment %({name})s; the "
                f"fragments are {sorted(DOCSTRINGS)}."
            )
        line_start = doc.rfind("\n", 0, match.start()) + 1
        prefix = doc[line_start : match.start()]
        indent = prefix[: len(prefix) - len(prefix.lstrip())]
        first, *rest = DOCSTRINGS[name].split("\n")
        return "\n".join([first] + [indent + line if line else line for line in rest])

    return _PLACEHOLDER.sub(replace, doc)
