"""The runtime: from pairs of strings to logits, and the models behind them.

What lives here knows nothing of estimators, classes or hypotheses:
:mod:`._engine` (the engine and the process-wide registry of loaded models),
:mod:`._encoder` (tokenizer and labels), :mod:`._cache` (logits per pair),
:mod:`._backends` (what runs the forward passes), :mod:`._config`,
:mod:`._devices` and :mod:`._hub`. The estimators reach it through
:func:`._engine.get_engine` and :func:`._engine.get_encoder`.
"""
