"""A helper process's side of shared training (network/parallel.py explains the whole).

``helper_process`` starts ``python -c "from network.parallel_helper import serve; serve()"``; the
helper reads one JSON message per training session from stdin, builds its own copy of the model
from it (which is why this module, unlike the trainer's side, sits above ``model``), maps the shared
block and takes part in every step until the session ends.
"""
from __future__ import annotations

import json
import os
import signal
import sys

import numpy as np

from .layers import layer_from_config
from .model import Sequential
from .parallel_step import FAILED, GO, ROWS, Member, left_session
from .precision import precision
from .shared_block import SharedBlock


def _join(message: dict) -> Member:
    """Build this helper's copy of the model, bound to the shared block the trainer made."""
    block = SharedBlock.attach(message["path"], message["size"], message["layout"])
    with precision(np.dtype(message["dtype"])):
        model = Sequential([layer_from_config(name, config) for name, config in message["layers"]])
        model.build(tuple(message["input_shape"]))
        model.compile(loss=message["loss"], optimizer=message["optimizer"], metrics=())
    model.optimizer.iterations = message["iterations"]
    for i, state in message["rng"].items():
        model.layers[int(i)].rng.bit_generator.state = state
    member = Member(model, block, message["k"], message["parts"])
    member.bind(copy=False)
    parent = os.getppid()

    def parent_alive() -> None:
        if os.getppid() != parent:   # the trainer is gone: so are we
            os._exit(0)

    member.peer_alive = parent_alive
    return member


def _run(member: Member) -> None:
    g = 0
    while member.wait(GO, g + 1):
        g += 1
        member.take_part(g, member.ctl[ROWS])


def _say(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def serve() -> None:
    """A helper's life: join each session it is sent, take part in its steps, until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for line in sys.stdin:
        member = None
        try:
            member = _join(json.loads(line))
            _say({"ready": True})
            _run(member)
        except Exception as e:   # reported to the trainer, which turns it into one line
            _say({"error": f"{type(e).__name__}: {e}"})
            if member is not None:
                member.ctl[FAILED] = 1
        finally:
            if member is not None:
                member.ctl[left_session(member.k, member.parts)] = 1
                member.block.release()
            del member
