"""The firmware's own modules, imported (never copied) from the checkout's `firmware/`.

The folder is found as the virtual insole finds it (`virtual.firmware_dir()`:
the checkout, or `$INSOLE_FIRMWARE`) and put on `sys.path`, so `record` here is
the very codec the insole runs.
"""
from __future__ import annotations

import functools
import json
import sys

from insole_host.virtual import firmware_dir

_DIR = firmware_dir()
if str(_DIR) not in sys.path:
    sys.path.insert(0, str(_DIR))

from insole import health, record, schedule  # noqa: E402


@functools.lru_cache(maxsize=None)
def sensor_names():
    """The channels' names in the shipped sensor map (sim.json), read when first asked:
    a broken config then fails what reads it, not every import (`make deploy` of another board)."""
    return tuple(s["name"] for s in json.loads((_DIR / "config" / "sim.json").read_text())["sensors"])


__all__ = ["health", "record", "schedule", "sensor_names"]
