"""No heap allocation per sample, measured under MicroPython."""
import gc
import sys

from insole.pipeline import Pipeline
from support import SkipTest, config, walk_counts

SAMPLES = 100000


def test_whole_per_sample_path_allocates_nothing():
    if sys.implementation.name != "micropython":
        raise SkipTest("gc.mem_alloc is MicroPython's")
    rows, _ = walk_counts("GaCo01_01.txt", "L", limit=4000)
    pipe = Pipeline(config())
    k = len(rows)
    i = 0
    while i < k:  # warm-up: the first steps, zero tracking, envelopes
        pipe.feed(rows[i])
        i += 1
    steps = pipe.gait.steps
    gc.collect()
    gc.disable()
    try:
        before = gc.mem_alloc()
        i = 0
        while i < SAMPLES:
            pipe.feed(rows[i % k])
            i += 1
        allocated = gc.mem_alloc() - before
    finally:
        gc.enable()
    assert pipe.gait.steps - steps > 500  # steps, pronation and health ran too
    assert allocated == 0, "%d bytes allocated in %d samples" % (allocated, SAMPLES)


def test_per_sample_path_with_the_coach_allocates_nothing():
    """Device.sample: the pipeline plus the once-a-second clock, alerts and day summary."""
    if sys.implementation.name != "micropython":
        raise SkipTest("gc.mem_alloc is MicroPython's")
    from insole.device import Device
    rows, _ = walk_counts("GaCo01_01.txt", "L", limit=4000)
    motor = FakeMotor()
    dev = Device(config(), buzz=motor.play)
    dev.schedule.steps = (60,) + dev.schedule.steps[1:]  # a 1-minute limit: alerts fire in the window
    k = len(rows)
    i = 0
    while i < k:
        dev.sample(rows[i])
        i += 1
    alerts = dev.alerts.fired_today
    gc.collect()
    gc.disable()
    try:
        before = gc.mem_alloc()
        i = 0
        while i < SAMPLES:
            dev.sample(rows[i % k])
            i += 1
        allocated = gc.mem_alloc() - before
    finally:
        gc.enable()
    assert dev.summary.steps > 500 and dev.alerts.fired_today > alerts and motor.played > 1 and dev.due
    assert allocated == 0, "%d bytes allocated in %d samples" % (allocated, SAMPLES)


class FakeMotor:
    """Counts the patterns asked for, allocating nothing."""

    def __init__(self):
        self.played = 0

    def play(self, kind):
        self.played += 1
