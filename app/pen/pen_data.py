"""The pen-digit training data: where the UNIPEN file comes from, and its rendered copies, cached.

- **Source.** ``--source FILE`` (or ``DIGITS_PENDIGITS_SOURCE``) names a UNIPEN file; otherwise a
  copy already extracted into ``cache/downloads/`` is used if its SHA-256 is right; otherwise the
  UCI archive is downloaded with pooch, the training file extracted from it (``.Z``, Unix
  compress, read with ``unlzw3``) and checked against the SHA-256 of the file we know. UCI
  publishes no checksum for the archive itself, so it is the extracted file that is verified;
  if it differs, nothing is used and the message says to give a trusted copy with ``--source``.
- **Cache.** ``cache/pendigits-<key>/`` holds ``x.npy`` (the plain rendering of every digit,
  then ``copies`` augmented renderings), ``y.npy`` and ``writers.npy`` of the same length, and
  ``meta.json``; the key hashes the file's SHA-256, the augmentation settings, the number of
  copies, the seed and the rendering version. Rendering runs in a pool of worker processes.
- **Split.** Validation holds out whole *writers* (their plain renderings; none of their
  augmented copies is trained on), so the figure says how the model reads people it never saw.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import os
import time
import zipfile
from pathlib import Path

import numpy as np

from app.cachefolder import cache_folders, folder_size, open_folder, write_folder
from app.errors import DataError
from app.files import keep_copy, regular_file, sha256_of
from app.paths import CACHE_DIR
from app.pen import pendigits
from app.pen.styles import styled_digits
from app.resources import require_memory
from app.signals import worker_start
from app.words import command, duration, plural
from network.atomic import atomic_write

UCI_URL = "https://archive.ics.uci.edu/static/public/81/pen+based+recognition+of+handwritten+digits.zip"
PENDIGITS_SHA256 = "a66225d68d7d68591e62944df1ad33b3f5aa608e2df2505844b41f5568a80da4"
ARCHIVE_MEMBER = "pendigits-orig.tra"        # in the archive, compressed as pendigits-orig.tra.Z
EXTRACTED_NAME = "pendigits-train.unipen"
MAX_MEMBER_BYTES = 16 << 20                  # the real member is about 1 MB compressed, 3.6 MB plain
SOURCE_ENV = "DIGITS_PENDIGITS_SOURCE"
CACHE_FORMAT_VERSION = 1
RENDER_VERSION = 4   # bump when rendering changes what a trajectory becomes: old caches are then unused (3: styles;
                     # 4: no second flag on a 1 flagged from its foot)
ARRAYS = ("x", "y", "writers")
COUNTS = ("digits", "train", "writers")
CHUNK = 250          # digits per task handed to a worker process
RENDER_SECONDS = 0.0015   # one rendering on one core (AMD EPYC: 289 k in 219 s on 2 cores), for the estimate


# ---------------------------------------------------------------------------
# Where the file comes from
# ---------------------------------------------------------------------------

def pen_source(source: Path | None, cache_dir: Path, progress: bool = True, url: str = UCI_URL,
               download: bool = True, flag: str = "--source") -> Path:
    """The UNIPEN file to use: ``source``, ``$DIGITS_PENDIGITS_SOURCE``, the verified copy in the
    cache (downloaded, or given before: the file we know is kept there once seen, so later
    commands work offline), or else, with ``download``, a fresh download. Messages name ``flag``,
    the option of the command that was run (``train`` and ``evaluate`` call it ``--pen-source``)."""
    if source is None and os.environ.get(SOURCE_ENV):
        source = Path(os.environ[SOURCE_ENV])
    extracted = Path(cache_dir) / "downloads" / EXTRACTED_NAME
    if source is not None:
        if not Path(source).exists():
            raise DataError(f"{source}: no such file (expected a UNIPEN pen-digit file)")
        regular_file(Path(source), pendigits.MAX_FILE_BYTES, "a pen-digit file")   # before it is hashed: no FIFO, no huge file
        keep_copy(Path(source), extracted, acceptable=lambda path: sha256_of(path) == PENDIGITS_SHA256)
        return Path(source)
    if extracted.is_file() and sha256_of(extracted) == PENDIGITS_SHA256:
        return extracted
    if not download:
        raise DataError(f"the pen digits are not in the cache; give them with {flag} FILE "
                        f"(or {SOURCE_ENV}), or fetch them with: {command('data.py --dataset pendigits')}")
    return fetch_pendigits(cache_dir, url, progress, flag=flag)


def fetch_pendigits(cache_dir: Path, url: str = UCI_URL, progress: bool = True,
                    expected_sha256: str = PENDIGITS_SHA256, flag: str = "--source") -> Path:
    """Download the UCI archive, extract the training trajectories and verify them."""
    import pooch

    folder = Path(cache_dir) / "downloads"
    # UCI publishes no hash of the archive, and pooch would log one "to use next time": not a
    # hash anybody checked, so its log is quiet here and the extracted file is verified instead.
    pooch.get_logger().setLevel("WARNING")
    try:
        archive = Path(pooch.retrieve(url, known_hash=None, fname="pendigits-uci.zip", path=folder,
                                      progressbar=progress))
    except Exception as e:  # network errors of every kind
        raise DataError(f"could not download the pen digits from {url}: {type(e).__name__}: {e}; "
                        f"give a local copy with {flag} FILE or {SOURCE_ENV}") from None
    try:
        text = _extract(archive)
    except DataError:
        archive.unlink(missing_ok=True)  # a broken download is not kept: the next try fetches it again
        raise
    digest = hashlib.sha256(text).hexdigest()
    if digest != expected_sha256:
        archive.unlink(missing_ok=True)
        raise DataError(f"the pen digits in {url} cannot be verified: {ARCHIVE_MEMBER} has SHA-256 {digest[:16]}..., "
                        f"expected {expected_sha256[:16]}...; not used. Give a copy you trust with {flag} FILE")
    extracted = folder / EXTRACTED_NAME
    with atomic_write(extracted) as f:
        f.write(text)
    return extracted


def _extract(archive: Path) -> bytes:
    """The training member of the UCI zip, decompressed, with its size bounded before reading."""
    try:
        with zipfile.ZipFile(archive) as z:
            members = {Path(i.filename).name: i for i in z.infolist()}
            for name in (ARCHIVE_MEMBER + ".Z", ARCHIVE_MEMBER):
                info = members.get(name)
                if info is None:
                    continue
                if info.file_size > MAX_MEMBER_BYTES:
                    raise DataError(f"{archive}: {name} is {info.file_size} bytes, more than a pen-digit file can be")
                raw = z.read(info)
                if name.endswith(".Z"):
                    import unlzw3

                    raw = unlzw3.unlzw(raw)
                return raw
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise DataError(f"{archive}: not a readable zip archive of the pen digits ({type(e).__name__}: {e})") from None
    raise DataError(f"{archive}: has no {ARCHIVE_MEMBER}[.Z] (is it the UCI pen-digit archive?)")


# ---------------------------------------------------------------------------
# Rendered copies, cached
# ---------------------------------------------------------------------------

@dataclasses.dataclass
class PenData:
    """Rendered pen digits: ``x`` (uint8, the plain renderings first, then the copies), ``y`` and
    ``writers`` of the same length, memory-mapped from the cache."""

    x: np.ndarray
    y: np.ndarray
    writers: np.ndarray
    meta: dict
    path: Path

    @property
    def digits(self) -> int:
        return int(self.meta["counts"]["digits"])

    def split(self, held_writers: int, seed: int) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """Rows to train on, rows to validate on and the held-out writers (see ``split_by_writer``)."""
        return split_by_writer(np.asarray(self.writers[:self.digits]), len(self.x) // self.digits - 1,
                               held_writers, seed, self.meta["counts"].get("originals"))


def split_by_writer(writers: np.ndarray, copies: int, held_writers: int, seed: int, originals: int | None = None
                    ) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Training rows (every rendering of the other writers), validation rows (the plain renderings
    of ``held_writers`` writers chosen by ``seed``) and those writers. Without writer information,
    every tenth digit is held out instead. Items after the first ``originals`` (the styled digits
    made from them) are never validated on, and those of held-out writers never trained on: the
    validation figure stays that of the writers' own digits."""
    n = len(writers)
    originals = n if originals is None else originals
    known = np.unique(writers[writers >= 0])
    if held_writers <= 0:
        held_rows, held = np.array([], np.int64), []
    elif len(known) > held_writers:
        held = sorted(int(w) for w in np.random.default_rng(seed).choice(known, held_writers, replace=False))
        held_rows = np.flatnonzero(np.isin(writers, held))
    elif len(known) == 0:
        held_rows, held = np.arange(0, n, 10), []
    else:
        raise DataError(f"cannot hold out {held_writers} writers: the pen data has only {len(known)}")
    held_items = held_rows
    if held:
        held_items = np.flatnonzero(np.isin(writers, held))      # styled ones too: none is trained on
    held_rows = held_rows[held_rows < originals]
    mask = np.ones(n * (1 + copies), bool)
    for c in range(copies + 1):
        mask[held_items + c * n] = False
    return np.flatnonzero(mask), held_rows, held


