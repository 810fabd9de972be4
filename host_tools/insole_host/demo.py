"""`insole demo`: the whole product with no hardware.

Two virtual insoles, one per foot, are deployed as a board is (`make deploy
BOARD=sim PORT=DIR`: the firmware image, a provisioned id and key) and booted
by their own main.py under the `micropython` executable. Their wearer lives a
few days of break-in through the sensors, walking a real recorded walk: wear
around each day's limit, a pain report, alerts, each day closed into a record
on the insole's flash. The host then pulls them over the link's bytes, the
first pull cut off halfway and resumed, keeps them in SQLite, prints the
report and writes the PNG and HTML reports.
"""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from insole_host import recordings
from insole_host.db import Database, Device
from insole_host.keys import device_key
from insole_host.life import live_days
from insole_host.pull import pull
from insole_host.transport.virtual import VirtualInsole
from insole_host.virtual import VirtualInsoleError

DAYS = 4
H = 3600
START = 1795046400  # 2026-11-19 00:00 UTC: the first demo day
FEET = "LR"
PAIN = {4: 4}  # day 4: it hurts; the limit rolls back


def wear_s(day: int, foot: str) -> int:
    """Day `day` (1-based) of the standard plan (`day` hours): around the limit, longer on day 3."""
    return day * H * (13 if day == 3 else 10) // 10 + (300 if foot == "R" else 0)


def deploy(folder: Path) -> str:
    """`make deploy BOARD=sim PORT=folder`; the insole's id."""
    proc = subprocess.run([sys.executable, "-m", "insole_host.deploy", "sim", str(folder)],
                          capture_output=True, text=True)
    if proc.returncode:
        raise VirtualInsoleError(f"deploy failed: {proc.stderr.strip()}")
    return json.loads((folder / "config.json").read_text())["device_id"]


async def live(root: Path) -> dict[str, str]:
    """Both insoles deployed afresh and living the demo days (in parallel); {foot: device id}."""
    walk = recordings.ensure_demo_recordings(download=True)[0]
    ids = {}
    for foot in FEET:
        data = root / foot / "data"
        if data.exists():
            for f in sorted(data.rglob("*"), reverse=True):
                f.rmdir() if f.is_dir() else f.unlink()
        ids[foot] = deploy(root / foot)

    async def one(foot: str) -> None:
        insole = VirtualInsole(root / foot)
        try:
            await live_days(insole, device_key(ids[foot]), walk, foot, [wear_s(d, foot) for d in range(1, DAYS + 1)],
                            PAIN, start_unix=START)
        finally:
            await insole.stop()

    await asyncio.gather(*(one(foot) for foot in FEET))
    return ids


async def pull_both(root: Path, ids: dict[str, str], db: Database, progress=None) -> dict:
    """Pull each foot's records over the virtual link; the left foot's pull is cut halfway."""
    results = {}
    for foot, device_id in ids.items():
        device = Device(device_id, foot, name=f"virtual {foot}", address=f"virtual:{root / foot}",
                        virtual_dataset="gaitpdb")
        insole = VirtualInsole(root / foot)
        try:
            results[foot] = await pull(insole, db, device, device_key(device_id), progress=progress,
                                       cut_after=DAYS // 2 if foot == "L" else None)
        finally:
            await insole.stop()
    return results
