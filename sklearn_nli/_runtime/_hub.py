"""Where a model named by a Hub id comes from, and what to do when it cannot be had.

Offline, transformers retries the Hub for about 50 seconds before it gives up,
with a message about its own offline mode. Before loading a Hub id that is not
in the local cache, the engine asks the Hub once, with a short timeout, and when
it does not answer says so at once, with this package's ways out: a local
directory, ``--model``, ``$SKLEARN_NLI_MODEL``, ``HF_HUB_OFFLINE=1``.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request

from .._errors import ModelLoadError

# Seconds to wait for the Hub's first answer: a reachable Hub answers in well under one.
HUB_TIMEOUT = 5


def is_local_directory(model):
    """Whether ``model`` names a directory of this machine (``~`` expanded), not a Hub id."""
    return os.path.isdir(os.path.expanduser(str(model)))


def check_available(model):
    """Raise a ModelLoadError now if ``model`` (a Hub id or a local path) cannot be loaded.

    A local directory and a Hub id already in the cache pass; another Hub id
    passes when the Hub answers.
    """
    if is_local_directory(model) or _in_cache(model):
        return
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
    reason = "HF_HUB_OFFLINE is set" if offline else _hub_unreachable()
    if reason is not None:
        raise ModelLoadError(unavailable_message(model, reason))


def unavailable_message(model, reason):
    """What went wrong with a Hub id that is not cached, and how to get past it."""
    from huggingface_hub import constants

    local = ""
    if "/" in model or os.sep in model:
        local = f" no local directory {os.path.abspath(os.path.expanduser(model))!r} exists,"
    return (
        f"Could not load model {model!r}:{local} it is not in the Hugging Face cache, and the "
        f"Hugging Face Hub ({constants.ENDPOINT}) could not be reached ({reason}). To work "
        "offline, save the model once where the Hub is reachable (save_pretrained; see "
        "README, 'Local models and offline use') and pass that directory as model= in "
        "Python, --model on the command line, or in $SKLEARN_NLI_MODEL; with "
        "HF_HUB_OFFLINE=1, models already in the cache load without the network."
    )


def _in_cache(model):
    try:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(model, "config.json"), str)
    except Exception:  # an id the Hub would refuse: let transformers say why
        return False


def _hub_unreachable():
    """None when the Hub answers (any HTTP status), else why not."""
    from huggingface_hub import constants

    request = urllib.request.Request(constants.ENDPOINT, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=HUB_TIMEOUT):
            return None
    except urllib.error.HTTPError:
        return None  # it answered
    except (urllib.error.URLError, OSError) as exc:
        return f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
