"""`insole demo`: the whole product with no hardware.

Two virtual insoles, one per foot, are deployed as a board is (`make deploy
BOARD=sim PORT=DIR`: the firmware image, a provisioned id and key) and booted
by their own main.py under the `micropython` executable. Their wearer lives
six weeks through the sensors, walking a real recorded walk between standing
and seated work (`six_weeks`): a break-in worn near each day's limit, alerts,
a pain rollback; then new orthotics that over-correct the left foot, pain
four days running and the podiatrist advisory, while the right heel sensor
wears out. Each day closes into a record on the insole's flash. The host then
pulls them over the link's bytes, the first pull cut off halfway and resumed,
keeps them in SQLite, prints the report with its analyses and writes the PNG
and HTML reports.
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
from insole_host.life import Day, live_days
from insole_host.pull import pull
from insole_host.transport.virtual import VirtualInsole
from insole_host.virtual import VirtualInsoleError

DAYS = 42
START = 1792368000  # 2026-10-19 00:00 UTC, a Monday: the first demo day
FEET = "LR"
# The story, by day (1-based): the days the wearer reports pain, and what changes under the feet.
OVER_DAY = 3            # the third day is worn well over its limit: the alerts fire
PAIN = {5: 4}           # break-in pain: both insoles roll back
# New orthotics on day 22, over-correcting the left foot more each day: per mille of its medial
# load moved laterally, from that day on.
LATERAL = {22: 35, 23: 70, 24: 100}
ORTHOTIC_DAY = min(LATERAL)
OVER_PAIN = {26: 5, 27: 5, 28: 6, 29: 6}  # then it hurts, four days running: the advisory
HEEL = 0                # the right insole's heel sensor, losing sensitivity
HEEL_DECAY = (12, 32, 650)  # from day 12 to day 32, down to 650 per mille, in steps of 100


def six_weeks(foot: str, changes: bool = True) -> list[Day]:
    """The demo wearer's six weeks on one insole: a break-in worn near each day's limit
    (well over it on OVER_DAY), break-in pain on a PAIN day; with `changes`, an
    orthotic that pushes the left foot toward supination, the pain that follows it, and
    the right heel sensor wearing out. Without, the same break-in and nothing else."""
    days, lateral = [], 0
    for d in range(1, DAYS + 1):
        fit = {}
        pain = PAIN.get(d, 0)
        if changes:
            lateral = LATERAL.get(d, lateral)
            if foot == "L" and lateral:
                fit["lateral"] = lateral
            gain = _heel_gain(d)
            if foot == "R" and gain < 1000:
                fit[f"gain{HEEL}"] = gain
            pain = pain or OVER_PAIN.get(d, 0)
        days.append(Day(share=1.3 if d == OVER_DAY else 0.95, pain=pain, fit=fit))
    return days


def _heel_gain(day: int) -> int:
    first, last, end = HEEL_DECAY
    if day <= first:
        return 1000
    if day >= last:
        return end
    return max(end, 1000 - (1000 - end) * (day - first) // (last - first) // 100 * 100)


def deploy(folder: Path) -> str:
    """`make deploy BOARD=sim PORT=folder`; the insole's id."""
    proc = subprocess.run([sys.executable, "-m", "insole_host.deploy", "sim", str(folder)],
                          capture_output=True, text=True)
    if proc.returncode:
        raise VirtualInsoleError(f"deploy failed: {proc.stderr.strip()}")
    return json.loads((folder / "config.json").read_text())["device_id"]


async def live(root: Path, changes: bool = True) -> dict[str, str]:
    """Both insoles deployed afresh and living the six weeks (in parallel); {foot: device id}."""
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
            await live_days(insole, device_key(ids[foot]), walk, foot, six_weeks(foot, changes), start_unix=START)
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
