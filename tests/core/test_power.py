"""The power policy: full rate on the foot, slow off it, deep sleep after an hour."""
from array import array

from insole.device import Device
from insole.power import FAST, SLEEP, SLOW, STILL, Policy
from support import config

UNLOADED = array("H", [64] * 8)
LOADED = array("H", [30000] * 8)  # a foot standing: every channel well above 20 N


def insole(power=None):
    """(policy, device) of the sim config at 10 Hz; `power` its "power" object (None: the defaults)."""
    cfg = config()
    cfg["fs_hz"] = 10
    if power is None:
        del cfg["power"]
    else:
        cfg["power"] = power
    dev = Device(cfg)
    dev.zero_calibration()  # the guided zero, at the next sample: unloaded
    dev.sample(UNLOADED)
    return Policy(cfg), dev


def seconds(dev, n, counts):
    for _ in range(n * dev.pipeline.fs):
        dev.sample(counts)


def test_the_modes_follow_the_unloaded_seconds():
    policy, dev = insole()
    seconds(dev, 5, LOADED)
    assert policy.mode(dev) == FAST
    seconds(dev, 60, UNLOADED)  # the first still loaded: the low-pass's tail
    assert policy.mode(dev) == FAST
    seconds(dev, 1, UNLOADED)
    assert policy.mode(dev) == SLOW and policy.hz(SLOW) == 1 and policy.hz(FAST) == 10
    for _ in range(3600 - 60 - 1):
        dev.slow_second(UNLOADED)
    assert policy.mode(dev) == SLOW
    dev.slow_second(UNLOADED)
    assert policy.mode(dev) == SLEEP
    dev.sample(LOADED)  # one loaded sample: full rate at once, before the second closes
    assert policy.mode(dev) == FAST


def test_the_board_slows_exactly_when_the_insole_goes_off_the_foot():
    """One rule: no alert fires off the foot, and off the foot is when the board slows."""
    policy, dev = insole()
    seconds(dev, 5, LOADED)
    for second in range(120):
        assert (policy.mode(dev) == FAST) == dev.on_foot() == (second <= 60), second  # the low-pass's tail, then a minute
        seconds(dev, 1, UNLOADED)


def test_the_config_sets_the_policy():
    policy, dev = insole({"sleep_after_s": 0, "still_after_s": 3})
    seconds(dev, 65, UNLOADED)
    dev.pipeline.wear.idle_s = 100000
    assert policy.mode(dev) == SLOW  # sleep_after_s 0: never sleeps
    seconds(dev, 2, LOADED)
    assert policy.mode(dev) == FAST
    seconds(dev, 3, LOADED)
    assert policy.mode(dev) == STILL  # loaded and not stepping for still_after_s


def test_a_slow_second_that_sees_a_load_or_a_still_load_that_moved_brings_the_full_rate_back():
    policy, dev = insole()
    seconds(dev, 65, UNLOADED)
    dev.slow_second(UNLOADED)
    assert policy.mode(dev) == SLOW
    dev.slow_second(LOADED)  # a load off the foot
    assert policy.mode(dev) == FAST
    seconds(dev, 10, LOADED)
    assert policy.mode(dev) == STILL
    dev.slow_second(LOADED)
    assert policy.mode(dev) == STILL  # the same load
    dev.slow_second(array("H", [20000] * 8))  # a quarter of it gone, and more: seated
    assert policy.mode(dev) == FAST
