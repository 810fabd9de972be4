"""`insole demo`: the whole product with no hardware.

Two virtual insoles (the firmware in the `micropython` executable, one per foot)
live a few days of break-in woven from real recorded walks: wear scripted
around each day's limit, a pain report, alerts, records closed into their flash
store. The host then pulls them over the same bytes the BLE link carries, the
first pull cut off halfway and resumed, keeps them in SQLite, prints the
report and writes the PNG and HTML reports.
"""
from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from insole_host import recordings, virtual
from insole_host.db import Database, Device
from insole_host.pull import pull
from insole_host.transport.virtual import VirtualInsole

DAYS = 4
FS_HZ = 20
H = 3600
START = 1795046400  # 2026-11-19 00:00 UTC: the first demo day
FEET = {"L": ("GaCo01_01.txt", "DEMO-L"), "R": ("GaCo01_01.txt", "DEMO-R")}


def wear_script(day: int, foot: str) -> list:
    """Day `day` (1-based): asleep till 7:30, then walking, standing and seated
    work around the day's limit (standard plan: `day` hours), a lunch break
    with the shoes off, and a longer day on day 3."""
    target = day * H * (13 if day == 3 else 10) // 10 + (300 if foot == "R" else 0)
    script, worn = [["off", 7 * H + 1800]], 0
    pattern = (("walk", 1200), ("stand", 600), ("sit", 2400), ("gap", 300), ("walk", 900), ("off", 1800))
    i = 0
    while worn < target:
        kind, seconds = pattern[i % len(pattern)]
        if kind not in ("off", "gap"):
            seconds = min(seconds, target - worn)
            worn += seconds
        script.append([kind, seconds])
        i += 1
    return script


def scenario(walk: Path, foot: str) -> dict:
    days = [{"wear": wear_script(d, foot)} for d in range(1, DAYS + 1)]
    days[3]["pain"] = [[10 * H, 4]]  # day 4: it hurts; the limit rolls back
    return {"walk": str(walk), "foot": foot, "fs_hz": FS_HZ, "plan": {"preset": "standard"},
            "set_time": [START, 0], "days": days}


def live_days(root: Path) -> dict:
    """Both insoles live the demo days (in parallel); the firmware's own results per foot."""
    walks = {p.name: p for p in recordings.ensure_demo_recordings(download=True)}

    def one(foot: str) -> dict:
        store = root / foot / "store"
        if store.exists():
            for f in sorted(store.rglob("*"), reverse=True):
                f.rmdir() if f.is_dir() else f.unlink()
        store.mkdir(parents=True, exist_ok=True)
        plan = root / foot / "scenario.json"
        plan.write_text(json.dumps(scenario(walks[FEET[foot][0]], foot)))
        out = virtual.run_firmware("days.py", [str(plan), str(store)], heap="16M")
        (root / foot / "firmware.json").write_text(out)
        return json.loads(out)

    with ThreadPoolExecutor(2) as pool:
        return dict(zip(FEET, pool.map(one, FEET)))


def key(root: Path) -> bytes:
    """The virtual insoles' key, as `make deploy` would provision a real one over USB."""
    path = root / "key.hex"
    if not path.exists():
        path.write_text(os.urandom(32).hex())
    return bytes.fromhex(path.read_text())


async def pull_both(root: Path, db: Database, progress=None) -> dict:
    """Pull each foot's records over the virtual link; the left foot's pull is cut halfway."""
    results = {}
    for foot, (_, device_id) in FEET.items():
        device = Device(device_id, foot, name=f"virtual {foot}", address="virtual", virtual_dataset="gaitpdb")
        insole = VirtualInsole(root / foot / "store", key=key(root), device_id=device_id, fs_hz=FS_HZ)
        try:
            results[foot] = await pull(insole, db, device, key(root), progress=progress,
                                       cut_after=DAYS // 2 if foot == "L" else None)
        finally:
            await insole.stop()
    return results
