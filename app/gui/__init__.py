"""The Tk windows: the drawing window (``window.py``) and the augmentation visualiser.

Only widgets, events and timers live here; everything they show is computed by the display-free
core in ``app/`` (preprocessing, prediction, personal data, fine-tuning, models).
"""
