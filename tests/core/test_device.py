"""Device: the coach around the pipeline, the clock and the day's close."""
from array import array

from insole import record
from insole.alerts import ADVISORY, PAIN_ROLLBACK, EVENT_LEN
from insole.clock import DAY_S, EPOCH_2000, Clock
from insole.device import DUE_CHECKPOINT, DUE_ROLLOVER, Device
from support import config

IDLE = array("H", [64] * 8)


def small_config():
    cfg = config()
    cfg["fs_hz"] = 10
    return cfg


def run_seconds(dev, seconds, counts=IDLE):
    for _ in range(seconds * dev.pipeline.fs):
        dev.sample(counts)


def test_clock_rolls_over_at_midnight_and_sets_from_unix_time():
    c = Clock()
    assert c.unset and (c.day, c.second) == (0, 0)
    c.second = DAY_S - 2
    assert not c.tick() and c.tick() and (c.day, c.second) == (1, 0)
    c.set(EPOCH_2000 + 3 * DAY_S + 3600, 60)  # 01:00 UTC is 02:00 at UTC+1
    assert not c.unset and (c.day, c.second) == (3, 7200)
    for bad in ((EPOCH_2000, 900), (EPOCH_2000 - DAY_S, 0)):
        try:
            c.set(*bad)
        except ValueError:
            continue
        raise AssertionError("accepted %r" % (bad,))


def test_unset_clock_counts_days_from_boot_and_flags_the_record():
    dev = Device(small_config())
    dev.clock.second = DAY_S - 3
    run_seconds(dev, 3)
    assert dev.due & DUE_ROLLOVER
    rec = record.decode(dev.service())
    assert rec["day"] == 0 and rec["flags"] & record.FLAG_CLOCK_UNSET and rec["seq"] == 1
    assert dev.clock.day == 1 and dev.seq == 2 and not dev.due


def test_a_set_clock_dates_the_day_and_clears_the_flag():
    dev = Device(small_config())
    dev.clock.set(EPOCH_2000 + 9000 * DAY_S - 2, 0)
    run_seconds(dev, 2)
    rec = record.decode(dev.service())
    assert rec["day"] == 8999 and not rec["flags"] & record.FLAG_CLOCK_UNSET


def test_checkpoint_falls_due_and_is_a_partial_record_of_the_open_day():
    dev = Device(dict(small_config(), checkpoint_s=5))
    run_seconds(dev, 5)
    assert dev.due == DUE_CHECKPOINT
    snap = record.decode(dev.checkpoint())
    assert snap["flags"] & record.FLAG_PARTIAL and snap["seq"] == 1


def test_pain_rolls_back_and_three_pain_days_at_the_start_raise_the_advisory():
    played = []
    dev = Device(small_config(), buzz=played.append)
    for _ in range(3):  # worn within the limit: day 4 is at 4 h
        dev.pipeline.wear.worn_s = dev.schedule.limit_s()
        dev.clock.day += 1
        dev.close_day()
    assert dev.schedule.limit_s() == 4 * 3600
    dev.report_pain(5)
    assert dev.schedule.limit_s() == 3600
    event = array("i", [0] * EVENT_LEN)
    assert dev.alerts.pop(event) and event[1] == PAIN_ROLLBACK
    dev.pipeline.wear.worn_s = 2 * 3600  # pain came at 2 h
    assert record.decode(dev.checkpoint())["planned_s"] == 4 * 3600
    pain_day = record.decode(dev.close_day())
    assert (pain_day["limit_s"], pain_day["planned_s"], pain_day["wear_s"]) == (3600, 4 * 3600, 2 * 3600)
    for _ in range(3):
        dev.pipeline.wear.worn_s = 1800
        dev.clock.day += 1
        dev.close_day()
        dev.report_pain(5)
    assert dev.schedule.advisory and played == [ADVISORY]
    rec = record.decode(dev.close_day())
    assert rec["flags"] & record.FLAG_ADVISORY and rec["flags"] & record.FLAG_PAIN and rec["pain"] == 5


def test_no_alert_while_the_insole_is_off_the_foot():
    played = []
    dev = Device(small_config(), buzz=played.append)
    dev.schedule.steps = (60,) + dev.schedule.steps[1:]
    dev.pipeline.wear.worn_s = 120  # well past a 1-minute limit, but nobody wears it now
    run_seconds(dev, 300)
    assert played == [] and not dev.on_foot()


def loaded_counts():
    """A foot standing: every channel well above the loaded threshold."""
    return array("H", [30000] * 8)


def test_lost_samples_are_not_lost_seconds():
    """Worn for 60 s with 3.5 s of samples lost in the middle (a long flash write):
    the clock and the wear time come out as though none was lost."""
    whole, lossy = Device(small_config()), Device(small_config())
    for dev in (whole, lossy):
        dev.zero_calibration()  # the guided zero, at the next sample: unloaded
        dev.sample(IDLE)
    run_seconds(whole, 60, loaded_counts())
    run_seconds(lossy, 20, loaded_counts())
    lossy.skip(35)  # 3.5 s at 10 Hz that the board never delivered
    for _ in range(60 * 10 - 200 - 35):
        lossy.sample(loaded_counts())
    assert lossy.clock.second == whole.clock.second == 60
    assert lossy.pipeline.wear.worn_s == whole.pipeline.wear.worn_s >= 59  # the gap is bridged
    assert lossy.samples_lost == 35 and whole.samples_lost == 0


def test_lost_samples_move_the_coach_on_as_seconds_do():
    dev = Device(small_config())
    dev.clock.second = DAY_S - 2
    dev.skip(25)  # 2.5 s lost across midnight: the day closes as it would have
    assert dev.due & DUE_ROLLOVER and dev.clock.second == 0 and dev.pipeline.wear.sub == 5
    dev.skip(0)
    assert dev.samples_lost == 25


def test_the_lost_samples_count_saturates_as_a_small_int():
    """A board's small int holds up to 2**30 - 1: the count stops there, and never wraps."""
    dev = Device(small_config())
    dev.samples_lost = (1 << 30) - 4  # months of a board that loses samples
    dev.skip(3)
    assert dev.samples_lost == (1 << 30) - 1
    dev.skip(10)
    assert dev.samples_lost == (1 << 30) - 1 and dev.clock.second == 1  # the seconds still go on
