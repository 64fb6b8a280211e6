"""Checkers of parameter values, one class per kind, each failing with "<name> must be <what>"."""

from __future__ import annotations

import argparse
import numbers
import re

import numpy as np

from ._errors import InvalidTypeError, InvalidValueError

__all__ = [
    "Choice",
    "ClassPrior",
    "CountOrFraction",
    "Device",
    "Flag",
    "Integer",
    "LabelName",
    "Labels",
    "Mapping",
    "ModelName",
    "Number",
    "Parameter",
    "Probability",
    "RandomState",
    "Template",
]

DEVICES = "'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'"
_DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


class Parameter:
    """One parameter: how to check a value, and how the command line parses one.

    ``parse`` turns the command line's string into a value (``int``,
    ``float``; the string itself by default), and ``expected`` says what the
    values are, for the message when it fails.
    """

    parse = staticmethod(str)
    expected = "a string"

    def __init__(self, name):
        self.name = name

    def check(self, value):
        """Return ``value`` (normalised, e.g. numpy integers to int) or raise."""
        return value

    def argparse_options(self):
        """Keyword arguments of ``add_argument`` that parse and check a string."""
        return {"type": self._from_string}

    def _from_string(self, text):
        try:
            value = self.parse(text)
        except ValueError:
            message = f"{self.name} must be {self.expected}, got {text!r}."
            raise argparse.ArgumentTypeError(message) from None
        try:
            return self.check(value)
        except (ValueError, TypeError) as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None


class Choice(Parameter):
    """One of a fixed list of strings; ``choices`` may be a callable (read when used)."""

    def __init__(self, name, choices):
        super().__init__(name)
        self._choices = choices

    @property
    def choices(self):
        return tuple(self._choices() if callable(self._choices) else self._choices)

    def check(self, value):
        choices = self.choices
        if not isinstance(value, str) or value not in choices:
            raise InvalidValueError(
                f"{self.name} must be one of {', '.join(map(repr, choices))}, got {value!r}."
            )
        return value

    def argparse_options(self):
        # A type rather than argparse's choices: the message is the table's, as from Python.
        return {"type": self._from_string, "metavar": "{" + ",".join(self.choices) + "}"}


class _Numeric(Parameter):
    """A number of ``kind`` (``numbers.Integral`` or ``numbers.Real``) in a range.

    Subclasses set ``kind``, ``parse`` (int or float, also the normalised
    type), ``expected`` and :meth:`in_range`.
    """

    kind = numbers.Real
    allow_none = False

    def check(self, value):
        if value is None and self.allow_none:
            return None
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, self.kind):
            raise InvalidTypeError(
                f"{self.name} must be {self.expected}, got {value!r} of type "
                f"{type(value).__name__}."
            )
        if not self.in_range(value):
            raise InvalidValueError(f"{self.name} must be {self.expected}, got {value}.")
        return self.parse(value)

    def in_range(self, value):
        return True


class Number(_Numeric):
    """A finite real number above ``minimum`` (or at least it, with ``inclusive``)."""

    parse = staticmethod(float)
    what = "a finite number"

    def __init__(self, name, minimum, inclusive=False, allow_none=False):
        super().__init__(name)
        self.minimum = minimum
        self.inclusive = inclusive
        self.allow_none = allow_none
        bound = ">=" if inclusive else ">"
        self.expected = f"{'None or ' if allow_none else ''}{self.what} {bound} {minimum}"

    def in_range(self, value):
        above = value >= self.minimum if self.inclusive else value > self.minimum
        return bool(np.isfinite(float(value)) and above)


class Integer(Number):
    """An integer of at least ``minimum``."""

    kind = numbers.Integral
    parse = staticmethod(int)
    what = "an integer"

    def __init__(self, name, minimum, allow_none=False):
        super().__init__(name, minimum, inclusive=True, allow_none=allow_none)


class Probability(_Numeric):
    parse = staticmethod(float)
    expected = "a number in [0, 1]"

    def in_range(self, value):
        return 0.0 <= value <= 1.0


class RandomState(Parameter):
    """None, a seed, or a ``numpy.random.RandomState`` (scikit-learn's convention)."""

    parse = staticmethod(int)
    expected = "None, an integer in [0, 2**32 - 1] or a numpy.random.RandomState"

    def check(self, value):
        if value is None or isinstance(value, np.random.RandomState):
            return value
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
            raise InvalidTypeError(
                f"{self.name} must be {self.expected}, got {value!r} of type "
                f"{type(value).__name__}."
            )
        if not 0 <= value < 2**32:
            raise InvalidValueError(f"{self.name} must be {self.expected}, got {value}.")
        return int(value)


class Flag(Parameter):
    def check(self, value):
        if not isinstance(value, (bool, np.bool_)):
            raise InvalidTypeError(f"{self.name} must be True or False, got {value!r}.")
        return bool(value)


class Device(Parameter):
    """Spelling only: whether the device exists is the engine's question."""

    def check(self, value):
        if not isinstance(value, str) or not _DEVICE_PATTERN.match(value):
            raise InvalidValueError(f"{self.name} must be {DEVICES}, got {value!r}.")
        return value


