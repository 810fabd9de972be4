"""The firmware's own modules: its core `insole`, installed as a package (insole-firmware),
so `record` here is the very codec the insole runs."""
from __future__ import annotations

import functools
import json

from insole import health, record, schedule

from insole_host.virtual import firmware_dir


@functools.lru_cache(maxsize=None)
def _sensors() -> tuple[dict, ...]:
    """The shipped sensor map (sim.json), read when first asked: a broken config then fails
    what reads it, not every import (`make deploy` of another board)."""
    return tuple(json.loads((firmware_dir() / "config" / "sim.json").read_text())["sensors"])


def sensor_names() -> tuple[str, ...]:
    """The channels' names in the shipped sensor map."""
    return tuple(s["name"] for s in _sensors())


def sided_channels() -> frozenset[int]:
    """The channels on the medial or lateral side in the shipped sensor map (not central)."""
    return frozenset(i for i, s in enumerate(_sensors()) if s["side"] != "central")


__all__ = ["health", "record", "schedule", "sensor_names", "sided_channels"]
