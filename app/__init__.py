"""The digit app's application core, with no display and no command line.

Data: ``mnist_source`` (fetch, read, validate), ``augment``, ``mnist_cache``, ``pendigits`` and
``pen_data`` (real pen-drawn digits rendered as canvas drawings), ``preview``, ``cachefolder``.
Drawings: ``strokes`` (the canvas's rasteriser), ``preprocess`` (MNIST-style), ``predictor``.
Models: ``model_store`` (names, listing, safe saving), ``training`` (``TrainConfig`` and the
recipe), ``evaluation``, ``plots``. The user's own handwriting: ``personal``, ``finetune``.
Shared: ``errors`` (``AppError``), ``paths``, ``pixels``.

The Tk windows are in the sub-package ``app.gui``; nothing here imports it. The network itself is
the separate library ``network/``, which imports nothing of ours.
"""
