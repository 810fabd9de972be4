"""Wear alerts: pre-warning, limit, repeats, ack, snooze, off-foot, the event ring."""
import gc
import sys
from array import array

from insole.alerts import (ADVISORY, EVENT_LEN, LIMIT_REACHED, RING_NO_LIMIT, NONE, PAIN_ROLLBACK,
                           PRE_WARNING, REPEAT, AlertEngine)
from insole.schedule import HOUR, Schedule
from support import SkipTest

LIMIT = HOUR


def wear(engine, seconds, limit=LIMIT, start=0, on_foot=True):
    """Worn seconds start+1..start+seconds (day second = wear second); [(wear_s, kind)] fired."""
    fired = []
    for w in range(start + 1, start + seconds + 1):
        kind = engine.tick(w, w, limit, on_foot)
        if kind != NONE:
            fired.append((w, kind))
    return fired


def drain(engine):
    out = array("i", [0] * EVENT_LEN)
    events = []
    while engine.pop(out):
        events.append(tuple(out))
    return events


def test_pre_warning_at_90_percent_then_the_limit():
    e = AlertEngine()
    assert wear(e, LIMIT) == [(LIMIT * 9 // 10, PRE_WARNING), (LIMIT, LIMIT_REACHED)]
    assert e.fired_today == 2


def test_the_pre_warning_fraction_is_configurable():
    e = AlertEngine(pre_permille=750)
    assert wear(e, LIMIT)[0] == (LIMIT * 3 // 4, PRE_WARNING)


def test_repeats_every_15_minutes_up_to_four():
    e = AlertEngine()
    fired = wear(e, LIMIT + 2 * HOUR)
    repeats = [w for w, kind in fired if kind == REPEAT]
    assert repeats == [LIMIT + 900, LIMIT + 1800, LIMIT + 2700, LIMIT + 3600]
    assert e.fired_today == 6


def test_repeat_interval_and_cap_are_configurable():
    e = AlertEngine(repeat_s=60, max_repeats=2)
    fired = wear(e, LIMIT + 600)
    assert [w for w, kind in fired if kind == REPEAT] == [LIMIT + 60, LIMIT + 120]


def test_ack_silences_the_repeats_for_the_day():
    e = AlertEngine()
    wear(e, LIMIT + 900)
    e.ack()
    assert wear(e, 3 * HOUR, start=LIMIT + 900) == []
    e.start_day()
    assert wear(e, LIMIT)[-1] == (LIMIT, LIMIT_REACHED)


def test_ack_before_the_limit_still_lets_the_limit_alert_through():
    e = AlertEngine()
    wear(e, LIMIT - 60)
    e.ack()
    assert wear(e, 3600, start=LIMIT - 60) == [(LIMIT, LIMIT_REACHED)]


def test_snooze_silences_for_30_minutes_then_the_due_alert_fires():
    e = AlertEngine()
    wear(e, LIMIT - 100)  # pre-warning fired
    e.snooze(LIMIT - 100)
    fired = wear(e, 1800 + 100, start=LIMIT - 100)
    assert fired == [(LIMIT - 100 + 1800, LIMIT_REACHED)]


def test_never_while_off_the_foot_and_due_alerts_wait_for_the_foot():
    e = AlertEngine()
    assert wear(e, LIMIT + HOUR, on_foot=False) == []
    assert e.tick(LIMIT + HOUR + 1, LIMIT + HOUR, LIMIT, True) == LIMIT_REACHED


def test_a_rest_day_alerts_on_the_first_worn_second():
    e = AlertEngine()
    assert e.tick(100, 0, 0, True) == NONE
    assert e.tick(101, 1, 0, True) == LIMIT_REACHED


def test_no_limit_never_alerts():
    e = AlertEngine()
    assert wear(e, 20 * HOUR, limit=None) == []


def test_a_lower_limit_after_pain_alerts_at_once():
    s = Schedule()
    s.step = 4
    e = AlertEngine()
    assert wear(e, 3 * HOUR, limit=s.limit_s()) == []
    s.report_pain(5)
    assert e.tick(3 * HOUR + 1, 3 * HOUR + 1, s.limit_s(), True) == LIMIT_REACHED
    assert e.tick(3 * HOUR + 2, 3 * HOUR + 2, s.limit_s(), True) == NONE


def test_events_carry_rising_sequence_numbers_across_days():
    e = AlertEngine()
    wear(e, LIMIT)
    e.notify(PAIN_ROLLBACK, 5000, 4000, LIMIT)
    assert drain(e) == [
        (1, PRE_WARNING, LIMIT * 9 // 10, LIMIT * 9 // 10, LIMIT),
        (2, LIMIT_REACHED, LIMIT, LIMIT, LIMIT),
        (3, PAIN_ROLLBACK, 5000, 4000, LIMIT),
    ]
    assert drain(e) == []
    e.start_day()
    assert e.fired_today == 0
    e.notify(ADVISORY, 10, 0, None)
    assert drain(e) == [(4, ADVISORY, 10, 0, RING_NO_LIMIT)]
    assert e.fired_today == 0


def test_a_full_ring_drops_the_oldest_events():
    e = AlertEngine(ring=3)
    for i in range(5):
        e.notify(ADVISORY, i, 0, LIMIT)
    assert [ev[0] for ev in drain(e)] == [3, 4, 5]


def test_notify_takes_only_advisory_and_rollback():
    e = AlertEngine()
    try:
        e.notify(REPEAT, 0, 0, LIMIT)
    except ValueError:
        return
    raise AssertionError("notify accepted REPEAT")


def test_bad_settings_are_rejected():
    for kwargs in ({"pre_permille": 1000}, {"pre_permille": 0}, {"repeat_s": 0},
                   {"snooze_s": 0}, {"max_repeats": -1}, {"ring": 0}):
        try:
            AlertEngine(**kwargs)
        except ValueError:
            continue
        raise AssertionError("accepted %r" % kwargs)


def test_a_tick_allocates_nothing():
    if sys.implementation.name != "micropython":
        raise SkipTest("gc.mem_alloc is MicroPython's")
    e = AlertEngine(repeat_s=60, max_repeats=1000, ring=8)
    s = Schedule()
    e.tick(0, 0, s.limit_s(), True)
    gc.collect()
    gc.disable()
    try:
        before = gc.mem_alloc()
        second = 0
        while second < 3 * HOUR:  # pre-warning, limit, repeats, ring wrap, snooze, off-foot
            on_foot = second % 600 < 500
            if second == 2 * HOUR:
                e.snooze(second)
            e.tick(second, second, s.limit_s(), on_foot)
            second += 1
        allocated = gc.mem_alloc() - before
    finally:
        gc.enable()
    assert e.seq > 8 and e.repeats > 10
    assert allocated == 0, "%d bytes allocated in %d ticks" % (allocated, second)
