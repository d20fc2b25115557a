"""The digit app's application core, with no display and no command line, in parts by concern.

Each part may import the parts above it in this list, never those below (tests/test_architecture.py
checks it):

- foundations, here in ``app/``: ``errors`` (``AppError``), ``paths`` (where files live), ``files``
  (the one check every file we are given goes through: regular, bounded), ``pixels`` (uint8 <->
  float32, preview sheets), ``cachefolder`` (a verified, atomically built folder of arrays);
- ``app.reading``: a drawing's strokes and raster, MNIST-style preprocessing, the predictor;
- ``app.data``: MNIST and Fashion-MNIST: sources, augmentation, the augmented cache, previews;
- ``app.pen``: real pen-drawn digits: the UNIPEN reader, stroke-level augmentation, rendering
  through ``app.reading``'s own code, the pen cache;
- ``app.personal``: the user's own drawings (their strokes in ``app.reading``'s format);
- ``app.models``: saved models, training, evaluation, fine-tuning, explanation, plots;
- ``app.gui``: the Tk windows.

The network itself is the separate library ``network/``, which imports nothing of ours; the three
commands (``data.py``, ``ModelManager.py``, ``interface.py``) sit on top and nothing imports them.
"""
