"""Low-pass: documented coefficients, and faithful to a float reference."""
import math

from insole.filters import LowPass, coefficient
from support import walk_counts


def float_lowpass(xs, a):
    y = 0.0
    out = []
    for x in xs:
        y += a * (x - y)
        out.append(y)
    return out


def check_faithful(fs, xs):
    lp = LowPass(fs)
    ref = float_lowpass(xs, lp.a / 16)
    worst = 0.0
    for x, r in zip(xs, ref):
        worst = max(worst, abs(lp.update(x) - r))
    # documented: state floors by < 1/(16a) dN, output rounds by 0.5 dN
    assert worst <= 0.5 + 1 / (lp.a) + 1e-9, worst
    return worst


def test_documented_coefficients_cutoff_and_delay():
    lp = LowPass(100)
    assert (lp.a, lp.delay) == (4, 3)
    assert abs(lp.cutoff_hz - 4.58) < 0.01
    lp = LowPass(300)
    assert (lp.a, lp.delay) == (2, 7)
    assert abs(lp.cutoff_hz - 6.38) < 0.01
    assert coefficient(100, 1000) == 16


def test_step_response_matches_float_within_one_lsb():
    xs = [0] * 10 + [30000] * 100 + [0] * 100 + [12345] * 50
    assert check_faithful(100, xs) <= 1.0
    assert check_faithful(300, xs) <= 1.0


def test_real_walk_total_matches_float_within_one_lsb():
    from insole.calibration import Calibration, divider_table
    from array import array
    counts, adc = walk_counts("GaCo01_01.txt", "L", limit=3000)
    cal = Calibration([divider_table(4000, 20000)] * 8, 100)
    cal.set_zero(counts[0])
    force = array("i", [0] * 8)
    totals = [cal.to_force(c, force) for c in counts]
    assert max(totals) > 5000
    assert check_faithful(100, totals) <= 1.0


def test_cutoff_attenuates_as_documented():
    fs = 100
    lp = LowPass(fs)
    amp = 10000
    n = 400
    f = lp.cutoff_hz
    out = [lp.update(int(amp * math.sin(2 * math.pi * f * i / fs)) + amp) for i in range(n)]
    tail = out[n // 2:]
    gain = (max(tail) - min(tail)) / (2 * amp)
    assert 0.62 < gain < 0.80, gain  # -3 dB is 0.707 (first-order, sampled)
