"""Reading a drawing: from the canvas's strokes to the network's answer, with no display.

``strokes`` (what the canvas records, rasterised), ``preprocess`` (any picture to the 28x28 input
an MNIST-trained network expects), ``predictor`` (a reading: digit, probabilities, "not sure").
May import the foundations in ``app/`` and ``network``; the window, the pen-digit renderer and the
commands build on it.
"""
