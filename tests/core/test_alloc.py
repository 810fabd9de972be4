"""No heap allocation per sample, measured under MicroPython."""
import gc
import sys

from insole.health import SATURATING
from insole.pipeline import Pipeline
from support import SkipTest, config, walk_counts

SAMPLES = 100000


def allocated_by(feed, faults=()):
    """Bytes allocated by 100 000 samples of a real walk through `feed`, after a warm-up, GC off."""
    if sys.implementation.name != "micropython":
        raise SkipTest("gc.mem_alloc is MicroPython's")
    rows, _ = walk_counts("GaCo01_01.txt", "L", limit=4000, faults=faults)
    k = len(rows)
    i = 0
    while i < k:  # warm-up: the first steps, zero tracking, envelopes
        feed(rows[i])
        i += 1
    gc.collect()
    gc.disable()
    try:
        before = gc.mem_alloc()
        i = 0
        while i < SAMPLES:
            feed(rows[i % k])
            i += 1
        return gc.mem_alloc() - before
    finally:
        gc.enable()


def test_whole_per_sample_path_allocates_nothing():
    pipe = Pipeline(config())
    allocated = allocated_by(pipe.feed)
    assert pipe.gait.steps > 500  # steps, pronation and health ran too
    assert allocated == 0, "%d bytes allocated in %d samples" % (allocated, SAMPLES)


def test_per_sample_path_with_a_saturating_channel_allocates_nothing():
    """The rail's path: a clamped force and peak each sample, the day's clipped steps each step."""
    pipe = Pipeline(config())
    allocated = allocated_by(pipe.feed, faults=((6, "saturate"),))
    assert pipe.gait.steps > 500 and pipe.health.status(6) == SATURATING
    assert allocated == 0, "%d bytes allocated in %d samples" % (allocated, SAMPLES)


def test_per_sample_path_with_the_coach_allocates_nothing():
    """Device.sample: the pipeline plus the once-a-second clock, alerts and day summary."""
    from insole.device import Device
    motor = FakeMotor()
    dev = Device(config(), buzz=motor.play)
    dev.schedule.steps = (60,) + dev.schedule.steps[1:]  # a 1-minute limit: alerts fire in the window
    allocated = allocated_by(dev.sample)
    assert dev.summary.steps > 500 and dev.alerts.fired_today > 1 and motor.played > 1 and dev.due
    assert allocated == 0, "%d bytes allocated in %d samples" % (allocated, SAMPLES)


class FakeMotor:
    """Counts the patterns asked for, allocating nothing."""

    def __init__(self):
        self.played = 0

    def play(self, kind):
        self.played += 1
