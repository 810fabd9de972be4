"""The power policy: full rate on the foot, slow off it, deep sleep after an hour."""
from insole.power import FAST, SLEEP, SLOW, Policy
from insole.wear import WearTimer
from support import config

UNLOADED = 0
LOADED = 500  # dN, above the wear timer's 20 N


def seconds(wear, n, total):
    for _ in range(n * wear.fs):
        wear.update(total)


def test_the_modes_follow_the_unloaded_seconds():
    cfg = config()
    del cfg["power"]  # the defaults
    policy = Policy(cfg)
    wear = WearTimer(cfg["fs_hz"])
    seconds(wear, 5, LOADED)
    assert policy.mode(wear) == FAST
    seconds(wear, 59, UNLOADED)
    assert policy.mode(wear) == FAST
    seconds(wear, 1, UNLOADED)
    assert policy.mode(wear) == SLOW and policy.hz(SLOW) == 1 and policy.hz(FAST) == 100
    seconds(wear, 3600 - 60, UNLOADED)
    assert policy.mode(wear) == SLEEP
    wear.update(LOADED)  # one loaded sample: full rate at once, before the second closes
    assert policy.mode(wear) == FAST
    seconds(wear, 1, UNLOADED)
    assert wear.idle_s == 0


def test_the_unloaded_count_runs_across_days_and_stays_small():
    wear = WearTimer(10)
    wear.idle_s = (1 << 24) - 1
    seconds(wear, 3, UNLOADED)
    wear.start_day()
    assert wear.idle_s == 1 << 24


def test_the_config_sets_the_policy():
    cfg = config()
    cfg["power"] = {"slow_after_s": 5, "sleep_after_s": 0}
    policy = Policy(cfg)
    wear = WearTimer(cfg["fs_hz"])
    seconds(wear, 4, UNLOADED)
    assert policy.mode(wear) == FAST
    seconds(wear, 100000 // wear.fs, UNLOADED)
    assert policy.mode(wear) == SLOW  # sleep_after_s 0: never sleeps