class ModelName(Parameter):
    def check(self, value):
        if not isinstance(value, str) or not value.strip():
            raise InvalidTypeError(
                f"{self.name} must be a Hugging Face Hub model id or the path of a local "
                f"model directory (a non-empty string), got {value!r}."
            )
        return value


class Template(Parameter):
    def check(self, value):
        if not isinstance(value, str):
            raise InvalidTypeError(
                f"{self.name} must be a string containing '{{}}' once, got {value!r} of type "
                f"{type(value).__name__}."
            )
        count = value.replace("{{", "").replace("}}", "").count("{}")
        if count != 1:
            raise InvalidValueError(
                f"{self.name} must contain '{{}}' exactly once, where the label goes (e.g. "
                f"'This example is {{}}.'); {value!r} contains it {count} times."
            )
        try:
            value.format("label")
        except (IndexError, KeyError, ValueError) as exc:
            raise InvalidValueError(
                f"{self.name} {value!r} cannot be formatted with a label: {exc}. Write literal "
                "braces as '{{' and '}}'."
            ) from None
        return value


class LabelName(Parameter):
    """``entailment_label`` / ``contradiction_label``: None, a label name or an index."""

    def check(self, value):
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
            return int(value)
        raise InvalidTypeError(
            f"{self.name} must be None, a label name from the model config or a column "
            f"index, got {value!r}."
        )


class Labels(Parameter):
    """``candidate_labels``: a list of distinct, non-missing labels."""

    def check(self, value):
        if value is None:
            return None
        if isinstance(value, str):
            raise InvalidTypeError(
                f"{self.name} must be a list of labels, got the string {value!r}; write "
                f"[{value!r}] for a single label."
            )
        try:
            labels = list(value)
        except TypeError:
            raise InvalidTypeError(
                f"{self.name} must be a list of labels, got {value!r}."
            ) from None
        if not labels:
            raise InvalidValueError(f"{self.name} is empty: give at least one label.")
        from ._inputs import is_missing

        seen = {}
        for position, label in enumerate(labels):
            if is_missing(label):
                raise InvalidValueError(
                    f"{self.name} contains a missing value at position {position}."
                )
            if label in seen:
                raise InvalidValueError(
                    f"{self.name} contains {label!r} twice (positions {seen[label]} and "
                    f"{position}); each label must appear once."
                )
            seen[label] = position
        return labels


class Mapping(Parameter):
    """None or a dict; what the dict must hold is checked where it is used."""

    def __init__(self, name, what):
        super().__init__(name)
        self.what = what

    def check(self, value):
        if value is not None and not isinstance(value, dict):
            raise InvalidTypeError(
                f"{self.name} must be None or a dict {self.what}, got {type(value).__name__}."
            )
        return value


class ClassPrior(Parameter):
    """``class_prior``: None, ``"uniform"``, probabilities (a sequence) or ``{class: p}``.

    Which classes and how many is checked at fit, against the classes.
    """

    def check(self, value):
        if value is None or (isinstance(value, str) and value == "uniform"):
            return value
        if isinstance(value, str):
            raise InvalidValueError(
                f"{self.name} must be None, 'uniform', a sequence of probabilities in "
                f"classes_ order or a dict {{class: probability}}, got {value!r}."
            )
        if isinstance(value, dict):
            names, entries = list(value), list(value.values())
        else:
            try:
                entries = list(value)
            except TypeError:
                raise InvalidTypeError(
                    f"{self.name} must be None, 'uniform', a sequence of probabilities or a "
                    f"dict {{class: probability}}, got {value!r} of type {type(value).__name__}."
                ) from None
            names = list(range(len(entries)))
        for name, entry in zip(names, entries):
            where = f"{self.name}[{name!r}]"
            if isinstance(entry, (bool, np.bool_)) or not isinstance(entry, numbers.Real):
                raise InvalidTypeError(f"{where} must be a probability, got {entry!r}.")
            if not (np.isfinite(entry) and entry >= 0):
                raise InvalidValueError(f"{where} must be a probability >= 0, got {entry}.")
        total = float(np.sum(entries)) if entries else 0.0
        if not np.isclose(total, 1.0, rtol=0, atol=1e-6):
            raise InvalidValueError(
                f"{self.name} must sum to 1 (an expected class distribution), its "
                f"{len(entries)} entries sum to {total:.6g}."
            )
        return value


class CountOrFraction(Parameter):
    """A count (an integer >= 1) or a fraction (a float in (0, 1])."""

    parse = staticmethod(float)
    expected = "an integer >= 1 (a count) or a float in (0, 1] (a fraction)"

    def check(self, value):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise InvalidTypeError(
                f"{self.name} must be {self.expected}, got {value!r} of type "
                f"{type(value).__name__}."
            )
        if isinstance(value, numbers.Integral):
            if value < 1:
                raise InvalidValueError(f"{self.name} must be {self.expected}, got {value}.")
            return int(value)
        if not 0 < value <= 1:
            raise InvalidValueError(f"{self.name} must be {self.expected}, got {value}.")
        return float(value)
