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
    policy = Policy(cfg)
    wear = WearTimer(cfg["fs_hz"])
    seconds(wear, 5, LOADED)
    assert policy.mode(wear) == FAST
    seconds(wear, 29, UNLOADED)
    assert policy.mode(wear) == FAST
    seconds(wear, 1, UNLOADED)
    assert policy.mode(wear) == SLOW and policy.hz(SLOW) == 10 and policy.hz(FAST) == 100
    seconds(wear, 3600 - 30, UNLOADED)
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


def test_the_config_sets_the_policy_and_bad_rates_are_refused():
    cfg = config()
    cfg["power"] = {"slow_hz": 20, "slow_after_s": 5, "sleep_after_s": 0}
    policy = Policy(cfg)
    wear = WearTimer(cfg["fs_hz"])
    seconds(wear, 100000 // wear.fs, UNLOADED)
    assert policy.mode(wear) == SLOW and policy.hz(SLOW) == 20  # sleep_after_s 0: never sleeps
    for bad in (0, 30, 200):
        cfg["power"] = {"slow_hz": bad}
        try:
            Policy(cfg)
        except ValueError as e:
            assert "slow_hz" in str(e)
        else:
            raise AssertionError("slow_hz %d accepted" % bad)

