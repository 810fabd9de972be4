"""A fake `adafruit_ticks` with the library's wrap-around arithmetic (2**29 ms)."""
import time

_PERIOD = 1 << 29
_HALF = _PERIOD // 2


def ticks_ms():
    return int(time.monotonic() * 1000) % _PERIOD


def ticks_add(ticks, delta):
    return (ticks + delta) % _PERIOD


def ticks_diff(ticks1, ticks2):
    return (ticks1 - ticks2 + _HALF) % _PERIOD - _HALF
