"""Wear time: loaded seconds plus bridged short gaps."""
from insole.wear import BRIDGE_S, LOADED_DN, WearTimer

FS = 10


def feed(w, seconds, level):
    for _ in range(seconds * FS):
        w.update(level)


def test_loaded_seconds_count():
    w = WearTimer(FS)
    feed(w, 100, 5000)
    assert w.worn_s == 100


def test_shelf_never_counts():
    w = WearTimer(FS)
    feed(w, 3600, LOADED_DN - 1)
    assert w.worn_s == 0 and not w.worn_today


def test_a_short_gap_between_loaded_periods_is_bridged():
    w = WearTimer(FS)
    feed(w, 60, 3000)
    feed(w, BRIDGE_S, 0)
    assert w.worn_s == 60 and w.gap_s == BRIDGE_S  # pending until the foot loads again
    feed(w, 60, 3000)
    assert w.worn_s == 60 + BRIDGE_S + 60


def test_a_long_gap_is_not_worn():
    w = WearTimer(FS)
    feed(w, 60, 3000)
    feed(w, BRIDGE_S + 1, 0)
    assert w.gap_s > BRIDGE_S  # too long to bridge
    feed(w, 60, 3000)
    assert w.worn_s == 120


def test_time_before_the_first_and_after_the_last_load_does_not_count():
    w = WearTimer(FS)
    feed(w, 300, 0)
    feed(w, 10, 3000)
    feed(w, 300, 0)
    assert w.worn_s == 10


def test_one_loaded_sample_makes_the_second_loaded():
    w = WearTimer(FS)
    for i in range(50 * FS):
        w.update(3000 if i % FS == 3 else 0)
    assert w.worn_s == 50


def test_new_day_starts_from_zero():
    w = WearTimer(FS)
    feed(w, 30, 3000)
    w.start_day()
    assert w.worn_s == 0 and not w.worn_today
