"""Training shared among processes (network/parallel.py) gives what training in one process gives.

Each test trains the same model from the same seed with ``workers=1`` (the plain step, this
process alone) and ``workers=2`` (a helper process takes half of every batch) and compares: equal
up to float32 rounding, and the same bytes from run to run.
"""
from __future__ import annotations

import os
import platform
import signal
import time

import numpy as np
import pytest

from network import (
    SGD,
    Adam,
    AdamW,
    Callback,
    Dense,
    Dropout,
    Flatten,
    ParallelTrainingError,
    RMSprop,
    Sequential,
    TrainingDiverged,
    helper_process,
    owners,
    parallel,
    precision,
    shared_block,
)

pytestmark = pytest.mark.skipif(os.name != "posix" or platform.machine().lower() not in ("x86_64", "amd64"),
                                reason="training is shared among processes on x86-64 Linux and macOS only")


def data(n=600, seed=0, features=(64,)):
    rng = np.random.default_rng(seed)
    x = rng.random((n, *features), dtype=np.float32)
    return x, rng.integers(0, 10, n)


def model(optimizer, dropout=0.0, activation="tanh", loss="categorical_crossentropy", features=64, outputs=10):
    layers = [Dense(48, activation, input_dim=features)]
    layers += [Dropout(dropout)] if dropout else []
    layers += [Dense(32, "relu"), Dense(outputs, "softmax" if outputs > 1 else "sigmoid")]
    m = Sequential(layers, seed=3)
    m.compile(loss=loss, optimizer=optimizer)
    return m


def trained(workers, optimizer, epochs=2, batch_size=50, **kwargs):
    x, y = kwargs.pop("data", data())
    m = model(optimizer(), **kwargs)
    history = m.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0, workers=workers)
    return m, history


def shared_files_left():
    """This process's shared-memory files still on disk (there should be none). Only its own: a
    file another run left (a training killed earlier on this machine) is not this test's business."""
    own = f"{shared_block.PREFIX}{os.getpid()}-"
    return [name for name in os.listdir(shared_block.shared_folder()) if name.startswith(own)]


def owns_its_memory(m) -> bool:
    """The model's parameters and optimiser state are in this process's own memory (not a shared
    mapping), the layers see them, and no layer is left in shared-training mode."""
    def memory(a):
        while isinstance(a, np.ndarray) and a.base is not None:
            a = a.base
        return a

    arrays = [a for pair in m._flat for a in pair] + [a for states in m.optimizer.state.values() for a in states]
    return (all(isinstance(memory(a), np.ndarray) for a in arrays)
            and np.shares_memory(m.layers[0].params["W"], m._flat[0][0])
            and not any(getattr(layer, "defer_weight_grads", False) for layer in m.layers))


def flat(m):
    return np.concatenate([w.ravel() for w in m.get_weights()])