def pen_cache_key(src_hash: str, params: pendigits.PenAugment, copies: int, seed: int) -> str:
    spec = {"source": src_hash, "params": dataclasses.asdict(params), "copies": copies, "seed": seed,
            "render_version": RENDER_VERSION, "format_version": CACHE_FORMAT_VERSION}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def build_pen_cache(source: Path | None = None, copies: int = 10,
                    params: pendigits.PenAugment | None = None, seed: int = 0,
                    cache_dir: Path | None = None, rebuild: bool = False, verify: bool = True,
                    progress: bool = True, workers: int | None = None, log=print) -> PenData:
    """The rendered pen digits for these settings: reused from the cache if intact, else built."""
    params = params or pendigits.PenAugment()
    if not 0 <= copies <= 1000:
        raise ValueError(f"pen copies must be between 0 and 1000, got {copies}")
    cache_dir = Path(cache_dir if cache_dir is not None else CACHE_DIR)
    src = pen_source(source, cache_dir, progress)
    src_hash = sha256_of(src)
    folder = cache_dir / f"pendigits-{pen_cache_key(src_hash, params, copies, seed)}"
    found = None if rebuild else intact_cache(folder, verify, log)
    if found is not None:
        return found
    if not rebuild:
        larger = _larger_cache(cache_dir, src_hash, params, copies, seed, verify)
        if larger is not None:
            log(f"pen digits: the first {plural(copies, 'copy', 'copies')} of {larger.path.name} "
                f"({larger.meta['copies']} copies, made with the same settings)")
            return larger
    start = time.perf_counter()
    digits = pendigits.read_unipen(src)
    log(f"rendering the pen digits once for these settings: {len(digits):,} digits (and their styles) x "
        f"{copies + 1}, about {duration(RENDER_SECONDS * len(digits) * 1.25 * (copies + 1) / (os.cpu_count() or 1))}; "
        "later runs with these settings, or fewer copies, reuse them")
    originals = len(digits)
    digits += styled_digits(digits, seed)   # the world's styles, from these writers' own digits (app/pen/styles.py)
    labels, writers = pendigits.as_arrays(digits)
    x = render_copies(digits, copies, seed, params, progress, workers)
    meta = {"format_version": CACHE_FORMAT_VERSION, "dataset": "pendigits", "source": str(src),
            "source_sha256": src_hash, "params": dataclasses.asdict(params), "copies": copies, "seed": seed,
            "render_version": RENDER_VERSION,
            "counts": {"digits": len(digits), "originals": originals, "train": len(x),
                       "writers": int(len(np.unique(writers[writers >= 0])))},
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "build_seconds": round(time.perf_counter() - start, 2)}
    meta = write_folder(folder, {"x": x, "y": np.tile(labels, copies + 1),
                                 "writers": np.tile(writers, copies + 1)}, meta)
    arrays, meta = open_folder(folder, ARRAYS, CACHE_FORMAT_VERSION, verify=False, counts=COUNTS)
    return PenData(**arrays, meta=meta, path=folder)


