"""Fixed-point first-order IIR low-pass for the foot's total force.

    y[n] = y[n-1] + a * (x[n] - y[n-1]),   a = A / 16, A in 1..16

Q-format: the state holds y in Q4 (4 fractional bits, 1 LSB = 1/16 dN); the
update floors, so the state trails the float filter by less than 1/(16 a) dN,
and the output rounds the state to whole dN (+-0.5 dN): in all, within 1 LSB
of a float reference for a >= 1/8.

A is chosen from the cut-off: a = 1 - exp(-2 pi fc / fs), rounded to 1/16.
The realised -3 dB cut-off is fc = -fs ln(1 - a) / (2 pi) and the group delay
at low frequency is (1 - a) / a samples:
    fs 100 Hz, fc 5 Hz -> A 4 (a 0.25): fc 4.6 Hz, delay 3 samples (30 ms)
    fs 300 Hz, fc 5 Hz -> A 2 (a 0.125): fc 6.4 Hz, delay 7 samples (23 ms)

Only the total is filtered: gait events need a smooth edge, while the
pronation indices integrate each channel over the stance, which already
averages the noise away.
"""
import math

from insole.compat import const

FRAC = const(4)
ONE = const(1 << FRAC)
_HALF = const(ONE >> 1)


def coefficient(fs_hz, cutoff_hz):
    """A (a = A/16) for a cut-off at this sample rate."""
    a = 1 - math.exp(-2 * math.pi * cutoff_hz / fs_hz)
    return max(1, min(ONE, int(a * ONE + 0.5)))


class LowPass:
    """One low-pass state; `delay` is its group delay in whole samples."""

    def __init__(self, fs_hz, cutoff_hz=5):
        self.a = coefficient(fs_hz, cutoff_hz)
        self.delay = (ONE - self.a + self.a // 2) // self.a
        self.cutoff_hz = -fs_hz * math.log(1 - self.a / ONE) / (2 * math.pi) if self.a < ONE else fs_hz / 2
        self.state = 0

    def update(self, x):
        """Filter one sample (dN) and return the output (dN)."""
        s = self.state
        s += (((x << FRAC) - s) * self.a) >> FRAC
        self.state = s
        return (s + _HALF) >> FRAC
