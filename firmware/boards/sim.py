"""The sim board: the board interface on the unix port, in virtual time.

What the sensors feel comes from `live(schedule, walk, foot, fit)`: a day
script of (kind, seconds) segments (sim/day.py: walk, stand, sit, gap, off)
rendered from a real gaitpdb walk, changed by how the insole sits (sim/fit.py:
an orthotic's lateral shift, worn sensors), through the modelled FSR + ADC
(sim/fsr.py); past the
script, or before one, the insole lies unloaded. While a script is lived,
time passes only when the firmware waits for its next samples (`wait_sample`),
and then jumps to them: the firmware runs as fast as the host allows and sees
exactly what a board would; another task's pause (`idle_ms`: the motor's)
ends when that time has passed, so a task that polls the sampler with
`idle_ms` alone would wait for ever. Between scripts the clock stands still,
and a pause goes on in the next script.
Off the foot, or standing or seated still on it, it samples once a second,
as a board does (boards.Base.pace), and it never deep-sleeps (sim.json: power.sleep_after_s 0).
The motor is sim/motor.py's RecordingPWM; the battery reads `battery` mV. The
sim board has no real-time clock that outlives a power-up: the firmware keeps
its time in the store (a virtual insole is off for no time at all).

Its power can fail: a file `power` beside main.py holding "N T" makes the
Nth flash operation (a write, rename or remove) the last, or the power go at
T ms of virtual time after the power-up, whichever comes first (0: never). A
write the power cuts lands torn (sim/flash.py), and the process is killed
(SIGKILL) at once, as when the battery is pulled: no file is closed. Every
operation that completed before is listed in `flash.log` (`write PATH HEX`,
`rename SRC DST`, `remove PATH`), so a test knows what was on flash when the
power went, and a benchmark how often each file is written.

Its motor can be watched: when a file `motor.log` is beside main.py, each
change of the motor's duty is appended to it, `MS DUTY` (MS the virtual
milliseconds since the power-up; the motor's pauses end on the virtual clock,
which at the slow rate moves a second at a time). A buzz starts once the
samples of the wake that fired it are done: up to a ring's worth, which at
the slow rate is up to a minute late, where a board's would be a second.

Its sampling can stall, as a board's does: a file `stall` beside main.py
holding "T BUSY FROZEN" holds the firmware up once, at T ms of virtual time
while a script is being lived: for BUSY ms the timer runs but nothing drains
the ring (it fills, then overflows: `dropped`), then for FROZEN ms the timer's
ticks never run (`missed`, as on an ESP32 whose flash write fills
MicroPython's scheduler queue). The main loop hands both to Device.skip, as
on a board.
"""
import asyncio
import gc
from binascii import crc32
import os
import struct
import sys
import time
from array import array

import boards
from insole.compat import zeros
from sim import day
from sim.fit import Fit
from sim.flash import PowerFs
from sim.motor import RecordingPWM
from sim.recordings import GaitpdbReader

RING = 64  # more than a board's: the virtual time jumps a ring's worth of samples at once


class Timeline:
    """Rows of counts at fs_hz along a day script; `advance(rows)` moves on, `row` is now."""

    def __init__(self, blocks, channels):
        self.blocks = blocks
        self.channels = channels
        self.segments = []
        self.block = blocks["off"]
        self.left = 0  # rows left in the current segment
        self.pos = 0
        self.walk_pos = 0

    def play(self, schedule, fs):
        self.segments = [(kind, seconds * fs) for kind, seconds in schedule if seconds]
        self.left = 0
        self.advance(0)

    def done(self):
        return not self.left and not self.segments

    def advance(self, rows):
        """Move `rows` rows on; the next segment starts when one runs out."""
        n = self.channels
        if rows < self.left:  # within the segment: most calls
            self.left -= rows
            self.pos = (self.pos + rows * n) % len(self.block)
            return
        while True:
            step = min(rows, self.left)
            self.left -= step
            rows -= step
            self.pos = (self.pos + step * n) % len(self.block)
            walking = self.block is self.blocks.get("walk")
            if walking:
                self.walk_pos = self.pos
            if self.left or not self.segments:
                if not self.left:
                    self.block = self.blocks["off"]
                return
            kind, self.left = self.segments.pop(0)
            self.block = self.blocks[kind]
            self.pos = self.walk_pos if kind == "walk" else 0

    def read(self, buf):
        i = self.pos
        buf[:] = self.block[i:i + self.channels]