def keyed_folder(cache_dir: Path, dataset: str, spec: dict) -> Path:
    """The cache folder of ``dataset`` made as ``spec`` says: its name hashes the spec."""
    return Path(cache_dir) / f"{dataset}-{hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]}"


def intact_cache(folder: Path, verify: bool = True, log=print) -> PenData | None:
    """The rendered strokes cached in ``folder``; None when there are none, or when they are damaged
    (said: the caller builds them again)."""
    if not folder.exists():
        return None
    try:
        arrays, meta = open_folder(folder, ARRAYS, CACHE_FORMAT_VERSION, verify, counts=COUNTS)
        return PenData(**arrays, meta=meta, path=folder)
    except DataError as e:
        log(f"cache {folder.name} is damaged ({e}); rebuilding it")
        return None


def _larger_cache(cache_dir: Path, src_hash: str, params: pendigits.PenAugment, copies: int, seed: int,
                  verify: bool) -> PenData | None:
    """A cache of more copies made with the same file, settings and seed, cut to ``copies``: copy k
    is rendered from the seed and k alone, so the first copies of a larger cache are this one's."""
    wanted = {"source_sha256": src_hash, "params": json.loads(json.dumps(dataclasses.asdict(params))), "seed": seed,
              "render_version": RENDER_VERSION, "format_version": CACHE_FORMAT_VERSION}
    found = [(meta["copies"], path) for path, meta, _ in cached_entries(cache_dir)
             if meta and meta.get("dataset") == "pendigits" and all(meta.get(k) == v for k, v in wanted.items())
             and isinstance(meta.get("copies"), int) and meta["copies"] > copies]
    for _, folder in sorted(found):
        try:
            arrays, meta = open_folder(folder, ARRAYS, CACHE_FORMAT_VERSION, verify, counts=COUNTS)
        except DataError:
            continue
        rows = int(meta["counts"]["digits"]) * (copies + 1)
        return PenData(**{k: v[:rows] for k, v in arrays.items()}, meta=meta, path=folder)
    return None


