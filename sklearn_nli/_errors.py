"""The exceptions the package raises about what it was given.

Each is a subclass of the built-in exception a caller would catch anyway
(``ValueError``, ``TypeError``, ``OSError``, ``ImportError``), so
``except ValueError`` keeps working, and of :class:`SklearnNLIError`, so that
the command line can tell a problem with the user's data, parameters or model
(one line, exit status 2) from a bug (a traceback).
"""

from __future__ import annotations


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
