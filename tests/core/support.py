"""Helpers for the core tests, which run under CPython (pytest) and MicroPython.

Only what both interpreters share: no pathlib, no pytest, no numpy.
"""
import json
import os
import struct
from array import array

try:
    from unittest import SkipTest
except ImportError:
    class SkipTest(Exception):
        """A test that cannot run here (the MicroPython runner counts it as skipped)."""

HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
ROOT = HERE + "/../.."
FIRMWARE = ROOT + "/firmware"


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def data_dir(dataset):
    """Folder of a recorded dataset: $INSOLE_DATA, else shared/data beside the checkout.
    Missing, the case skips, except under CI (CI=true), where it fails."""
    for base in (os.getenv("INSOLE_DATA"), ROOT + "/../shared/data"):
        if base:
            for path in (base + "/" + dataset, base):
                if exists(path + ("/SHA256SUMS.txt")):
                    return path
    if os.getenv("CI") == "true":
        raise AssertionError("no %s recordings: CI has them, so the real-data cases must run" % dataset)
    raise SkipTest("no %s recordings (set INSOLE_DATA)" % dataset)


def config(name="sim"):
    with open(FIRMWARE + "/config/" + name + ".json") as f:
        return json.load(f)


def walk_counts(name, foot, limit=None, seed=1, faults=()):
    """One foot of a gaitpdb walk as 16-bit counts through the modelled FSR + ADC,
    with `faults` ((channel, kind), ...) in the modelled sensors."""
    from sim.day import make_adc
    from sim.recordings import GaitpdbReader
    adc = make_adc(config(), seed)
    for ch, kind in faults:
        adc.fault(ch, kind)
    out = []
    for forces in GaitpdbReader(data_dir("gaitpdb") + "/" + name, foot):
        buf = array("H", [0] * adc.channels)
        adc.read(forces, buf)
        out.append(buf)
        if limit and len(out) >= limit:
            break
    return out, adc


def run(pipe, samples):
    """Feed samples; return the list of (heel_strike, toe_off) sample indices of completed steps."""
    from insole.gait import RING, TOE_OFF
    steps = []
    for c in samples:
        if pipe.feed(c) == TOE_OFF:
            i = (pipe.gait.steps - 1) % RING
            steps.append((pipe.gait.heel[i], pipe.gait.toe[i]))
    return steps


def approx(a, b, tol):
    assert abs(a - b) <= tol, "%r != %r (tolerance %r)" % (a, b, tol)


def play(pwm, kinds, sleep):
    """Play motor patterns through `pwm` until the motor is idle (asyncio; `sleep(ms)` is the motor's wait)."""
    import asyncio
    from edge.motor import Motor

    async def go():
        motor = Motor(pwm, sleep=sleep)
        player = asyncio.create_task(motor.run())
        for kind in kinds:
            motor.play(kind)
        await asyncio.sleep(0)
        while not motor.idle():
            await asyncio.sleep(0)
        player.cancel()
        await asyncio.sleep(0)

    asyncio.run(go())


def version_1(fields):
    """A version 1 record, packed here from its documented layout (4-byte wear, limit, steps)."""
    body = struct.pack("<BBIHIIIHhhHHH8HBBB", 1, fields["flags"], fields["seq"], fields["day"], fields["wear_s"],
                       fields["limit_s"], fields["steps"], fields["cadence_x10"], fields["mli_median"],
                       fields["cpei_median"], fields["supinated"], fields["neutral"], fields["pronated"],
                       *fields["peaks_dn"], fields["flagged_channels"], fields["alerts"], fields["pain"])
    from insole import record
    return body + struct.pack("<I", record.crc32_bitwise(body))
