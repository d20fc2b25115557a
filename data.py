"""Data for training: fetch, validate, augment and cache MNIST, Fashion-MNIST and real pen-drawn digits.

    python data.py                       # fetch MNIST, build 5 augmented copies, cache them
    python data.py --copies 10 --rotation 15 --elastic-alpha 0   # other parameters, another cache
    python data.py --dataset fashion     # the same for Fashion-MNIST
    python data.py --dataset pendigits   # real pen-drawn digits, rendered as canvas drawings
    python data.py --source DIR_OR_NPZ   # a local mnist.npz, or a folder of the four IDX files
    python data.py --info | --clear      # what is cached / remove it
    python data.py --preview             # a window: originals beside augmented copies, with sliders
    python data.py --preview-png out.png # the same grid as a PNG, no window

This file is the command line only; the work is done in the application core:
``app/data/mnist_source.py`` (download with pooch, SHA-256 verified; IDX and .npz reading),
``app/data/augment.py`` (one vectorised resampling for rotation, zoom, shift and elastic distortion,
plus noise and stroke thickness), ``app/data/mnist_cache.py`` (the verified on-disk cache),
``app/pen/pendigits.py`` and ``app/pen/pen_data.py`` (pen trajectories rendered through the canvas's
own code), ``app/data/preview.py`` (the preview grid) and ``app/gui/augment_viewer.py`` (the window).
"""
from __future__ import annotations

import os
import signal
import sys

if __name__ == "__main__":   # Ctrl-C while numpy and the rest load (the first half second): one line, no traceback
    signal.signal(signal.SIGINT, lambda *_: (print("interrupted", file=sys.stderr), os._exit(130)))

import argparse
import time
from pathlib import Path

from app.cachefolder import clear_cache, leftovers
from app.data.augment import AugmentParams
from app.data.mnist_cache import build_cache, cached_entries, raw_or_cached_originals
from app.data.mnist_source import DATASETS, FASHION_CLASSES
from app.data.preview import preview_grid
from app.errors import AppError, DataError
from app.files import check_output, write_picture
from app.paths import CACHE_DIR
from app.pen import pen_data, pendigits
from app.pen.preview import pen_preview_grid, styles_sheet
from app.signals import stop_like_ctrl_c


def _params_from(args) -> AugmentParams:
    return AugmentParams(rotation=args.rotation, zoom=args.zoom, shift=args.shift, elastic_alpha=args.elastic_alpha,
                         elastic_sigma=args.elastic_sigma, noise=args.noise, thickness=args.thickness)


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _pendigits_command(args) -> int:
    """``--dataset pendigits``: render and cache the pen digits, or preview their renderings."""
    if args.preview:
        raise DataError("the visualiser window shows MNIST; for pen digits use --preview-png FILE")
    for output, make_sheet in ((args.preview_png, pen_preview_grid), (args.styles_png, styles_sheet)):
        if output:
            src = pen_data.pen_source(args.source, args.cache_dir, not args.quiet)
            sheet = make_sheet(pendigits.read_unipen(src), seed=args.seed)
            write_picture(output, lambda f, sheet=sheet: sheet.save(f, format="PNG"), "picture")
            print(f"wrote {output} ({src})")
            return 0
    start = time.perf_counter()
    d = pen_data.build_pen_cache(args.source, 10 if args.copies is None else args.copies, seed=args.seed,
                                 cache_dir=args.cache_dir, rebuild=args.rebuild, progress=not args.quiet)
    print(f"pendigits: {d.digits} pen-drawn digits by {d.meta['counts']['writers']} writers, {len(d.x)} renderings "
          f"({d.meta['copies']} augmented copies), in {d.path} ({time.perf_counter() - start:.1f} s)")
    return 0


