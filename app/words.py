"""Words for messages: "1 drawing", "2 drawings" (every count a user reads goes through ``plural``)."""
from __future__ import annotations


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``count`` and the noun, singular for exactly one: ``plural(1, "copy", "copies")`` is "1 copy"."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def duration(seconds: float) -> str:
    """A time as a person says it: "0.4 s", "42 s", "3.5 min", "1 h 05 min"."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"


def command(line: str) -> str:
    """How to run one of the project's commands (``line``: "data.py --info"), as the README says:
    with the project's own ``.venv`` Python when that is the one running, else plain ``python``."""
    import os
    import sys
    from pathlib import Path

    from app.paths import ROOT

    venv = ROOT / ".venv"
    if Path(sys.prefix).resolve() == venv.resolve():
        python = r".venv\Scripts\python" if os.name == "nt" else ".venv/bin/python"
    else:
        python = "python"
    return f"{python} {line}"
