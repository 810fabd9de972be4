"""Calibration with its per-sample loop compiled by MicroPython's viper emitter.

The same arithmetic as `Calibration.to_force`, bit for bit (the core tests
run both on the same cases and on real walks), on machine words: every value
stays under 2**30 (tests/core/test_bounds.py), so nothing wraps on a 32-bit
board. About eight times faster than the bytecode loop.

MicroPython only: CPython and CircuitPython cannot compile this module, and
`calibration.fastest()` falls back to the plain class there. The constants
are repeated here because viper folds only a module's own `const()`s.
"""
import micropython
from micropython import const

from insole import calibration
from insole.calibration import Calibration

BREAKPOINTS = const(65)
ZERO_FRAC = const(4)
ZERO_SEG_SHIFT = const(14)
ZERO_SEG_MASK = const(16383)
ZERO_SEG_HALF = const(8192)
RAIL_HI = const(65472)
if (BREAKPOINTS, ZERO_FRAC, ZERO_SEG_SHIFT, ZERO_SEG_MASK, ZERO_SEG_HALF, RAIL_HI) != (
        calibration.BREAKPOINTS, calibration.ZERO_FRAC, calibration.ZERO_SEG_SHIFT, calibration.ZERO_SEG_MASK,
        calibration.ZERO_SEG_HALF, calibration.RAIL_HI):
    raise ImportError("calibration_viper: its constants no longer match calibration.py")


class ViperCalibration(Calibration):
    """`Calibration` whose `to_force` runs as native code."""

    @micropython.viper
    def to_force(self, counts, force) -> int:
        """Fill `force` (dN) from `counts`; return their sum."""
        cp = ptr16(counts)
        fp = ptr32(force)
        lut = ptr16(self.lut)
        zero = ptr32(self.zero_q4)
        peak = ptr32(self.peak)
        n = int(self.channels)
        total = 0
        base = 0
        for ch in range(n):
            c = int(cp[ch])
            d = (c << ZERO_FRAC) - int(zero[ch])
            if c >= RAIL_HI:
                total += int(self._at_rail(ch, force))
            elif d <= 0:
                fp[ch] = 0
                if d:
                    zero[ch] = int(zero[ch]) + (d >> 1)
            else:
                b = base + (d >> ZERO_SEG_SHIFT)
                f = int(lut[b])
                f += ((int(lut[b + 1]) - f) * (d & ZERO_SEG_MASK) + ZERO_SEG_HALF) >> ZERO_SEG_SHIFT
                fp[ch] = f
                total += f
                if f > int(peak[ch]):
                    peak[ch] = f
            base += BREAKPOINTS
        if self.railing:
            self._rail_runs(counts, force)
        return total
