"""Words for messages: "1 drawing", "2 drawings" (every count a user reads goes through ``plural``)."""
from __future__ import annotations


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``count`` and the noun, singular for exactly one: ``plural(1, "copy", "copies")`` is "1 copy"."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"
