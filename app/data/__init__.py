"""The MNIST family of data sets (MNIST, Fashion-MNIST): sources, augmentation, the cache, previews.

``mnist_source`` (download with pooch, read .npz or IDX, validate), ``augment`` (one vectorised
resampling: rotation, zoom, shift, elastic), ``mnist_cache`` (originals plus augmented copies,
verified on load), ``preview`` (the augmentation sheet). May import the foundations in ``app/``.
"""