def _parser() -> argparse.ArgumentParser:
    defaults = AugmentParams()
    p = argparse.ArgumentParser(description="Fetch MNIST, Fashion-MNIST or pen digits, augment them and cache them.")
    p.add_argument("--dataset", choices=(*DATASETS, "pendigits"), default="mnist",
                   help="mnist, fashion, or pendigits (real pen-drawn digits, rendered as canvas drawings)")
    p.add_argument("--source", type=Path, help="a local .npz (Keras layout) or a folder with the four IDX files; "
                                              "for pendigits a UNIPEN file")
    p.add_argument("--copies", type=int, help="augmented copies stored in addition to the originals "
                                              "(default 5; for pendigits 10)")
    p.add_argument("--rotation", type=float, default=defaults.rotation, help="max rotation in degrees (default %(default)s)")
    p.add_argument("--zoom", type=float, default=defaults.zoom, help="max relative zoom in or out (default %(default)s)")
    p.add_argument("--shift", type=float, default=defaults.shift, help="max shift in pixels (default %(default)s)")
    p.add_argument("--elastic-alpha", type=float, default=defaults.elastic_alpha,
                   help="elastic distortion strength, 0 = off (default %(default)s)")
    p.add_argument("--elastic-sigma", type=float, default=defaults.elastic_sigma,
                   help="elastic distortion smoothness (default %(default)s)")
    p.add_argument("--noise", type=float, default=defaults.noise, help="background noise std, 0-1 (default %(default)s)")
    p.add_argument("--thickness", type=float, default=defaults.thickness,
                   help="share of images drawn thicker or thinner, 0-1 (default %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rebuild", action="store_true", help="build the cache again even if it exists")
    p.add_argument("--cache-dir", type=Path, default=CACHE_DIR)
    p.add_argument("--info", action="store_true", help="list what is cached and its size")
    p.add_argument("--clear", action="store_true", help="remove the cached data sets (not the downloads)")
    p.add_argument("--downloads", action="store_true", help="with --clear: the downloads and kept copies too")
    p.add_argument("--preview", action="store_true", help="open the augmentation visualiser window")
    p.add_argument("--preview-png", type=Path, metavar="FILE", help="write the preview grid to a PNG, no window")
    p.add_argument("--styles-png", type=Path, metavar="FILE",
                   help="with --dataset pendigits: a sheet of the digit styles training adds (slashed zero, crossed 7, ...)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return p


def _info(args) -> int:
    entries = sorted(cached_entries(args.cache_dir) + pen_data.cached_entries(args.cache_dir), key=lambda entry: entry[0])
    downloads = args.cache_dir / "downloads"
    stale = leftovers(args.cache_dir)
    if not entries and not downloads.exists() and not stale:
        print(f"nothing cached in {args.cache_dir}")
    for folder, meta, size in entries:
        if meta is None:
            print(f"{folder.name}  {_human(size)}  DAMAGED (rebuilt on next use)")
        else:
            print(f"{folder.name}  {_human(size)}  {meta['dataset']}, {meta['counts']['train']} train "
                  f"({meta['copies']} copies), {meta['counts'].get('test', 0)} test, seed {meta['seed']}, "
                  f"{meta['params']}, created {meta['created']}")
    if downloads.exists():
        files = [f for f in downloads.rglob("*") if f.is_file()]
        print(f"downloads  {_human(sum(f.stat().st_size for f in files))}  {', '.join(sorted(f.name for f in files))}")
    for folder in stale:
        size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        print(f"{folder.name}  {_human(size)}  LEFTOVER of an interrupted build (removed by the next build, or --clear)")
    return 0


def _preview(args, params: AugmentParams) -> int:
    images, labels, origin = raw_or_cached_originals(args.dataset, args.source, args.cache_dir, not args.quiet)
    names = FASHION_CLASSES if args.dataset == "fashion" else None
    if args.preview_png:
        sheet = preview_grid(images, labels, params, seed=args.seed, class_names=names)
        write_picture(args.preview_png, lambda f: sheet.save(f, format="PNG"), "preview")
        print(f"wrote {args.preview_png} ({origin})")
        return 0
    from app.gui.augment_viewer import run_viewer

    for name in ("SIGTERM", "SIGHUP"):   # a window has nothing half-built: kill and logout end it at once
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    run_viewer(images, labels, params, class_names=names, origin=origin)
    return 0


def _build(args, params: AugmentParams) -> int:
    start = time.perf_counter()
    d = build_cache(args.dataset, args.source, 5 if args.copies is None else args.copies, params, args.seed,
                    args.cache_dir, rebuild=args.rebuild, progress=not args.quiet)
    size = sum(f.stat().st_size for f in d.path.iterdir())
    print(f"{d.meta['dataset']}: {len(d.x_train)} training images ({d.meta['copies']} augmented copies), "
          f"{len(d.x_test)} test images, in {d.path} ({_human(size)}, {time.perf_counter() - start:.1f} s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    stop_like_ctrl_c()   # from here on Ctrl-C, kill and a closed terminal unwind: no half-built cache is left
    try:
        for output in (args.preview_png, args.styles_png):
            if output:
                check_output(output, "picture")   # before any work
        params = _params_from(args)
        if args.info:
            return _info(args)
        if args.clear:
            freed = clear_cache(args.cache_dir, (*DATASETS, "pendigits", "negatives", "numbers"), downloads=args.downloads)
            kept = "" if args.downloads else " (the downloads and kept copies stay: add --downloads to remove them too)"
            print(f"removed {_human(freed)} from {args.cache_dir}{kept}")
            return 0
        if args.dataset == "pendigits":
            return _pendigits_command(args)
        if args.preview or args.preview_png:
            return _preview(args, params)
        return _build(args, params)
    except (AppError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: nothing was cached (a partial build is removed)", file=sys.stderr)
        return 130
    except MemoryError:
        print("error: not enough memory for this (try fewer --copies)", file=sys.stderr)
        return 1
    except OSError as e:  # a full disk, a folder we may not write to
        print(f"error: {e.filename or ''}{': ' if e.filename else ''}{e.strerror or e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
