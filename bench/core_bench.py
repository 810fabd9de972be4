"""The firmware core under MicroPython, for bench/run.py.

    micropython bench/core_bench.py FIRMWARE_DIR COUNTS.bin heap|speed

FIRMWARE_DIR holds the firmware compiled to .mpy, as on a board; COUNTS.bin
is a walk already turned into 16-bit counts (8 per sample, little-endian) by
the modelled FSR + ADC, read 16 bytes at a time as a board reads its ADCs:
only the firmware's own memory is measured, not the sim's.
heap:  replay the walk; print the live heap at start and its peak (collected
       every 250 samples) as JSON.
speed: print us per sample of the whole per-sample path and of a bare loop
       that only copies 8 readings into a preallocated array, each the best of
       RUNS runs, as JSON.
"""
import gc
import json
import sys
import time
from array import array

FIRMWARE = sys.argv[1]
sys.path.insert(0, FIRMWARE)
gc.collect()
heap_start = gc.mem_alloc()

from insole.pipeline import Pipeline  # noqa: E402

ROWS = 2000
REPEAT = 10
RUNS = 5  # each figure is the best of RUNS, as timeit does: the least disturbed run


def setup():
    with open(FIRMWARE + "/config/sim.json") as f:
        cfg = json.load(f)
    return Pipeline(cfg)


def heap(path):
    pipe = setup()
    gc.collect()
    buf = array("H", [0] * 8)
    n = peak = 0
    with open(path, "rb") as f:
        while f.readinto(buf) == 16:
            pipe.feed(buf)
            n += 1
            if n % 250 == 0:
                gc.collect()
                peak = max(peak, gc.mem_alloc())
    return {"samples": n, "steps": pipe.gait.steps, "heap_start": heap_start, "peak_heap": peak}


def speed(path):
    pipe = setup()
    with open(path, "rb") as f:
        rows = array("H", f.read(16 * ROWS))
    sample = array("H", [0] * 8)
    gc.collect()
    best = [None, None]
    for _ in range(RUNS):
        for mode, with_pipeline in enumerate((True, False)):
            t0 = time.ticks_us()
            for _ in range(REPEAT):
                i = 0
                while i < ROWS:
                    base = i * 8
                    for ch in range(8):
                        sample[ch] = rows[base + ch]
                    if with_pipeline:
                        pipe.feed(sample)
                    i += 1
            us = time.ticks_diff(time.ticks_us(), t0) / (REPEAT * ROWS)
            if best[mode] is None or us < best[mode]:
                best[mode] = us
    return {"copy_us": best[1], "pipeline_us": best[0] - best[1]}


print(json.dumps((heap if sys.argv[3] == "heap" else speed)(sys.argv[2])))
