"""What every BLE binding needs from the board for the auth session: milliseconds
that never wrap, and random bytes for the nonces."""
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
