"""scikit-learn estimators for natural language inference (NLI) models."""

from ._config import config_context, get_config, set_config
from ._pairs import NLIPairScorer
from ._zero_shot import ZeroShotNLIClassifier

__all__ = [
    "NLIPairScorer",
    "ZeroShotNLIClassifier",
    "config_context",
    "get_config",
    "set_config",
]
__version__ = "0.1.0"
