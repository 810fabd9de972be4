"""Sensor faults on real loads: a heel pinned at the rail under a standing foot
is clipping and keeps its force; the same rail with the foot off is a short;
a sensor that bottoms out under load through the day is saturating, and the
day's record flags it."""
from array import array

from insole import record
from insole.calibration import BREAKPOINTS, STUCK_S
from insole.device import Device
from insole.health import CLIPPING, OK, SATURATING, STUCK_HIGH
from sim.day import make_adc, render_blocks
from sim.recordings import GaitpdbReader
from support import config, data_dir

HEEL = 0


def blocks(saturate=None):
    """The sim board's config and GaCo01_01's left foot rendered, with channel `saturate` saturating."""
    cfg = config()
    reader = GaitpdbReader(data_dir("gaitpdb") + "/GaCo01_01.txt", "L")
    adc = make_adc(cfg)
    if saturate is not None:
        adc.fault(saturate, "saturate")
    return cfg, render_blocks(reader, cfg["fs_hz"], adc)


def feed(dev, block, seconds, pin=None):
    """`seconds` of a rendered block into the device, with channel `pin` held at the top rail."""
    n = dev.pipeline.channels
    buf = array("H", [0] * n)
    rows = len(block) // n
    for i in range(seconds * dev.pipeline.fs):
        r = i % rows * n
        for ch in range(n):
            buf[ch] = block[r + ch]
        if pin is not None:
            buf[pin] = 65535
        dev.sample(buf)


def test_a_standing_foot_with_the_heel_on_the_rail_keeps_its_force_and_is_clipping():
    cfg, kinds = blocks()
    dev = Device(cfg)
    feed(dev, kinds["off"], 2)
    feed(dev, kinds["walk"], 20)
    feed(dev, kinds["stand"], 60, pin=HEEL)  # a minute standing, leaning back on the heel
    pipe = dev.pipeline
    top = pipe.calibration.lut[BREAKPOINTS - 1]  # the heel table's last breakpoint
    assert pipe.force[HEEL] == top == cfg["fsr"]["f_max_n"] * 10
    assert pipe.health.status(HEEL) == CLIPPING and not pipe.calibration.stuck(HEEL)
    assert [pipe.health.status(ch) for ch in range(1, 8)] == [OK] * 7
    assert not dev.sensor_fault() and dev.on_foot() and not pipe.health.flagged(HEEL)
    assert record.decode(dev.checkpoint())["flagged_channels"] == 0
    worn = pipe.wear.worn_s
    feed(dev, kinds["walk"], 10)
    assert pipe.health.status(HEEL) == OK and pipe.wear.worn_s >= worn + 9


def test_the_same_rail_with_the_foot_off_is_stuck_high_and_reads_zero():
    cfg, kinds = blocks()
    dev = Device(cfg)
    feed(dev, kinds["off"], 2)
    feed(dev, kinds["off"], 4, pin=HEEL)  # a shorted heel FSR, shoe on the shelf
    pipe = dev.pipeline
    assert pipe.health.status(HEEL) == STUCK_HIGH and pipe.force[HEEL] == 0 and dev.sensor_fault()
    assert pipe.wear.worn_s <= STUCK_S + 1  # the seconds before the short is confirmed, and the low-pass tail


def test_a_sensor_bottoming_out_under_load_is_saturating_and_flagged_in_the_days_record():
    medial_forefoot = 6
    cfg, kinds = blocks(saturate=medial_forefoot)
    dev = Device(cfg)
    feed(dev, kinds["off"], 2)
    feed(dev, kinds["walk"], 15)
    health = dev.pipeline.health
    assert health.status(medial_forefoot) != SATURATING  # too few steps yet to judge the day
    feed(dev, kinds["walk"], 45)
    assert health.status(medial_forefoot) == SATURATING and health.flagged(medial_forefoot)
    assert [health.status(ch) for ch in range(8) if ch != medial_forefoot] == [OK] * 7
    assert not dev.sensor_fault()  # it still gives a force, clamped: not a dead channel
    dev.clock.day += 1
    day = record.decode(dev.close_day())
    assert day["flagged_channels"] == 1 << medial_forefoot
    assert day["peaks_dn"][medial_forefoot] == max(day["peaks_dn"]) > 2 * sorted(day["peaks_dn"])[-2]
    assert health.status(medial_forefoot) != SATURATING  # a new day judges its own steps
