"""Learning: fine-tuning in the entailment format, learning from unlabelled texts, model cards.

:mod:`._training` (epoch samplers, objectives and the training loop),
:mod:`._unlabelled` (prior matching, confident selection),
:mod:`._self_training` (the self-training rounds, given callables that fine-tune
and score) and :mod:`._model_card` (the README.md of a saved model). The
estimators call these; nothing here imports an estimator.
"""
