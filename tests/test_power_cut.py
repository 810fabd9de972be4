"""Power cuts through main.py on the deployed virtual insole.

`make deploy BOARD=sim` lays out the image in a folder; each power-up boots its
main.py under `micropython`. The sim board's power fails at a chosen flash
operation (its `power` file): that write lands torn and the process stops,
as when the battery is pulled, and `flash.log` lists every write completed
before. A month of days runs through the sensors and the link with pain
reports, plan changes, time syncs, a calibration, acknowledgements, a factory
reset and a flash kept full by a small budget, cut again and again at random
operations. After every power-up:
  - the device's state (plan and position, pain hold and streak, advisory,
    clock and UTC offset, today's alerts, acknowledgement and snooze, zeros,
    numbering) equals the state of the last checkpoint that reached flash, or
    before any did, the state of the insole as deployed;
  - and at the end, every record the host pulled along the way (as a host does,
    each day) is there once: seqs without a gap or a duplicate, days rising.

Run directly (python tests/test_power_cut.py) to print the figures for a note.
"""
import asyncio
import json
import os
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from insole_host.transport import LinkLost, TransportError
from insole_host.transport.virtual import VirtualInsole

from insole import protocol as p

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "gaitpdb" / "GaCo01_01.txt"
DAYS = 16  # a shard; two shards run side by side: 32 days
SHARDS = 2
MIN_KILLS = 300
START = 1795046400  # 2026-11-19 00:00 UTC
SLOT_HEAD, RECORD = 6, 55  # a checkpoint slot: generation and length, the record, the state, a CRC-32 (edge/store.py)
H = 3600


def deploy(folder, home):
    """`make deploy BOARD=sim PORT=folder`, a small flash budget (kept full) and 20 Hz to go fast."""
    env = dict(os.environ, XDG_DATA_HOME=str(home))
    subprocess.run([sys.executable, "-m", "insole_host.deploy", "sim", str(folder)], env=env, check=True,
                   capture_output=True)
    cfg = json.loads((folder / "config.json").read_text())
    cfg.update(fs_hz=20, store={"segment_records": 2, "budget_bytes": 4 * 55})
    (folder / "config.json").write_text(json.dumps(cfg))
    return cfg


def scenario():
    """[(day, what, args)]: a month of wear, commands and day closes."""
    steps = [(0, "time", (START, 60))]
    for day in range(1, DAYS + 1):
        steps.append((day, "live", ([("off", 4 * H)],)))
        steps.append((day, "live", ([("off", 4 * H)],)))
        steps.append((day, "live", ([("walk", 400), ("sit", 600), ("walk", 200)],)))
        if day in (3, 4, 5, 13):
            steps.append((day, "pain", (3 + day % 5,)))
        if day == 7:
            steps.append((day, "command", (p.ZERO_CALIBRATION,)))
        if day in (8, 14):
            steps.append((day, "command", (p.ACK_ALERT,)))
            steps.append((day, "command", (p.SNOOZE,)))
        if day == 10:
            steps.append((day, "schedule", ("gentle", {})))
        if day == 11:
            steps.append((day, "command", (p.FACTORY_RESET, p.RESET_MAGIC)))
        if day == 12:
            steps.append((day, "schedule", ("custom", {"start_s": 1800, "step_s": 900, "cap_s": 7200})))
        if day == 15:
            steps.append((day, "time", (START + (day - 1) * 86400 + 8 * H + 1500, -300)))  # the same local day
        steps.append((day, "midnight", ()))
        steps.append((day, "pull", ()))
    return steps


def last_durable_state(folder):
    """The device state in the last checkpoint written whole before the power went (flash.log)."""
    state = None
    log = folder / "flash.log"
    for line in (log.read_text().splitlines() if log.exists() else ()):
        op, path, data = (line.split(" ") + ["", ""])[:3]
        raw = bytes.fromhex(data) if op == "write" else b""
        if path.endswith(("ckpt.a", "ckpt.b")) and len(raw) > SLOT_HEAD + RECORD + 4:
            state = json.loads(raw[SLOT_HEAD + RECORD:-4])
    return state


