"""Host-side figures for `make bench`: a pull into SQLite over the Bumble LocalLink and over
the virtual link, storing ten years of records, and reporting on them. The pulls run the
firmware's sim in this process: bench/run.py has the firmware folder on sys.path."""
from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from insole_host.db import Database, Device
from insole_host.firmware import record
from insole_host.pull import pull
from insole_host.report import Report
from insole_host.transport.bumble_central import BumbleCentral
from insole_host.transport.gatt_server_bumble import insole_on_local_link
from insole_host.transport.virtual import VirtualInsole

PULL_RECORDS = 1000
ROUNDS = 5

YEARS_DAYS = 3650
FIRST_DAY = 9497  # 2026-01-01
STANDARD_H = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
PEAKS_DN = (4000, 900, 1300, 600, 300, 1500, 1800, 700)  # first-day stance peaks; each loses 1 dN per 10 days


def ten_years(seed: int) -> bytes:
    """One insole's 3650 daily records back to back, as one pull delivers them: the standard
    plan, then no limit; wear, steps and pronation varying from day to day."""
    rng = random.Random(seed)
    out = bytearray()
    for i in range(YEARS_DAYS):
        limit = STANDARD_H[i] * 3600 if i < len(STANDARD_H) else 0
        wear = int((limit or 8 * 3600) * rng.uniform(0.6, 1.2))
        steps = wear * rng.randint(600, 1400) // 3600
        supinated, pronated = steps * rng.randint(5, 20) // 100, steps * rng.randint(10, 30) // 100
        out += record.encode({
            "flags": 0, "seq": i + 1, "day": FIRST_DAY + i, "wear_s": wear, "limit_s": limit, "steps": steps,
            "cadence_x10": rng.randint(950, 1150), "mli_median": rng.randint(-60, 120),
            "cpei_median": rng.randint(-40, 80), "supinated": min(supinated, 0xFFFF),
            "neutral": min(steps - supinated - pronated, 0xFFFF), "pronated": min(pronated, 0xFFFF),
            "peaks_dn": [max(0, p - i // 10 + rng.randint(-50, 50)) for p in PEAKS_DN],
            "flagged_channels": 0, "alerts": rng.randint(0, 3), "pain": 0})
    return bytes(out)


async def _session(host, address, key: bytes, device_id: bytes) -> int:
    """One pull session as `pull` runs it, with no database: connect, authenticate, every
    record, leave."""
    await host.connect(address)
    try:
        await host.authenticate(key, device_id)
        return await host.pull_records(0, lambda fields, raw: None)
    finally:
        await host.disconnect()


def _clocks() -> tuple[float, float]:
    """(wall, this process's CPU) seconds: the CPU time is what other processes on a busy
    machine cannot stretch (the LocalLink, both BLE stacks and the database all run here)."""
    return time.perf_counter(), time.process_time()


async def _timed(coro) -> tuple[float, float]:
    """(wall, CPU) seconds that `coro` took."""
    start = _clocks()
    await coro
    return tuple(b - a for a, b in zip(start, _clocks()))


async def _local_link_rates(tmp: Path) -> dict:
    """Records/s of whole pull sessions of PULL_RECORDS records over one Bumble LocalLink,
    net of connecting (which waits for the insole's next advertisement, up to its 250 ms
    interval): {"bare" / "stored": (wall, CPU)}, best of ROUNDS each, taken in turns (each
    first in every other round)."""
    async with insole_on_local_link(tmp / "insole", stored=PULL_RECORDS) as (insole, pair):
        host = BumbleCentral(device=pair.central)
        device = Device(insole.device_id.decode(), "L")
        connecting, times = [], {"bare": [], "stored": []}
        connect = host.connect

        async def timed_connect(address=None):
            connecting.append(await _timed(connect(address)))

        host.connect = timed_connect

        async def net(kind, coro) -> None:
            connecting.clear()
            total = await _timed(coro)
            times[kind].append(tuple(t - sum(c[i] for c in connecting) for i, t in enumerate(total)))

        async def without_db(_):
            await net("bare", _session(host, pair.insole_address, insole.key, insole.device_id))

        async def into_db(i):
            with Database(tmp / f"link{i}.db") as db:
                await net("stored", pull(host, db, device, insole.key, pair.insole_address))
                assert db.last_seq(device.id) == PULL_RECORDS

        await without_db(-1)  # pairs once: every timed session re-encrypts
        times["bare"].clear()
        for i in range(ROUNDS):
            for run in (without_db, into_db) if i % 2 else (into_db, without_db):
                await run(i)
    return {kind: tuple(PULL_RECORDS / min(t[i] for t in ts) for i in (0, 1)) for kind, ts in times.items()}


async def _virtual_rate(tmp: Path) -> tuple[float, float]:
    """(power-up s, records/s into SQLite) of a pull of PULL_RECORDS records from a deployed
    virtual insole whose flash holds them."""
    from sim.insole import stored_days
    folder = tmp / "virtual"
    env = dict(os.environ, XDG_DATA_HOME=str(tmp / "home"))
    subprocess.run([sys.executable, "-m", "insole_host.deploy", "sim", str(folder)],
                   env=env, check=True, capture_output=True)
    stored_days(str(folder / "data"), PULL_RECORDS)
    insole = VirtualInsole(folder)
    key = bytes.fromhex(insole.config["auth_key"])
    try:
        power_up = (await _timed(insole.start()))[0]
        with Database(tmp / "virtual.db") as db:
            wall = (await _timed(pull(insole, db, Device(insole.device_id, "R"), key)))[0]
            assert db.last_seq(insole.device_id) == PULL_RECORDS
    finally:
        await insole.stop()
    return power_up, PULL_RECORDS / wall


def bench_pull() -> dict:
    """Print and return the pull's rates: over the Bumble LocalLink with and without the
    database (the same pull sessions), and over the virtual link net of its power-up."""
    with tempfile.TemporaryDirectory(prefix="insole-bench-") as tmp:
        link = asyncio.run(_local_link_rates(Path(tmp)))
        power_up, virtual = asyncio.run(_virtual_rate(Path(tmp)))
    (bare, bare_cpu), (stored, stored_cpu) = link["bare"], link["stored"]
    print(f"pull, Bumble LocalLink: {PULL_RECORDS} records (authenticate, stream, leave, net of connecting; "
          f"best of {ROUNDS}): {stored:.0f} records/s into SQLite, {bare:.0f} records/s with no database = "
          f"{100 * stored / bare:.0f} % (goal >= 90 %); by this process's CPU time, which a busy machine "
          f"does not stretch: {stored_cpu:.0f} against {bare_cpu:.0f} = {100 * stored_cpu / bare_cpu:.0f} %")
    print(f"pull, virtual link:     {PULL_RECORDS} records into SQLite at {virtual:.0f} records/s "
          f"(goal >= 500), after a power-up of {power_up:.1f} s (main.py restoring from its flash)")
    return {"bare_per_s": bare, "stored_per_s": stored, "bare_per_cpu_s": bare_cpu, "stored_per_cpu_s": stored_cpu,
            "virtual_per_s": virtual, "power_up_s": power_up}


def bench_host() -> None:
    """Print the time to import 2 x 3650 records into a fresh database and to build the full report."""
    pulls = {Device("BENCH-L", "L", "bench"): ten_years(1), Device("BENCH-R", "R", "bench"): ten_years(2)}
    with tempfile.TemporaryDirectory() as tmp:
        with Database(Path(tmp) / "bench.db") as database:
            t0 = time.perf_counter()
            added = sum(database.store_records(dev, data)[0] for dev, data in pulls.items())
            t_import = time.perf_counter() - t0
            t0 = time.perf_counter()
            again = sum(database.store_records(dev, data)[0] for dev, data in pulls.items())
            t_again = time.perf_counter() - t0
            t0 = time.perf_counter()
            report = Report(database)
            report.text()
            t_data = time.perf_counter() - t0
            report.png(Path(tmp) / "r.png")
            t_png = time.perf_counter() - t0 - t_data
            report.html(Path(tmp) / "r.html")
            t_report = time.perf_counter() - t0
    print(f"host import:           {added} records (2 feet x {YEARS_DAYS} days, one pull each) into a fresh "
          f"database in {t_import * 1000:.0f} ms; the same pulls again: {again} added in {t_again * 1000:.0f} ms")
    print(f"host report:           all {YEARS_DAYS} days x 2 feet, table + PNG + HTML in {t_report:.2f} s "
          f"(data and table {t_data:.2f} s, PNG {t_png:.2f} s, HTML with its PNG {t_report - t_data - t_png:.2f} s)")


if __name__ == "__main__":
    bench_pull()
    bench_host()
