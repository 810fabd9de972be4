"""The sim board: the board interface on the unix port, in virtual time.

The sampler replays rows of 16-bit counts from any iterable (a recording
through sim/fsr.py, a scripted day from sim/day.py); the motor is
sim/motor.py's RecordingPWM; the battery reads `battery` mV. Time passes only
in `idle_ms` and `wait_sample`, which take the samples due meanwhile, so the
firmware runs as fast as the host allows and a test sees exactly what a board
would. At a slow rate each sample stands for the rows of its period.

`sleep()` is deep sleep in virtual time: rows pass unread at the slow rate
until the heel's count reaches WAKE_COUNTS (the modelled load that a board's
wake pin sees as logic high), then the board samples on where it stopped; a
real board would reset and restore from its store instead.

For the bench's duty cycle it keeps `sim_us`, the host time spent in its own
replay machinery (the ADC and timer a board has in silicon) by its clock
`host_us` (ticks_us unless set), and `slept_ms`, and sets the asyncio Event
`finished` when the counts run out.
"""
import asyncio

import boards
from sim.motor import RecordingPWM

try:
    from time import ticks_diff, ticks_us
except ImportError:  # CPython
    from time import perf_counter_ns

    def ticks_us():
        return perf_counter_ns() // 1000

    def ticks_diff(a, b):
        return a - b

WAKE_COUNTS = 16384


class ReplaySampler(boards.Sampler):
    """A sampler whose timer is `tick()`: the next row of `counts`."""

    def __init__(self, channels, counts, fs):
        super().__init__(channels, (), fs=fs)
        self.rows = iter(counts)
        self.row = None
        self.done = False

    def tick(self):
        """Sample the row due now, after the rows a slow rate skips; False once the counts have run out."""
        for _ in range(self.hold):
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


class Board(boards.Base):
    """The virtual insole's board; `now_ms` is its clock."""

    def __init__(self, cfg, counts=(), battery_mv=3900):
        self.fs = cfg["fs_hz"]
        self.now_ms = 0
        self.ticks = 0  # sample periods of 1/fs replayed
        self.sampler = ReplaySampler(len(cfg["sensors"]), counts, self.fs)
        self.sampler.wake = self  # the sampler's notify: set() below
        self.woken = False
        self.power_from(cfg)
        self.motor_pwm = RecordingPWM(self.clock_ms)
        self.battery = battery_mv
        self.watchdog_feeds = 0
        self.host_us = ticks_us
        self.sim_us = 0
        self.slept_ms = 0
        self.finished = asyncio.Event()

    def clock_ms(self):
        return self.now_ms

    def battery_mv(self):
        return self.battery

    def feed_watchdog(self):
        self.watchdog_feeds += 1

    def _due_ms(self):
        return self.ticks * 1000 // self.fs

    def _catch_up(self):
        """Take the samples due by now_ms."""
        t0 = self.host_us()
        sampler = self.sampler
        while sampler.running and self._due_ms() <= self.now_ms and sampler.tick():
            self.ticks += sampler.hold
        if sampler.done:
            self.finished.set()
        self.sim_us += ticks_diff(self.host_us(), t0)

    async def idle_ms(self, ms):
        """`ms` of virtual time pass, and the samples due in them are taken."""
        self.now_ms += ms
        self._catch_up()
        await asyncio.sleep(0)

    def set(self):
        """The sampler's notify: a batch of samples waits."""
        self.woken = True

    async def wait_sample(self):
        """Virtual time runs on, sample by sample, until the sampler notifies
        (unless a sample waits already)."""
        sampler = self.sampler
        if not sampler.ready():
            self.woken = False
            while not self.woken and sampler.running and not sampler.done:
                self.now_ms = max(self.now_ms, self._due_ms())
                self._catch_up()
        await asyncio.sleep(0)

    def sleep(self):
        """Deep sleep in virtual time: rows pass unsampled, one slow period at a
        time, until one loads the heel (or the counts run out)."""
        t0 = self.host_us()
        start = self.now_ms
        rows = self.sampler.rows
        period = self.fs // self.policy.slow_hz
        awake = False
        while not awake:
            for _ in range(period):
                row = next(rows, None)
                if row is None:
                    self.sampler.done = True
                    self.finished.set()
                    awake = True
                    break
                self.ticks += 1
            else:
                awake = row[0] >= WAKE_COUNTS
        self.now_ms = max(self.now_ms, self._due_ms())
        self.slept_ms += self.now_ms - start
        self.sim_us += ticks_diff(self.host_us(), t0)
