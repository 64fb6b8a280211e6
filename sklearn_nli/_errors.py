"""The exceptions the package raises about what it was given, and its warnings.

Each exception is a subclass of the built-in exception a caller would catch anyway
(``ValueError``, ``TypeError``, ``OSError``, ``ImportError``), so
``except ValueError`` keeps working, and of :class:`SklearnNLIError`, so that
the command line can tell a problem with the user's data, parameters or model
(one line, exit status 2) from a bug (a traceback). Warnings go through
:func:`warn`, which names the caller's line, not the package's.
"""

from __future__ import annotations

import os
import sys
import warnings

# Frames in files under this folder are the package's; a warning names the first other one.
_PACKAGE_PREFIX = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message, category=UserWarning):
    """Issue the warning ``message`` attributed to the caller's line outside the package.

    The reported file and line are those of the first frame, going outwards
    from here, whose file is not under the ``sklearn_nli`` folder: the user's
    call (or that of the library that called the package, e.g. scikit-learn's
    ``cross_val_score``), however deep in the package the warning is raised.
    """
    if sys.version_info >= (3, 12):
        warnings.warn(message, category, skip_file_prefixes=(_PACKAGE_PREFIX,))
        return
    # stacklevel=2 names warn's caller; each frame of the package further out adds one.
    frame, stacklevel = sys._getframe(1), 2
    while frame.f_back is not None and _is_in_package(frame.f_code.co_filename):
        frame, stacklevel = frame.f_back, stacklevel + 1
    warnings.warn(message, category, stacklevel=stacklevel)


def _is_in_package(filename):
    return os.path.abspath(filename).startswith(_PACKAGE_PREFIX)


class SklearnNLIError(Exception):
    """Base class of the errors that report a problem with the caller's input."""


class InvalidValueError(SklearnNLIError, ValueError):
    """A parameter or an input element has a value the package cannot use."""


class InvalidTypeError(SklearnNLIError, TypeError):
    """A parameter or an input element has a type the package cannot use."""


class InputError(SklearnNLIError):
    """Base class of the errors about the data (texts, pairs, cells, columns).

    Callers that read the data from somewhere larger (a file, a partition) catch
    these to add that place to the message.
    """


class InvalidInputValueError(InputError, InvalidValueError):
    """An element or a column of the data has a value that cannot be used."""


class InvalidInputTypeError(InputError, InvalidTypeError):
    """An element or a column of the data has a type that cannot be used."""


class ModelLoadError(SklearnNLIError, OSError):
    """The model or its tokenizer cannot be loaded from the name or path given."""


class ModelDirectoryNotFoundError(ModelLoadError, FileNotFoundError):
    """``model`` looks like a local path, and no such directory exists."""


class MissingExtraError(SklearnNLIError, ImportError):
    """An optional dependency is not installed; the message names the extra."""


class BackendError(SklearnNLIError, RuntimeError):
    """The backend asked for cannot run the model (export failed, wrong logits)."""
