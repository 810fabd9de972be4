"""The firmware's own modules: its core `insole`, installed as a package (insole-firmware),
so `record` here is the very codec the insole runs."""
from __future__ import annotations

import json

from insole import health, record, schedule

from insole_host.virtual import firmware_dir

SENSOR_NAMES = tuple(s["name"] for s in json.loads((firmware_dir() / "config" / "sim.json").read_text())["sensors"])

__all__ = ["health", "record", "schedule", "SENSOR_NAMES"]
