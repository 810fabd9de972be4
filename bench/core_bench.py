"""The firmware core under MicroPython, for bench/run.py.

    micropython bench/core_bench.py FIRMWARE_DIR WALK.txt heap|speed

FIRMWARE_DIR holds the firmware compiled to .mpy, as on a board.
heap:  replay the walk streaming from the file; print the live heap at start
       and its peak (collected every 250 samples) as JSON.
speed: print us per sample of the whole per-sample path and of a bare loop
       that only copies 8 readings into a preallocated array, as JSON.
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

from insole.compat import zeros  # noqa: E402
from insole.pipeline import Pipeline  # noqa: E402
from sim.fsr import FsrAdc  # noqa: E402
from sim.recordings import GaitpdbReader  # noqa: E402

ROWS = 2000
REPEAT = 10


def setup():
    with open(FIRMWARE + "/config/default.json") as f:
        cfg = json.load(f)
    return Pipeline(cfg), FsrAdc(8, cfg["fsr"]["f_half_n"], cfg["adc_bits"])


def heap(path):
    pipe, adc = setup()
    buf = array("H", [0] * 8)
    n = peak = 0
    for forces in GaitpdbReader(path, "L"):
        adc.read(forces, buf)
        pipe.feed(buf)
        n += 1
        if n % 250 == 0:
            gc.collect()
            peak = max(peak, gc.mem_alloc())
    return {"samples": n, "steps": pipe.gait.steps, "heap_start": heap_start, "peak_heap": peak}


def speed(path):
    pipe, adc = setup()
    rows = zeros("H", 8 * ROWS)
    sample = array("H", [0] * 8)
    n = 0
    for forces in GaitpdbReader(path, "L"):
        adc.read(forces, sample)
        rows[n * 8:(n + 1) * 8] = sample
        n += 1
        if n == ROWS:
            break
    gc.collect()
    timings = []
    for with_pipeline in (True, False):
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
        timings.append(time.ticks_diff(time.ticks_us(), t0) / (REPEAT * ROWS))
    return {"copy_us": timings[1], "pipeline_us": timings[0] - timings[1]}


print(json.dumps((heap if sys.argv[3] == "heap" else speed)(sys.argv[2])))
