"""Augmentation of 28x28 digit images: rotation, zoom, shift, elastic distortion, noise, stroke thickness.

Rotation, zoom, shift and the elastic field (Simard et al. 2003) are one bilinear resampling,
vectorised over ``CHUNK`` images at a time; the elastic field is smoothed with two small matrix
products; the noise is a window into a fixed bank of Gaussian draws. The same seed and
parameters give the same bytes.
"""
from __future__ import annotations

import dataclasses
import functools

import numpy as np
from scipy import ndimage


@dataclasses.dataclass(frozen=True)
class AugmentParams:
    """Ranges of the random transforms; each image draws uniformly within them."""

    rotation: float = 12.0       # degrees, +-
    zoom: float = 0.12           # scale in [1 - zoom, 1 + zoom]
    shift: float = 2.0           # pixels, +- in x and y
    elastic_alpha: float = 16.0  # elastic distortion strength (pixels before smoothing); 0 turns it off
    elastic_sigma: float = 5.0   # smoothness of the field (Simard et al. used alpha 34, sigma 4: strong)
    noise: float = 0.02          # std of Gaussian background noise, as a fraction of full intensity
    thickness: float = 0.0       # share of images whose strokes are made thicker or thinner (half each)

    def __post_init__(self):
        for name, low, high in (("rotation", 0, 180), ("zoom", 0, 0.9), ("shift", 0, 10), ("elastic_alpha", 0, 200),
                                ("elastic_sigma", 0.5, 20), ("noise", 0, 1),
                                ("thickness", 0, 1)):
            value = getattr(self, name)
            if not low <= value <= high:
                raise ValueError(f"{name} must be between {low} and {high}, got {value!r}")


CHUNK = 128  # images per vectorised step: big enough to amortise numpy calls, small enough for the cache
_CENTER = 13.5
_YY, _XX = (g.astype(np.float32) - _CENTER for g in np.mgrid[0:28, 0:28])


def _gaussian_matrix(sigma: float) -> np.ndarray:
    """G with G @ F @ G.T == a 2-D Gaussian blur of F with zero padding (what
    scipy.ndimage.gaussian_filter does with mode='constant'), as two small GEMMs
    over a whole batch of displacement fields."""
    d = np.arange(28)[:, None] - np.arange(28)[None, :]
    g = np.exp(-0.5 * (d / sigma) ** 2)
    g /= np.exp(-0.5 * (np.arange(-60, 61) / sigma) ** 2).sum()
    return g.astype(np.float32)


@functools.lru_cache(maxsize=4)
def _noise_bank(level: float) -> np.ndarray:
    """2**21 normal draws (fixed seed) scaled to ``level`` of full intensity."""
    bank = np.random.default_rng(20031).standard_normal(1 << 21, dtype=np.float32)
    bank *= np.float32(level * 255)
    return bank


def augment_batch(images: np.ndarray, params: AugmentParams, rng: np.random.Generator) -> np.ndarray:
    """Randomly transformed copies of ``images`` (n, 28, 28) uint8, as uint8."""
    n = len(images)
    angle = rng.uniform(-params.rotation, params.rotation, n)
    scale = rng.uniform(1 - params.zoom, 1 + params.zoom, n)
    shift = rng.uniform(-params.shift, params.shift, (n, 2))
    displacement = None
    if params.elastic_alpha:
        g = _gaussian_matrix(params.elastic_sigma)
        field = rng.random((2, n, 28, 28), dtype=np.float32)
        field -= 0.5
        field *= np.float32(2 * params.elastic_alpha)  # uniform in [-alpha, alpha), then smoothed
        displacement = g @ field @ g.T
    if params.thickness:
        images = vary_thickness(images, params.thickness, rng)
    out = resample(images, angle, scale, shift, displacement)
    if params.noise:
        # A window at a random offset into a fixed bank of Gaussian noise: drawing fresh normals
        # for every pixel would cost as much as all the resampling.
        bank = _noise_bank(params.noise)
        m = min(out.size, bank.size)
        offset = int(rng.integers(0, bank.size - m + 1))
        out.reshape(-1)[:m] += bank[offset:offset + m]
        np.clip(out, 0, 255, out=out)
    out += 0.5  # round to nearest on the cast below
    return out.astype(np.uint8)


