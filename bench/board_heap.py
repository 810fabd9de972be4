"""Heap of the whole firmware on an ESP32 board, for bench/boards.py.

    micropython -X heapsize=256k bench/board_heap.py BOARD_DIR FAKES_DIR STORE_DIR [ROMFS_IMAGE]

BOARD_DIR holds the firmware as `make deploy BOARD=esp32s3` lays it out (.mpy
files, config.json); FAKES_DIR the fake `machine`, `bluetooth` and `aioble`
(tests/fakes), imported before the baseline: a board has the first two built
in, and aioble, which mip installs, is not this project's code. MINUTES of a
synthetic walk go through the board's timer sampler into the device
(insole/device.py: pipeline, clock, schedule, alerts, day summary); the motor
plays the alerts; the day rolls over into the flash store in STORE_DIR
(edge/store.py); and the BLE link (edge/ble_aioble.py serving
insole/service.py) runs with a fake central connected, which logs in, takes
Status, RSC and battery notifications and pulls the records.

With ROMFS_IMAGE (the same files built by `mpremote romfs build`), the
firmware is imported from that image mounted as a VfsRom, as from a board's
ROMFS partition: the bytecode is used in place instead of copied into the
heap. The image, which a board keeps in flash, the walk's counts and the
phone's connection object are made before the baseline. The ESP32-S3's calibration_viper.mpy is native xtensawin code, which the unix
port refuses, so this run uses the plain calibration class (the viper one
adds about 1 KB). Prints JSON, in bytes above the baseline, from gc.mem_alloc() after
gc.collect(): `code`, the imported modules (bytecode loaded from .mpy lives in
the heap; frozen into the firmware image it would not), and `peak_heap`, the
most ever live, checked every COLLECT samples; `data` = peak_heap - code.

Time is virtual (VirtualClock), so the figure does not move with the host's
load: the sampling loop idles IDLE_MS after each SAMPLES_PER_IDLE samples, as
main.py does, and the link's, the motor's and the central's sleeps end in
that clock, which moves only while every task waits.
"""
import asyncio
import gc
import json
import struct
import sys
import time
from array import array

BOARD_DIR, FAKES_DIR, STORE_DIR = sys.argv[1:4]
sys.path.insert(0, FAKES_DIR)
if len(sys.argv) > 4:
    import vfs
    with open(sys.argv[4], "rb") as f:
        IMAGE = f.read()
    vfs.mount(vfs.VfsRom(IMAGE), "/rom")
    BOARD_DIR = "/rom"
sys.path.insert(0, BOARD_DIR)
import aioble  # noqa: E402  (the fakes)
import aioble.security  # noqa: E402,F401
import bluetooth  # noqa: E402,F401
import machine  # noqa: E402,F401

MINUTES = 3
COLLECT = 250
IDLE_MS = 20  # main.py's sampling loop: drain the ring, then idle 20 ms (2 samples at 100 Hz)
PULL_S = 1    # the central asks for new records every second
CYCLE = 110     # a stride of 1.1 s at 100 Hz
STANCE = 66
REST = 2000     # counts with the foot in the air
PEAKS = (10, 18, 18, 33, 33, 48, 48, 56)  # heel, rearfoot, midfoot, forefoot, toes: stance sample of each peak
MEDIAL = (2, 4, 6)
PLAN = {"preset": "custom", "start_s": 60, "step_s": 60, "cap_s": 120}  # alerts within the run
MIDNIGHT = 1795132800  # 2026-11-20 00:00 UTC
KEY = bytes(range(32))
DEVICE_ID = b"INS-BENCH"