def render_copies(digits: list[pendigits.PenDigit], copies: int, seed: int, params: pendigits.PenAugment,
                  progress: bool = False, workers: int | None = None) -> np.ndarray:
    """All renderings, (len(digits) * (1 + copies), 28, 28) uint8, made by ``workers`` processes
    (default: one per core). The result is the same for any number of workers."""
    n = len(digits)
    require_memory(n * (1 + copies) * 28 * 28, f"rendering {n:,} pen digits {1 + copies} times", "use fewer copies")
    out = np.empty((n * (1 + copies), 28, 28), np.uint8)
    tasks = [(c, s) for c in range(copies + 1) for s in range(0, n, CHUNK)]
    workers = workers or os.cpu_count() or 1
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(out), desc="rendering pen digits", unit="img", leave=False)
    if workers == 1:
        results = ((c, s, pendigits.render_many(digits[s:s + CHUNK], c, seed, params, s)) for c, s in tasks)
        for c, s, images in results:
            out[c * n + s: c * n + s + len(images)] = images
            if bar is not None:
                bar.update(len(images))
    else:
        # Workers ignore Ctrl-C: the main process gets it, cancels what has not started and stops
        # the pool, instead of every worker printing its own traceback; they end with the main process.
        pool = concurrent.futures.ProcessPoolExecutor(max_workers=workers, initializer=worker_start)
        try:
            futures = {pool.submit(pendigits.render_many, digits[s:s + CHUNK], c, seed, params, s): (c, s)
                       for c, s in tasks}
            for future in concurrent.futures.as_completed(futures):
                c, s = futures[future]
                images = future.result()
                out[c * n + s: c * n + s + len(images)] = images
                if bar is not None:
                    bar.update(len(images))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    if bar is not None:
        bar.close()
    return out


def plain_renderings(source: Path, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Plain renderings, labels and writers of the digits in ``source`` (all, or ``rows`` of them),
    for evaluation; no cache."""
    digits = pendigits.read_unipen(source)
    if rows is not None:
        digits = [digits[i] for i in rows]
    labels, writers = pendigits.as_arrays(digits)
    return pendigits.render_many(digits, 0, 0), labels, writers


def cached_entries(cache_dir: Path = CACHE_DIR) -> list[tuple[Path, dict | None, int]]:
    """(folder, meta or None if damaged, size in bytes) for every cache of rendered pen strokes
    (the pen digits, the negatives of app/pen/negatives.py and the number candidates of
    app/pen/number_candidates.py)."""
    return [(folder, _meta_or_none(folder), folder_size(folder))
            for folder in cache_folders(cache_dir, ("pendigits", "negatives", "numbers"))]


def _meta_or_none(folder: Path) -> dict | None:
    try:
        return open_folder(folder, ARRAYS, CACHE_FORMAT_VERSION, verify=False, counts=COUNTS)[1]
    except DataError:
        return None
