"""The sim board: the board interface on the unix port, in virtual time.

The sampler replays rows of 16-bit counts from any iterable (a recording
through sim/fsr.py, a scripted day from sim/day.py); the motor is
sim/motor.py's RecordingPWM; the battery reads `battery` mV. Time passes only
in `idle_ms`, which takes the samples due meanwhile, so the firmware runs as
fast as the host allows and a test sees exactly what a board would.
"""
import asyncio

import boards
from sim.motor import RecordingPWM


class ReplaySampler(boards.Sampler):
    """A sampler whose timer is `tick()`: the next row of `counts`."""

    def __init__(self, channels, counts):
        super().__init__(channels, ())
        self.rows = iter(counts)
        self.row = None
        self.done = False

    def tick(self):
        """Sample the next row; False once the counts have run out."""
        row = next(self.rows, None)
        if row is None:
            self.done = True
            return False
        self.row = row
        self.sample()
        return True

    def read(self, buf):
        row = self.row
        for ch in range(self.channels):
            buf[ch] = row[ch]


class Board:
    """The virtual insole's board; `now_ms` is its clock."""

    def __init__(self, cfg, counts=(), battery_mv=3900):
        self.fs = cfg["fs_hz"]
        self.now_ms = 0
        self.ticks = 0
        self.sampler = ReplaySampler(len(cfg["sensors"]), counts)
        self.motor_pwm = RecordingPWM(self.clock_ms)
        self.battery = battery_mv
        self.watchdog_feeds = 0

    def clock_ms(self):
        return self.now_ms

    def battery_mv(self):
        return self.battery

    def feed_watchdog(self):
        self.watchdog_feeds += 1

    async def idle_ms(self, ms):
        """`ms` of virtual time pass, and the samples due in them are taken."""
        self.now_ms += ms
        sampler = self.sampler
        while sampler.running and self.ticks * 1000 // self.fs <= self.now_ms and sampler.tick():
            self.ticks += 1
        await asyncio.sleep(0)