class SimSampler(boards.Sampler):
    """A sampler whose timer is the board's virtual clock: the timeline's row now."""

    def __init__(self, channels, timeline, fs):
        super().__init__(channels, (), size=RING, fs=fs)
        self.timeline = timeline

    def read(self, buf):
        self.timeline.read(buf)


def power_off():
    """The battery pulled: the process is killed (SIGKILL) where it stands, so no
    file is closed and nothing more runs."""
    sys.stdout.write("POWER CUT\n")
    os.system("kill -KILL $PPID")
    while True:  # the kill failed (no shell, no memory to fork): nothing more runs; the host kills it
        time.sleep(1)


def _power_supply():
    """(flash, ms): a PowerFs and the virtual time the power fails at, when a `power` file says."""
    try:
        with open("power") as f:
            ops, ms = [int(w) for w in f.read().split()]
    except (OSError, ValueError):
        return None, 0
    return PowerFs(ops, power_off, open("flash.log", "a")), ms


class Board(boards.Base):
    """The virtual insole's board; `now_ms` is its clock. It never deep-sleeps
    (sim.json: power.sleep_after_s 0): off the foot or still it samples once a second."""

    def __init__(self, cfg, battery_mv=3900):
        self.fs_hz = cfg["fs_hz"]
        self.now_ms = 0
        n = len(cfg["sensors"])
        self.sensors = cfg["sensors"]
        self.adc = day.make_adc(cfg)
        self.idle_blocks = _idle_blocks(day.make_adc(cfg, seed=2), n)
        self.timeline = Timeline(self.idle_blocks, n)
        self.sampler = SimSampler(n, self.timeline, self.fs_hz)
        self.power_from(cfg)
        self.motor_pwm = RecordingPWM(self.clock_ms, _motor_log())
        self.battery = battery_mv
        self.watchdog_feeds = 0
        self.fs, self.power_fails_ms = _power_supply()
        self.stall = _stall()
        self.host_us = None  # a benchmark's clock: then `sim_us` is the time spent replaying
        self.sim_us = 0      # (the ADC and timer a board has in silicon)
        self._key = None  # (walk, foot, fit key) of the blocks below
        self._blocks = None  # the rendered blocks: another fit of the same walk renders into them
        self._block = None  # the segment block of the last sample taken
        self.wake_ms = None  # the earliest end of another task's pause: a ring stops there

    def clock_ms(self):
        return self.now_ms

    def battery_mv(self):
        return self.battery

    def rtc_unix(self):
        return None

    def set_rtc(self, unix_s):
        pass

    def feed_watchdog(self):
        self.watchdog_feeds += 1

    def live(self, schedule, walk=None, foot="L", fit=None):
        """The wearer lives `schedule` [(kind, seconds)], walking `walk` (a gaitpdb path),
        the insole sitting as `fit` says (a dict of sim/fit.py parameters)."""
        if schedule and walk:
            fit = Fit(self.sensors, fit)
            key = (walk, foot, fit.key)
            if key != self._key:
                same_walk = self._key is not None and self._key[:2] == key[:2]
                if not same_walk:  # one walk's blocks in the heap at a time
                    self._blocks = self.timeline.blocks = self.idle_blocks
                    gc.collect()
                self._blocks = self._rendered(walk, foot, fit, self._blocks if same_walk else None)
                self._key = key
            self.timeline.blocks = self._blocks
        elif any(kind != "off" for kind, _ in schedule):
            raise ValueError("a day with wear needs a walk recording")
        self.timeline.play(schedule, self.fs_hz)

    def _rendered(self, walk, foot, fit, into):
        """The walk through the modelled sensors (seeded, so always the same), rendered
        once into the machine's temporary folder: rendering takes seconds, and each
        power-up needs it. The name holds all it depends on: the walk, the foot, the
        fit, the rate, the sensor model's parameters and a checksum of the code that renders."""
        built = 0  # the rendering's code: a redeploy of the same code renders nothing again
        for module in (self.adc.__class__.__module__, "sim.day", "sim.fit"):
            with open(__import__(module, None, None, ("x",)).__file__, "rb") as f:
                built = crc32(f.read(), built)
        path = "%s/insole-sensors-%s-%s-%s-%d-%d-%d-%d-%d.bin" % (
            os.getenv("TMPDIR") or "/tmp", walk.rsplit("/", 1)[-1], foot, fit.key or "as-made", self.fs_hz,
            self.adc.channels, int(self.adc.f_half), self.adc.bits, built)
        try:
            return _read_blocks(path, into)
        except (OSError, ValueError):
            pass
        blocks = day.render_blocks(GaitpdbReader(walk, foot), self.fs_hz, self.adc, fit, into)
        with open(path + ".tmp", "wb") as f:
            for kind in day.KINDS:
                f.write(struct.pack("<I", len(blocks[kind])))
                f.write(blocks[kind])
        os.rename(path + ".tmp", path)
        return blocks

    def living(self):
        """True until the script `live` was given has been lived."""
        return not self.timeline.done() or self.sampler.ready()

    def _moving(self):
        """True while the sampling carries the clock: a script is being lived."""
        return self.sampler.running and not self.timeline.done()

    async def idle_ms(self, ms):
        """Another task's pause (the motor's): once the sampler runs, over when the
        sampling has carried the clock past it (between scripts, in the next one), so
        the clock is always the samples'; before, time passes by `ms`."""
        until = self.now_ms + ms
        while True:
            if self.sampler.running:
                self.wake_ms = until if self.wake_ms is None else min(self.wake_ms, until)
            else:
                self.now_ms = max(self.now_ms, until)
            await asyncio.sleep(0)
            if self.now_ms >= until:
                return

    async def wait_sample(self):
        """While a script is being lived, time passes: up to a ring's worth of
        samples taken at once at the sampler's rate. At the slow rate (one a second,
        off the foot or still on it) the firmware judges each sample of a walk,
        and the first of any other segment, alone, as a board does: within a
        standing, seated or unloaded segment nothing changes that would wake it
        (a standing sway is 3 %; still allows 25 %)."""
        await asyncio.sleep(0)  # the other tasks run first, as while a board waits
        if self._moving():
            if self.stall and self.stall[0] <= self.now_ms:
                self._stalled()
            else:
                self._take_ring()

    def _take_ring(self):
        """Up to a ring's worth of samples (a benchmark's board wakes the firmware as a
        board's flag does), stopping where another task's pause ends, and at the
        slow rate after a sample the firmware judges alone."""
        t0 = self.host_us() if self.host_us else 0
        sampler, timeline = self.sampler, self.timeline
        rows = self.fs_hz // sampler.hz
        walk = timeline.blocks.get("walk")
        for _ in range(sampler.batch if self.host_us else RING - 1):
            if timeline.done():
                break
            block = timeline.block
            sampler.sample()
            timeline.advance(rows)
            self.now_ms += 1000 // sampler.hz
            if 0 < self.power_fails_ms <= self.now_ms:
                power_off()
            new = block is not self._block
            self._block = block
            if self.wake_ms is not None and self.now_ms >= self.wake_ms:  # a pause is over
                self.wake_ms = None
                break
            if rows > 1 and (new or block is walk):
                break
        if self.host_us:
            self.sim_us += self.host_us() - t0

    def _stalled(self):
        """The stall the `stall` file asked for: the ring overflows, then the timer misses ticks."""
        _, busy_ms, frozen_ms = self.stall
        self.stall = None
        sampler, timeline = self.sampler, self.timeline
        rows = self.fs_hz // sampler.hz
        for _ in range(busy_ms * sampler.hz // 1000):
            sampler.sample()
            timeline.advance(rows)
        missed = frozen_ms * sampler.hz // 1000
        timeline.advance(missed * rows)
        sampler.missed += missed
        self.now_ms += busy_ms + frozen_ms


def _motor_log():
    """The `motor.log` beside main.py, opened to append, when there is one."""
    try:
        os.stat("motor.log")
    except OSError:
        return None
    return open("motor.log", "a")


def _stall():
    """(T, BUSY, FROZEN) ms of the `stall` file, or None."""
    try:
        with open("stall") as f:
            at, busy, frozen = [int(w) for w in f.read().split()]
    except (OSError, ValueError):
        return None
    return at, busy, frozen


def _read_blocks(path, into=None):
    """The blocks a render left at `path`, read into `into`'s arrays where they fit."""
    blocks = {}
    with open(path, "rb") as f:
        for kind in day.KINDS:
            head = f.read(4)
            if len(head) != 4:
                raise ValueError("truncated")
            n = struct.unpack("<I", head)[0]
            block = into[kind] if into and len(into[kind]) == n else zeros("H", n)
            if f.readinto(block) != 2 * n:
                raise ValueError("truncated")
            blocks[kind] = block
    return blocks


def _idle_blocks(adc, channels):
    """Unloaded rows only: the insole on a shelf before any walk is given."""
    buf = array("H", [0] * channels)
    adc.read([0.0] * channels, buf)
    block = array("H", buf)
    return {"off": block, "gap": block}
