"""Small ints: nothing in the per-sample path leaves the signed 31-bit range.

A 32-bit MicroPython board holds -2**30 .. 2**30 - 1 in a small int; past
that a value becomes a heap-allocated long. The unix port's 63-bit ints hide
this, so the bounds are proven twice: worst cases computed from the limits the
config enforces, and (under CPython) every int the per-sample code touches,
traced while extreme inputs run through it.
"""
import sys
from array import array

from insole import calibration, filters, gait, pronation, sensormap, wear
from insole.pipeline import MAX_FS_HZ, PRONATION_HZ, Pipeline
from support import SkipTest

SMALL = (1 << 30) - 1


def isqrt(v):
    r = 0
    while (r + 1) * (r + 1) <= v:
        r += 1
    return r


def worst_cases():
    f = calibration.FORCE_LIMIT_DN
    n = sensormap.MAX_CHANNELS
    mm = sensormap.MAX_MM
    fs = MAX_FS_HZ
    total = n * f
    # pronation takes every fs/50-th stance sample: the most it sees, over every rate
    taken = max((r * gait.MAX_STANCE_S_X100 // 100 + 1) // max(1, r // PRONATION_HZ) + 1
                for r in range(10, fs + 1))
    line = isqrt(2 * (2 * mm) ** 2) + 1
    return {
        "calibration: counts in Q4": 65535 << calibration.ZERO_FRAC,
        "calibration: slope * fraction": f * calibration.ZERO_SEG_MASK + calibration.ZERO_SEG_HALF,
        "calibration: total of a sample": total,
        "filter: state": total << filters.FRAC,
        "filter: (x - s) * a": (total << filters.FRAC) * filters.ONE,
        "gait: range * threshold": total * 1023,
        "gait: samples in a day": 86400 * fs,
        "gait: cadence numerator": 1200 * fs + 86400 * fs,
        "pronation: medial-lateral sums over a stance": total * taken,
        "pronation: CoP moments (Q2 mm)": total * line * 4,
        "pronation: CoP remainder, Q4": total * 4,
        "pronation: sensor cross and dot products << 3": 2 * (2 * mm) * (2 * mm) * 8,
        "pronation: CoP position, rounded (Q2 mm)": total * line * 4 + total,
        "pronation: ramp times load": (line * 4 // 3) * total,
        "pronation: weighted distance sums": pronation.SUM_LIMIT
        + (((line * 4 // 3) * total) >> pronation.WEIGHT_SHIFT) * (line * 16),
        "pronation: load-weighted distance sums": pronation.SUM_LIMIT + (total >> 4) * (line * 16),
        "pronation: weight sum * width * 16": pronation.NORM_LIMIT * 2 * mm * 16,
        "pronation: per-mille numerator": 2000 * pronation.NORM_LIMIT,
        "wear: worn seconds": 86400,
    }


def test_worst_cases_fit_31_bits():
    for name, value in worst_cases().items():
        assert value <= SMALL, "%s reaches %d > %d" % (name, value, SMALL)


def extreme_config():
    corners = []
    for i in range(sensormap.MAX_CHANNELS):
        x = sensormap.MAX_MM if i % 2 else -sensormap.MAX_MM
        y = sensormap.MAX_MM if i % 4 >= 2 else -sensormap.MAX_MM
        corners.append({"x_mm": x, "y_mm": y, "side": "medial" if x > 0 else "lateral"})
    return {"fs_hz": MAX_FS_HZ, "adc_bits": 12, "sensors": corners,
            "fsr": {"model": "linear", "f_max_n": calibration.FORCE_LIMIT_DN // 10}}


def test_traced_ints_stay_small_under_extreme_inputs():
    if sys.implementation.name != "cpython":
        raise SkipTest("tracing needs CPython")
    pipe = Pipeline(extreme_config())
    n = pipe.channels
    fs = pipe.fs
    seen = {"max": 0, "where": None}
    modules = {m.__file__ for m in (calibration, filters, gait, pronation, wear)}

    def check(v, where):
        if isinstance(v, int) and not isinstance(v, bool) and abs(v) > seen["max"]:
            seen["max"] = abs(v)
            seen["where"] = where

    def tracer(frame, event, arg):
        if frame.f_code.co_filename not in modules:
            return None
        for k, v in frame.f_locals.items():
            check(v, "%s:%s" % (frame.f_code.co_name, k))
        return tracer

    full = array("H", [65535] * n)
    high = array("H", [65471] * n)
    low = array("H", [0] * n)
    stance = fs * gait.MAX_STANCE_S_X100 // 100 - fs // 5  # about the longest stance that still counts
    pattern = [low] * fs + [high] * stance
    pipe.gait.n = 86400 * fs - 4 * len(pattern) - 4 * fs  # a long day, ending
    stuck = []
    sys.settrace(tracer)
    try:
        for c in pattern * 3 + [full] * (4 * fs):
            pipe.feed(c)
        stuck.append(pipe.calibration.stuck(0))
        for c in pattern:
            pipe.feed(c)
    finally:
        sys.settrace(None)
    for obj in (pipe.calibration, pipe.lowpass, pipe.gait, pipe.pronation, pipe.wear, pipe.health):
        for k, v in vars(obj).items():
            if isinstance(v, array):
                for x in v:
                    check(x, k)
            else:
                check(v, k)
    assert pipe.gait.steps >= 2 and stuck == [True]
    assert seen["max"] <= SMALL, seen