def walk():
    """One stride of counts, 8 channels a row: each region loads in turn from heel to toes."""
    rows = array("H", bytes(2 * CYCLE * 8))
    for i in range(STANCE):
        for ch in range(8):
            load = 36000 - 1800 * abs(i - PEAKS[ch])
            if load > 0:
                rows[i * 8 + ch] = REST + (load * 11 // 10 if ch in MEDIAL else load)
    for i in range(CYCLE * 8):
        rows[i] = rows[i] or REST
    return rows


class VirtualClock:
    """asyncio's clock made virtual: `ticks()` moves only when every task waits, by
    the wait, and the wait returns at once (the fakes do no I/O).

    MicroPython's C task queue stamps the tasks it wakes without a time (an Event
    set, a new task) with the real ticks_ms; the virtual clock runs 2**28 ms
    ahead of it, so those always count as due now, before any sleeper."""

    AHEAD_MS = 1 << 28

    def __init__(self):
        self.start = time.ticks_add(time.ticks_ms(), self.AHEAD_MS)
        self.now = self.start

    def ticks(self):
        return self.now

    def elapsed_ms(self):
        """Virtual ms since start: the service's clock, which never wraps here."""
        return time.ticks_diff(self.now, self.start)

    def wait_io_event(self, dt):
        if dt < 0:
            raise RuntimeError("every task is waiting for ever")
        self.now = time.ticks_add(self.now, dt)

    def install(self):
        asyncio.core.ticks = self.ticks
        asyncio.core._io_queue.wait_io_event = self.wait_io_event


# the walk's counts, the phone's side of the link and the clock are the world, not the firmware: before the baseline
ROWS = walk()
PHONE = aioble.FakeConnection()
CLOCK = VirtualClock()
CLOCK.install()
gc.collect()
heap_start = gc.mem_alloc()

from boards.esp32 import Board  # noqa: E402
from edge.ble_aioble import Link  # noqa: E402
from edge.clock import random_bytes  # noqa: E402
from edge.motor import Motor  # noqa: E402
from edge.store import Store  # noqa: E402
from insole import auth, protocol  # noqa: E402
from insole.device import Device  # noqa: E402
from insole.service import InsoleService  # noqa: E402

gc.collect()
code = gc.mem_alloc() - heap_start

class Central:
    """A phone on the fake aioble link: logs in, subscribes, pulls the records in
    sealed commands (auth.py's layout, the phone's side spelled out here).

    What it receives is counted, then dropped (a phone's memory is not the insole's).
    """

    def __init__(self, link):
        self.link = link
        self.conn = PHONE
        self.received = 0
        self.records = 0
        self.counter = 0
        self.session_key = None
        self.conn.on_notify = self._notified

    def _notified(self, uuid, data):
        self.received += 1
        if uuid == self.link.chars["records"].uuid.value:
            self.records += 1
        del self.conn.notified[:]

    async def command(self, data):
        conn = self.conn
        del conn.indicated[:]
        if self.session_key is not None:
            self.counter += 1
            data += struct.pack("<I", self.counter) + auth.tag(self.session_key, auth.COMMAND_LABEL, self.counter, data)
        conn.write(self.link.chars["control"], data)
        while not conn.indicated:
            await asyncio.sleep(0)
        answer = conn.indicated.pop()
        return answer[1], answer[2:]

    async def run(self):
        aioble.connect(self.conn)
        for name in ("control", "status", "alerts", "records", "rsc_measurement", "battery_level"):
            self.conn.subscribe(self.link.chars[name], notify=name != "control", indicate=name == "control")
        code, nonce = await self.command(bytes((protocol.AUTH_START,)))
        assert code == protocol.OK
        mine = b"\x07" * 16
        code, _ = await self.command(bytes((protocol.AUTH_PROOF,)) + mine + auth.client_proof(KEY, nonce, mine, DEVICE_ID))
        assert code == protocol.OK
        self.session_key = auth.session_key(KEY, nonce, mine, DEVICE_ID)
        while True:
            await self.command(bytes((protocol.REQUEST_RECORDS, 0, 0, 0, 0)))
            await asyncio.sleep(PULL_S)


async def main():
    with open(BOARD_DIR + "/config.json") as f:
        cfg = json.load(f)
    board = Board(cfg)

    async def no_wait(ms):
        await asyncio.sleep(0)

    motor = Motor(board.motor_pwm, sleep=no_wait)
    store = Store(STORE_DIR)
    cfg["checkpoint_s"] = 60
    device = Device(cfg, plan=PLAN, buzz=motor.play)
    device.restore(store)
    device.set_time(MIDNIGHT - 120, 0)  # the day closes into the store during the run
    service = InsoleService(device, store, KEY, DEVICE_ID, random_bytes, CLOCK.elapsed_ms,
                            battery_pct=lambda: board.battery_mv() // 42)
    link = Link(service, "Insole", secrets=STORE_DIR + "/ble_secrets.json", battery_s=10)
    link.register()
    central = Central(link)
    tasks = [asyncio.create_task(t) for t in (motor.run(), link.run(), central.run())]
    rows = ROWS
    sampler = board.sampler
    adcs = sampler.inputs
    sampler.ticks_ms = CLOCK.ticks
    board.grace.ticks_ms = CLOCK.ticks
    sampler.start()
    fs = cfg["fs_hz"]
    samples_per_idle = fs * IDLE_MS // 1000
    peak = 0
    n = 0
    while n < MINUTES * 60 * fs:
        base = n % CYCLE * 8
        for ch in range(8):
            adcs[ch].level = rows[base + ch]
        sampler.timer.fire()
        device.skip(sampler.newly_lost())
        while sampler.ready():
            device.sample(sampler.take())
            if device.due:
                device.service(store)
        n += 1
        if n % samples_per_idle == 0:  # the sampling task idles between drains: the motor and BLE tasks run
            board.feed_watchdog()
            await asyncio.sleep_ms(IDLE_MS)
        if n % COLLECT == 0:
            for ch in link.chars.values():
                del ch.writes[:]  # the fake's log of local writes is the tests', not the firmware's
            gc.collect()
            peak = max(peak, gc.mem_alloc() - heap_start)
    for t in tasks:
        t.cancel()
    return {"code": code, "data": peak - code, "peak_heap": peak, "samples": n,
            "steps_today": device.pipeline.gait.steps, "dropped": sampler.dropped, "lost": device.samples_lost,
            "buzzes": len(board.motor_pwm.duties), "ble_notifications": central.received,
            "records_pulled": central.records, "records_stored": store.open_seq - 1,
            "virtual_s": CLOCK.elapsed_ms() // 1000}


print(json.dumps(asyncio.run(main())))
