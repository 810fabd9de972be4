"""What every BLE binding needs from the board: milliseconds that never wrap and
random bytes for the auth session, and the last-resort timer of a dead link."""
import os

try:
    from time import ticks_add, ticks_diff, ticks_ms  # MicroPython
except ImportError:  # CPython, for tests and the host (CircuitPython passes adafruit_ticks')
    from time import monotonic

    def ticks_ms():
        return int(monotonic() * 1000)

    def ticks_add(a, b):
        return a + b

    def ticks_diff(a, b):
        return a - b


class Monotonic:
    """Milliseconds since start that never wrap: the port's ticks folded (call it at
    least once per half ticks period), for the session's timeouts. CircuitPython
    gives adafruit_ticks' `ticks_ms` and `ticks_diff`."""

    def __init__(self, ticks=ticks_ms, diff=ticks_diff):
        self.ticks = ticks
        self.diff = diff
        self.last = ticks()
        self.ms = 0

    def __call__(self):
        now = self.ticks()
        self.ms += self.diff(now, self.last)
        self.last = now
        return self.ms


def random_bytes(n):
    """The auth nonces: the port's hardware random generator."""
    return os.urandom(n)


class LastResort:
    """A link neither advertising nor connected for `dead_s`: `restart()` BLE; still
    so `dead_s` later, `reset()` the board. `check(live)` as often as convenient."""

    def __init__(self, clock_ms, dead_s, restart, reset):
        self.clock_ms = clock_ms
        self.dead_s = dead_s
        self.restart = restart
        self.reset = reset
        self.alive_ms = clock_ms()
        self.restarted = False

    def check(self, live):
        now = self.clock_ms()
        if live:
            self.alive_ms = now
            self.restarted = False
        elif now - self.alive_ms >= self.dead_s * 1000:
            if self.restarted:
                self.reset()
            self.restart()
            self.restarted = True
            self.alive_ms = now