async def campaign(folder, key, seed=1):
    rng = random.Random(seed)
    steps = scenario()
    pulled = {}
    i = kills = boots = restored = 0
    fresh = await uncut_state(folder)  # the insole as deployed, from a power-up the power does not cut
    assert fresh["plan"] == {"preset": "standard"} and fresh["zeros"] is None  # the README's defaults
    while i < len(steps):
        # the power fails within a few flash operations (a torn write), or at a random instant
        # of the next 90 minutes of virtual time
        if rng.random() < 0.5:
            (folder / "power").write_text("%d 0" % rng.randint(1, 4))
        else:
            (folder / "power").write_text("0 %d" % rng.randint(1, 90 * 60 * 1000))
        insole = VirtualInsole(folder)
        boots += 1
        try:
            await insole.start()
            state = await insole.device_state()
            durable = last_durable_state(folder) or fresh
            assert state == durable, (boots, state, durable)
            restored += 1
            await insole.connect(None)
            await insole.authenticate(key, insole.device_id.encode())
            while i < len(steps):
                await step(insole, steps[i], pulled)
                i += 1
        except (LinkLost, TransportError):
            kills += 1
        finally:
            await insole.stop()
    return {"kills": kills, "boots": boots, "restored": restored, "records": pulled,
            "days": (await uncut_state(folder))["clock"][1]}


async def uncut_state(folder):
    """The device state at a power-up the power does not cut."""
    (folder / "power").write_text("0 0")
    insole = VirtualInsole(folder)
    try:
        return await insole.device_state()
    finally:
        await insole.stop()


async def step(insole, entry, pulled):
    day, what, args = entry
    if what == "time":
        await insole.set_time(*args)
    elif what == "live":
        await insole.live(SHARED, "L", args[0])
    elif what == "pain":
        await insole.report_pain(*args)
    elif what == "command":
        await insole.command(*args)
        if args[0] == p.FACTORY_RESET:
            await insole.authenticate(insole_key(insole), insole.device_id.encode())
    elif what == "schedule":
        await insole.set_schedule(*args)
    elif what == "midnight":
        state = await insole.device_state()
        if state["clock"][1] < first_day() + day:  # a cut after the close already happened: not again
            await insole.midnight()
    elif what == "pull":
        newest = max(pulled) if pulled else 0

        def keep(fields, raw):
            assert fields["seq"] not in pulled, f"seq {fields['seq']} sent twice"
            pulled[fields["seq"]] = fields
        await insole.pull_records(newest, keep)


def first_day():
    return (START - 946684800) // 86400


KEYS = {}


def insole_key(insole):
    return KEYS[insole.device_id]


def shard(tmp, seed):
    folder, home = Path(tmp) / f"insole-{seed}", Path(tmp) / "home"
    cfg = deploy(folder, home)
    KEYS[cfg["device_id"]] = bytes.fromhex(cfg["auth_key"])
    return asyncio.run(campaign(folder, KEYS[cfg["device_id"]], seed))


def run(tmp):
    """Both shards side by side (one insole each, two cores)."""
    with ThreadPoolExecutor(SHARDS) as pool:
        return list(pool.map(lambda seed: shard(tmp, seed), range(1, SHARDS + 1)))


def test_power_cuts_through_main_py_lose_nothing_durable(tmp_path):
    if not SHARED.is_file():
        raise AssertionError(f"the gaitpdb recordings are missing: {SHARED}")
    results = run(tmp_path)
    assert sum(r["kills"] for r in results) >= MIN_KILLS, results
    assert sum(r["restored"] for r in results) >= MIN_KILLS, results  # every power-up that came up was checked
    assert sum(r["days"] - first_day() for r in results) >= 30
    for result in results:
        seqs = sorted(result["records"])
        assert seqs == list(range(1, len(seqs) + 1)), seqs  # no record lost, none twice
        days = [result["records"][s]["day"] for s in seqs]
        assert days == sorted(set(days))  # each day closed once
        assert len(seqs) >= DAYS and result["days"] - first_day() >= DAYS


if __name__ == "__main__":
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        results = run(tmp)
    for r in results:
        print(f"{r['kills']} power cuts in {r['boots']} power-ups over {r['days'] - first_day()} virtual days; "
              f"the state checked on all {r['restored']} that came up (the power failed in {r['boots'] - r['restored']} "
              f"while booting); {len(r['records'])} records pulled, "
              f"seq 1..{max(r['records'])} without a gap or a duplicate")
