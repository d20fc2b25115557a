"""Digit models: the store of saved models, training, evaluation, fine-tuning, explanation, plots.

``model_store`` (names, listing, locks, safe saving), ``training`` (``TrainConfig`` and the recipe),
``evaluation`` (accuracy and predictions on each data set), ``finetune`` (learning the user's
handwriting), ``explain`` (activations and saliency for one drawing), ``plots`` (PNG figures).
May import every part above it: the foundations, ``app.reading``, ``app.data``, ``app.pen``,
``app.personal`` and ``network``.
"""
