"""The Tk windows: the drawing window (``window.py``, its ``panels.py``), the network view and the
augmentation visualiser.

Only widgets, events and timers live here; everything they show is computed by the display-free
parts of ``app/`` (reading, data, models, personal), which never import this package.
"""
