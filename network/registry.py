"""Looking up a component by name: the one rule for activations, losses, optimisers, schedules,
initialisers, metrics and layer classes.

A name is matched without regard to case, after its aliases; a spec may be a name, a dict with
``"name"`` and keyword arguments (what ``get_config`` returns), or an instance, which is used as
it is. An unknown name is a ValueError that shows the value received and the names known.
"""
from __future__ import annotations


def lookup(kind: str, table: dict, name, aliases: dict | None = None):
    """``table``'s entry for ``name`` (case-insensitive, after ``aliases``)."""
    if isinstance(name, str):
        key = name.lower()
        key = (aliases or {}).get(key, key)
        for known, entry in table.items():
            if known.lower() == key:
                return entry
    raise ValueError(f"unknown {kind} {name!r}; expected one of {sorted(table)}")


def from_spec(kind: str, table: dict, spec, base: type, aliases: dict | None = None):
    """An instance of ``base`` from a name, a ``{"name": ..., **kwargs}`` dict, or an instance."""
    if isinstance(spec, base):
        return spec
    if isinstance(spec, dict):
        kwargs = dict(spec)
        return lookup(kind, table, kwargs.pop("name", None), aliases)(**kwargs)
    return lookup(kind, table, spec, aliases)()
