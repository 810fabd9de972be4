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
