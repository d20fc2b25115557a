"""Real pen-drawn digits: pen trajectories rendered exactly as the canvas renders a drawing.

``pendigits`` (the UNIPEN reader, stroke-level augmentation, rendering through ``app.reading``),
``pen_data`` (where the file comes from, the rendered cache, the writer split), ``preview`` (the
sheet of plain and augmented renderings). May import the foundations in ``app/`` and ``app.reading``.
"""