OPTIMIZERS = {"sgd": lambda: SGD(0.1), "momentum": lambda: SGD(0.05, momentum=0.9),
              "nesterov_decay": lambda: SGD(0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
              "adam": lambda: Adam(0.003), "adamw": lambda: AdamW(0.003), "rmsprop": lambda: RMSprop(0.003)}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_two_processes_train_like_one(name):
    plain, h1 = trained(1, OPTIMIZERS[name])
    shared, h2 = trained(2, OPTIMIZERS[name])
    np.testing.assert_allclose(flat(shared), flat(plain), rtol=1e-4, atol=2e-6)
    np.testing.assert_allclose(h2["loss"], h1["loss"], rtol=1e-5)
    assert h2["accuracy"] == h1["accuracy"]
    for state_plain, state_shared in zip(plain.optimizer.state.values(), shared.optimizer.state.values()):
        np.testing.assert_allclose(np.concatenate(state_shared), np.concatenate(state_plain), rtol=1e-4, atol=1e-6)
    assert shared.optimizer.iterations == plain.optimizer.iterations == 24


def test_dropout_masks_and_a_last_batch_of_one_row():
    # 601 samples in batches of 50: the last batch has one row, so one process has none, and its
    # dropout layer must still draw as the other's does.
    kwargs = {"dropout": 0.3, "data": data(601), "epochs": 3}
    plain, _ = trained(1, OPTIMIZERS["momentum"], **kwargs)
    shared, _ = trained(2, OPTIMIZERS["momentum"], **kwargs)
    np.testing.assert_allclose(flat(shared), flat(plain), rtol=1e-4, atol=2e-6)
    # Each process drew only its rows of every mask, jumping over the others': the streams still agree.
    assert np.array_equal(plain.layers[1].rng.random(8), shared.layers[1].rng.random(8))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("drawn_before", [0, 1, 3])   # odd: numpy keeps half of a 64-bit number for later
def test_jumping_ahead_gives_the_numbers_a_whole_draw_gives(dtype, drawn_before):
    from network.layers import _skip_draws

    for n, per_row in ((128, 800), (37, 33), (1, 9)):
        rng = np.random.Generator(np.random.PCG64(5))
        rng.random(drawn_before, dtype=np.float32)
        start = rng.bit_generator.state
        whole, after = rng.random((n, per_row), dtype=dtype), rng.random(5, dtype=np.float32)
        other = np.random.Generator(np.random.PCG64(0))
        for lo, hi in ((0, n // 2), (n // 2, n), (1, n), (n, n)):
            _skip_draws(other, start, lo * per_row, dtype)
            assert np.array_equal(other.random((hi - lo, per_row), dtype=dtype), whole[lo:hi])
            _skip_draws(other, start, n * per_row, dtype)
            assert np.array_equal(other.random(5, dtype=np.float32), after)


def test_a_batch_gathered_ahead_is_used_only_for_the_step_it_was_gathered_for():
    # Trainer.step gathers the next step's batch while it waits for the helper; a step that is then
    # given other rows (a caller that changed its mind) trains on those, as the plain step does.
    x, y = data()
    plain, shared = model(Adam(0.003)), model(Adam(0.003))
    plain.fit(x[:50], y[:50], batch_size=50, verbose=0, workers=1, shuffle=False)   # builds both alike
    shared.fit(x[:50], y[:50], batch_size=50, verbose=0, workers=1, shuffle=False)
    onehot = plain._as_target(y, len(y))
    a, b, c = np.arange(0, 50), np.arange(50, 100), np.arange(100, 150)
    trainer = parallel.open_trainer(shared, 2, 50, 10**12)
    try:
        gathers = []
        original = trainer._gather
        trainer._gather = lambda *args: (gathers.append(args[0]), original(*args))
        trainer.step(x, onehot, a, next_idx=b)    # gathers a, then b ahead
        trainer.step(x, onehot, b, next_idx=b)    # b was ready; gathers the next ahead
        trainer.step(x, onehot, c)                # not the rows gathered ahead: gathers c itself
        assert gathers == [1, 1, 2, 3, 3, 3]
    finally:
        trainer.close()
    for rows in (a, b, c):
        plain._train_step(x, onehot, rows)
    np.testing.assert_allclose(flat(shared), flat(plain), rtol=1e-4, atol=2e-6)


def test_same_seed_same_bytes():
    first, _ = trained(2, OPTIMIZERS["adam"], dropout=0.2)
    second, _ = trained(2, OPTIMIZERS["adam"], dropout=0.2)
    assert flat(first).tobytes() == flat(second).tobytes()


def test_other_losses_images_and_float64():
    x, y = data(300, features=(8, 8))
    for loss, outputs, target in (("mse", 10, None), ("binary_crossentropy", 1, (y % 2)[:, None])):
        results = []
        for workers in (1, 2):
            layers = [Flatten(input_shape=(8, 8)), Dense(16, "sigmoid"),
                      Dense(outputs, "linear" if loss == "mse" else "sigmoid")]
            m = Sequential(layers, seed=1)
            m.compile(loss=loss, optimizer=Adam(0.01))
            m.fit(x, np.eye(10, dtype=np.float32)[y] if target is None else target, epochs=2, batch_size=32,
                  verbose=0, workers=workers)
            results.append(flat(m))
        np.testing.assert_allclose(results[1], results[0], rtol=1e-4, atol=2e-6)
    with precision(np.float64):
        plain, _ = trained(1, OPTIMIZERS["momentum"])
        shared, _ = trained(2, OPTIMIZERS["momentum"])
    assert shared.dtype == np.float64
    np.testing.assert_allclose(flat(shared), flat(plain), rtol=1e-10)


def test_weights_stay_usable_between_fits_and_with_one_process_after():
    x, y = data()
    m = model(OPTIMIZERS["momentum"]())
    m.fit(x, y, epochs=1, batch_size=50, verbose=0, workers=2)
    before = m.evaluate(x, y)["loss"]
    # After the fit nothing of the model lives in shared memory: no late helper, no later fork of
    # this process can write into its weights or optimiser state.
    assert owns_its_memory(m)
    m.fit(x, y, epochs=1, batch_size=50, verbose=0, workers=1)
    m.fit(x, y, epochs=1, batch_size=64, verbose=0, workers=2)   # a new session, another batch size
    assert m.evaluate(x, y)["loss"] < before
    assert not shared_files_left()


def test_divergence_stops_with_the_last_finite_weights():
    x, y = data()
    x[:, 0] = np.nan   # the first batch's loss is NaN
    m = model(SGD(0.1))
    start = flat(m)
    with pytest.raises(TrainingDiverged, match="batch 1"):
        m.fit(x, y, epochs=1, batch_size=50, verbose=0, workers=2)
    assert np.array_equal(flat(m), start)


class _InterruptAt(Callback):
    def __init__(self, step):
        self.step = step

    def on_batch_end(self, epoch, step):
        if step == self.step:
            raise KeyboardInterrupt


def test_ctrl_c_leaves_a_usable_model_and_the_helper_ready():
    x, y = data()
    m = model(OPTIMIZERS["adam"]())
    with pytest.raises(KeyboardInterrupt):
        m.fit(x, y, epochs=3, batch_size=50, verbose=0, workers=2, callbacks=[_InterruptAt(4)])
    assert m.optimizer.iterations == 5 and np.all(np.isfinite(flat(m)))
    helpers = list(helper_process.POOL.idle)
    assert helpers and all(h.alive() for h in helpers)
    m.fit(x, y, epochs=1, batch_size=50, verbose=0, workers=2)   # the same helper, a new session
    assert m.optimizer.iterations == 17


def test_a_killed_helper_is_one_clear_error_not_a_hang():
    x, y = data()
    m = model(OPTIMIZERS["sgd"]())
    m.fit(x[:100], y[:100], epochs=1, batch_size=50, verbose=0, workers=2)
    victims = list(helper_process.POOL.idle)

    class Kill(Callback):
        def on_batch_end(self, epoch, step):
            if step == 2:
                for helper in victims:
                    os.kill(helper.proc.pid, signal.SIGKILL)

    start = time.monotonic()
    with pytest.raises(ParallelTrainingError, match="helper process stopped"):
        m.fit(x, y, epochs=1, batch_size=50, verbose=0, workers=2, callbacks=[Kill()])
    assert time.monotonic() - start < 10
    assert np.all(np.isfinite(flat(m)))
    m.fit(x, y, epochs=1, batch_size=50, verbose=0, workers=2)   # a new helper starts


def test_workers_setting_is_checked_and_auto_keeps_small_work_here():
    x, y = data(100)
    m = model(SGD(0.1))
    for bad in (0, -1, 1.5, "two", True):
        with pytest.raises(ValueError, match=f"got {bad!r}"):
            m.fit(x, y, epochs=1, verbose=0, workers=bad)
    assert parallel.choose_workers(m, "auto", 32, 100) == 1            # too little work to repay a helper
    assert parallel.choose_workers(m, "auto", 8, 10**9) == 1           # batches too small to split
    assert parallel.choose_workers(m, "auto", 128, 10**9) == min(2, parallel._cores())
    assert parallel.choose_workers(m, 2, 1, 100) == 1                  # never more processes than rows


def test_optimizer_updates_only_the_slices_it_is_given():
    p, g = np.ones(10, np.float32), np.full(10, 2.0, np.float32)
    opt = SGD(0.5).bind([p], [g])
    opt.begin_step()
    opt.update(0, 0, 3)
    opt.update(0, 7, 10)
    np.testing.assert_array_equal(p, [0, 0, 0, 1, 1, 1, 1, 0, 0, 0])


@pytest.mark.parametrize("optimizer", [SGD(0.1), SGD(0.1, momentum=0.9), SGD(0.1, momentum=0.9, nesterov=True),
                                       SGD(0.1, momentum=0.5, weight_decay=0.01), Adam(0.01)],
                         ids=["sgd", "momentum", "nesterov", "decay", "adam"])
def test_update_from_a_product_equals_computing_the_gradient_first(optimizer):
    # SGD folds its step into the weight-gradient GEMM (C = -lr x.T dz + C); the result must be
    # the plain step's: gradient first, then update. Rows 2-6 of a 9 x 4 weight matrix, twice.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 12), dtype=np.float32)[:, 1:10]      # strided, as the trainer's are
    dz = rng.standard_normal((5, 4), dtype=np.float32)
    start = rng.standard_normal(36, dtype=np.float32)
    results = []
    for fold in (True, False):
        p, g = start.copy(), np.zeros(36, np.float32)
        opt = type(optimizer)(**{k: v for k, v in optimizer.get_config().items() if k != "name"}).bind([p], [g])
        for _ in range(2):
            opt.begin_step()
            if fold:   # rows 2-4 and 5-6 as two pieces that follow one another
                opt.update_from_products(0, [(8, 20, x[:, 2:5], dz), (20, 28, x[:, 5:7], dz)])
            else:
                g[8:28] = (x[:, 2:7].T @ dz).ravel()
                opt.update(0, 8, 28)
        results.append(p)
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5, atol=1e-6)
    assert np.array_equal(results[0][:8], start[:8]) and np.array_equal(results[0][28:], start[28:])


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_an_optimiser_that_may_consume_the_gradients_updates_alike(name):
    # The trainer binds with consume_gradients=True: SGD and Adam then work in the gradient's array
    # instead of a scratch vector. Same steps, bit for bit; and bound the plain way a step leaves
    # the gradient as it found it.
    rng = np.random.default_rng(1)
    start = rng.standard_normal(50, dtype=np.float32)
    gradients = rng.standard_normal((3, 50), dtype=np.float32)
    results = []
    for consume in (False, True):
        p, g = start.copy(), np.zeros(50, np.float32)
        opt = OPTIMIZERS[name]().bind([p], [g], consume_gradients=consume)
        for gradient in gradients:
            g[...] = gradient
            opt.step()
            if not consume:
                assert np.array_equal(g, gradient)
        results.append(p)
    assert np.array_equal(results[0], results[1])


def test_no_room_for_shared_memory_means_one_process_or_one_clear_error(monkeypatch):
    import errno

    from network import shared_block

    def full(fd, offset, length):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shared_block, "reserve", lambda fd, size, folder: full(fd, 0, size))
    x, y = data()
    m = model(SGD(0.1))
    assert parallel.open_trainer(m, "auto", 128, 10**9) is None         # "auto": train in one process
    m.fit(x, y, epochs=1, batch_size=50, verbose=0, workers="auto")
    with pytest.raises(ParallelTrainingError, match="no room for .* MB of shared memory"):
        m.fit(x, y, epochs=1, batch_size=50, verbose=0, workers=2)
    assert not shared_files_left()


def test_a_helper_that_cannot_start_means_one_process_or_one_clear_error(monkeypatch):
    helper_process.POOL.shutdown()   # no idle helper to reuse
    monkeypatch.setattr(helper_process.sys, "executable", "/nonexistent/python")
    x, y = data()
    m = model(SGD(0.1))
    assert parallel.open_trainer(m, "auto", 128, 10**9) is None
    with pytest.raises(ParallelTrainingError, match="cannot start a helper process"):
        m.fit(x, y, epochs=1, batch_size=50, verbose=0, workers=2)
    assert not helper_process.POOL.busy


def test_a_helper_that_cannot_join_leaves_the_model_as_it_was(monkeypatch):
    def refuse(self):
        raise ParallelTrainingError("the helper process could not join: a test says no")

    monkeypatch.setattr(helper_process.Helper, "expect_ready", refuse)
    x, y = data()
    m = model(OPTIMIZERS["momentum"]())
    before = flat(m)
    with pytest.raises(ParallelTrainingError, match="could not join"):
        m.fit(x, y, epochs=1, batch_size=50, verbose=0, workers=2)
    assert owns_its_memory(m) and np.array_equal(flat(m), before)
    m.fit(x, y, epochs=1, batch_size=50, verbose=0, workers=1)   # and it trains on in one process
    assert not np.array_equal(flat(m), before)


KILLED_AT_START = """
import sys, time
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[2])
from network import parallel
from test_parallel import data, model, SGD

def freeze(self, path):   # a training killed in the fraction of a second while its helper starts
    print(path, flush=True)
    time.sleep(120)

parallel.Trainer._start_helpers = freeze
x, y = data()
model(SGD(0.1)).fit(x, y, epochs=1, batch_size=50, verbose=0, workers=2)
"""


@pytest.mark.skipif(not parallel._ordered_stores(), reason="shared training needs x86-64 Linux or macOS")
def test_a_killed_trainings_file_is_freed_by_the_next_training_and_a_live_ones_is_kept(capfd):
    import subprocess
    import sys
    from pathlib import Path

    tests = Path(__file__).resolve().parent
    child = subprocess.Popen([sys.executable, "-c", KILLED_AT_START, str(tests.parent), str(tests)],
                             stdout=subprocess.PIPE, text=True)
    left = child.stdout.readline().strip()
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    assert os.path.exists(left) and os.path.basename(left).startswith(f"{shared_block.PREFIX}{child.pid}-")
    # A live session's file: this process's own name, as a training here would make it.
    live, path = shared_block.SharedBlock.create({"ctl": ((4,), "<i8"), "val": ((1,), "<f8")})
    try:
        x, y = data()
        model(SGD(0.1)).fit(x, y, epochs=1, batch_size=50, verbose=0, workers=2)
        assert not os.path.exists(left)
        assert os.path.exists(path)
        err = capfd.readouterr().err
        assert "freed" in err and os.path.basename(left) in err and err.count("\n") == 1
    finally:
        live.release()
        os.unlink(path)


def test_a_file_whose_owner_pid_was_reused_is_an_orphan(tmp_path):
    """The pid runs again, but started at another time: not the owner."""
    me, start = os.getpid(), owners.process_start(os.getpid())
    if not start:
        pytest.skip("process start times are read from /proc (Linux)")
    (tmp_path / f"{shared_block.PREFIX}{me}-{start}-abc").write_bytes(b"x")
    (tmp_path / f"{shared_block.PREFIX}{me}-{start + 1}-abc").write_bytes(b"xy")
    (tmp_path / f"{shared_block.PREFIX}legacy").write_bytes(b"xyz")   # the old naming, new: kept
    removed = shared_block.remove_orphans(str(tmp_path))
    assert [(os.path.basename(p), n) for p, n in removed] == [(f"{shared_block.PREFIX}{me}-{start + 1}-abc", 2)]
    old = time.time() - 2 * shared_block.ORPHAN_AGE_S
    os.utime(tmp_path / f"{shared_block.PREFIX}legacy", (old, old))   # old and mapped by no process: freed
    assert [os.path.basename(p) for p, _ in shared_block.remove_orphans(str(tmp_path))] == [f"{shared_block.PREFIX}legacy"]