def vary_thickness(images: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Thicken (grey dilation) a random ``share / 2`` of the images and thin (grey erosion) another
    ``share / 2``, with a 2x2 footprint: people draw with every pen width, MNIST has a narrow range."""
    pick = rng.random(len(images))
    thick, thin = pick < share / 2, (pick >= share / 2) & (pick < share)
    if not (thick.any() or thin.any()):
        return images
    out = images.copy()
    if thick.any():
        out[thick] = ndimage.grey_dilation(images[thick], size=(1, 2, 2))
    if thin.any():
        out[thin] = ndimage.grey_erosion(images[thin], size=(1, 2, 2))
    return out


def resample(images: np.ndarray, angle_deg: np.ndarray, scale: np.ndarray, shift: np.ndarray,
             displacement: np.ndarray | None = None) -> np.ndarray:
    """Rotate by ``angle_deg``, zoom by ``scale`` and shift by ``shift`` (dy, dx) about the centre,
    then displace by ``displacement`` (2, n, 28, 28), in one bilinear resampling; float32 result.

    Every output pixel is sampled from the point the inverse transform maps it to,
    gathered from a zero-padded copy for a whole batch at once.
    """
    n = len(images)
    angle = np.deg2rad(np.asarray(angle_deg, np.float32))
    scale = np.asarray(scale, np.float32)
    shift = np.asarray(shift, np.float32).reshape(n, 2)
    cos = (np.cos(angle) / scale)[:, None, None]
    sin = (np.sin(angle) / scale)[:, None, None]
    # How far outside the picture a source point can fall: the target's offset from the centre, shift
    # included, is at most sqrt(2) (13.5 + |shift|) long, and the inverse zoom stretches it by 1 / scale.
    reach = np.sqrt(2) * (_CENTER + float(np.abs(shift).max(initial=0))) / float(scale.min(initial=1)) - _CENTER
    if displacement is not None:
        reach += float(np.abs(displacement).max(initial=0))
    pad = int(np.ceil(reach)) + 2
    width = 28 + 2 * pad
    # Inverse map: source = R(-angle) / scale @ (target - centre - shift) + centre, plus the padding.
    ty = _YY[None] - shift[:, 0, None, None]
    tx = _XX[None] - shift[:, 1, None, None]
    sy = cos * ty
    sy += sin * tx
    sy += _CENTER + pad
    sx = cos * tx
    sx -= sin * ty
    sx += _CENTER + pad
    if displacement is not None:
        sy += displacement[0]
        sx += displacement[1]
    canvas = np.zeros((n, width, width), np.float32)
    canvas[:, pad:pad + 28, pad:pad + 28] = images
    flat = canvas.reshape(-1)
    y0, x0 = sy.astype(np.int32), sx.astype(np.int32)  # coordinates are positive: int() is floor()
    sy -= y0  # from here on, the fractional parts
    sx -= x0
    index = y0 * width
    index += x0
    index += (np.arange(n, dtype=np.int32) * width * width)[:, None, None]
    top, top_right = flat.take(index), flat.take(index + 1)
    index += width
    bottom, bottom_right = flat.take(index), flat.take(index + 1)
    top_right -= top
    top_right *= sx
    top += top_right          # top row interpolated along x
    bottom_right -= bottom
    bottom_right *= sx
    bottom += bottom_right    # bottom row interpolated along x
    bottom -= top
    bottom *= sy
    top += bottom             # and the two rows along y
    return top


def augment(images: np.ndarray, params: AugmentParams, seed: int, out: np.ndarray | None = None,
            progress: bool = False, desc: str = "augmenting") -> np.ndarray:
    """Augment every image once, CHUNK at a time. The same seed and parameters give the same bytes:
    each chunk has its own random stream, derived from (seed, chunk start)."""
    out = np.empty_like(images) if out is None else out
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(images), desc=desc, unit="img", leave=False)
    for s in range(0, len(images), CHUNK):
        rng = np.random.default_rng([seed, s])
        out[s:s + CHUNK] = augment_batch(images[s:s + CHUNK], params, rng)
        if bar is not None:
            bar.update(len(out[s:s + CHUNK]))
    if bar is not None:
        bar.close()
    return out
