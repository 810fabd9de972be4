"""Heap of the whole firmware on an ESP32 board, for bench/boards.py.

    micropython -X heapsize=256k bench/board_heap.py BOARD_DIR FAKES_DIR STORE_DIR

BOARD_DIR holds the firmware as `make deploy BOARD=esp32s3` lays it out (.mpy
files, config.json); FAKES_DIR the fake `machine` (tests/fakes), imported
before the baseline since a board has it built in. MINUTES of a synthetic
walk go through the board's timer sampler into the device (insole/device.py:
pipeline, clock, schedule, alerts, day summary) or, where it does not exist,
the bare pipeline; the motor plays the alerts; the day rolls over into the
flash store in STORE_DIR (edge/store.py, when it exists); alert events and
records go to a fake radio.

Prints JSON, in bytes above the baseline, from gc.mem_alloc() after
gc.collect(): `code`, the imported modules (bytecode loaded from .mpy lives in
the heap; frozen into the firmware image it would not), and `peak_heap`, the
most ever live, checked every COLLECT samples; `data` = peak_heap - code.
"""
import gc
import json
import sys

BOARD_DIR, FAKES_DIR, STORE_DIR = sys.argv[1:4]
sys.path.insert(0, FAKES_DIR)
sys.path.insert(0, BOARD_DIR)
import machine  # noqa: E402,F401  (the fake)

gc.collect()
heap_start = gc.mem_alloc()

import asyncio  # noqa: E402
from array import array  # noqa: E402

from boards.esp32 import Board  # noqa: E402
from edge.motor import Motor  # noqa: E402
from insole import record  # noqa: E402
from insole.alerts import EVENT_LEN, LIMIT_REACHED  # noqa: E402
from insole.pipeline import Pipeline  # noqa: E402

try:
    from insole.device import Device
except ImportError:
    Device = None
try:
    from edge.store import Store
except ImportError:
    Store = None
gc.collect()
code = gc.mem_alloc() - heap_start

MINUTES = 3
COLLECT = 250
CYCLE = 110     # a stride of 1.1 s at 100 Hz
STANCE = 66
REST = 2000     # counts with the foot in the air
PEAKS = (10, 18, 18, 33, 33, 48, 48, 56)  # heel, rearfoot, midfoot, forefoot, toes: stance sample of each peak
MEDIAL = (2, 4, 6)
PLAN = {"preset": "custom", "start_s": 60, "step_s": 60, "cap_s": 120}  # alerts within the run
DAY_S = 86400


class Radio:
    """Stands in for the BLE link: counts the notifications it would send."""

    def __init__(self):
        self.sent = 0
        self.bytes = 0

    def notify(self, data):
        self.sent += 1
        self.bytes += len(data)


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


async def main():
    with open(BOARD_DIR + "/config.json") as f:
        cfg = json.load(f)
    board = Board(cfg)
    radio = Radio()

    async def no_wait(ms):
        await asyncio.sleep(0)

    motor = Motor(board.motor_pwm, sleep=no_wait)
    player = asyncio.create_task(motor.run())
    store = None
    if Store:
        store = Store(STORE_DIR)
        store.recover()
    if Device:
        device = Device(cfg, plan=PLAN, buzz=motor.play, checkpoint_s=60)
        device.clock.second = DAY_S - 120  # the day closes into the store during the run
        feed = device.sample
        pipe = device.pipeline
    else:
        device = None
        pipe = Pipeline(cfg)
        feed = pipe.feed
    rows = walk()
    event = array("i", bytes(4 * EVENT_LEN))
    sampler = board.sampler
    adcs = sampler.inputs
    sampler.start()
    fs = cfg["fs_hz"]
    sent_seq = 0
    peak = 0
    n = 0
    while n < MINUTES * 60 * fs:
        base = n % CYCLE * 8
        for ch in range(8):
            adcs[ch].level = rows[base + ch]
        sampler.timer.fire()
        while sampler.ready():
            feed(sampler.take())
        n += 1
        if n % fs == 0:  # once a second: the main loop's chores
            board.feed_watchdog()
            radio.notify(b"%d" % board.battery_mv())
            if device:
                if device.due:
                    device.service(store)
                while device.alerts.pop(event):
                    radio.notify(event)
            elif n % (30 * fs) == 0:
                motor.play(LIMIT_REACHED)
            if store:
                for fields in store.records_after(sent_seq):
                    radio.notify(record.encode(fields))
                    sent_seq = fields["seq"]
            await asyncio.sleep(0)
        if n % COLLECT == 0:
            gc.collect()
            peak = max(peak, gc.mem_alloc() - heap_start)
    player.cancel()
    return {"code": code, "data": peak - code, "peak_heap": peak, "samples": n, "steps_today": pipe.gait.steps,
            "dropped": sampler.dropped, "buzzes": len(board.motor_pwm.duties), "radio": radio.sent,
            "device": bool(Device), "store": bool(Store), "records": sent_seq}


print(json.dumps(asyncio.run(main())))
