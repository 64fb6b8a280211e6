"""scikit-learn estimators for natural language inference (NLI) models."""

from ._pairs import NLIPairScorer
from ._zero_shot import ZeroShotNLIClassifier

__all__ = ["NLIPairScorer", "ZeroShotNLIClassifier"]
__version__ = "0.1.0"
