"""scikit-learn's common estimator checks, on both estimators.

ZeroShotNLIClassifier takes 2-D input as text columns (numbers written as text),
so scikit-learn's checks, which feed numeric arrays, exercise it for real.

NLIPairScorer's tags are honest: its X is a table of (premise, hypothesis)
strings, which scikit-learn's tags cannot say (``input_tags.string=True``,
``two_d_array=False``), so ``parametrize_with_checks`` runs only
``check_estimator_cloneable`` on it and skips the rest with a SkipTestWarning.
The API checks that need no numeric data are run on it explicitly below.
"""

import pytest
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_nli import NLIPairScorer, ZeroShotNLIClassifier
from sklearn_nli._testing import shared_tiny_model

# parametrize_with_checks needs the estimator at collection time, before fixtures.
_MODEL = shared_tiny_model("sklearn-nli-common-checks")

_BATCH_NOISE = (
    "with the result cache off, torch's padded batches of another composition round differently in "
    "float32: outputs differ by ~3e-7 when the samples are reordered or subset, above this "
    "check's 1e-7 tolerance; the package's invariance tolerance is 1e-5, tested in "
    "test_engine.py. With the cache on (the default) a pair's logits are computed once and "
    "the check passes."
)


def expected_failed_checks(estimator):
    if isinstance(estimator, NLIPairScorer):
        return {}  # the one check that runs on it (see the module docstring) passes
    if estimator.cache:
        return {}
    return {
        "check_methods_sample_order_invariance": _BATCH_NOISE,
        "check_methods_subset_invariance": _BATCH_NOISE,
    }


@parametrize_with_checks(
    [
        ZeroShotNLIClassifier(_MODEL, device="cpu"),
        ZeroShotNLIClassifier(_MODEL, device="cpu", cache=False, backend="torch"),
        NLIPairScorer(_MODEL, device="cpu"),
    ],
    expected_failed_checks=expected_failed_checks,
)
def test_sklearn_common_checks(estimator, check):
    check(estimator)


# scikit-learn's API checks (those of its _yield_api_checks, and the parameter
# checks) that feed no numeric X, or only to an unfitted estimator, so that they
# hold for an estimator of text pairs. Left out, as parametrize_with_checks
# leaves them out: check_fit_score_takes_y, check_estimators_overwrite_params,
# check_dont_overwrite_parameters, check_estimators_fit_returns_self,
# check_readonly_memmap_input and check_positive_only_tag_during_fit fit on a
# numeric array, which NLIPairScorer rejects (a TypeError or ValueError naming
# the premise column or the shape), as its tags say it does.
_PAIR_SCORER_API_CHECKS = [
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_estimator_repr",
    "check_no_attributes_set_in_init",
    "check_estimators_unfitted",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_mixin_order",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
]


@pytest.mark.parametrize("check", _PAIR_SCORER_API_CHECKS)
def test_pair_scorer_api_checks(check):
    getattr(estimator_checks, check)("NLIPairScorer", NLIPairScorer(_MODEL, device="cpu"))
