"""The firmware's board loop on the virtual board, for bench/run.py's duty cycle.

    micropython bench/duty.py FIRMWARE_DIR CONFIG WALK KIND SECONDS STORE_DIR

FIRMWARE_DIR holds the firmware (.mpy, as deployed), CONFIG a board config,
WALK a gaitpdb recording. KIND is a segment of sim/day.py ("walk", "stand",
"sit", "gap", "off"): the sim board replays SECONDS of it through
main.sampling (the loop a real board runs: ring, device, checkpoints, power
policy) beside the motor task, on the virtual clock, as fast as the host
runs it. `run_s` is the CPU time of that run (the process's time on a CPU,
from /proc/self/schedstat, so other processes on a busy host do not count)
less the sim board's own replay machinery (the ADC and timer a board has in
silicon): what the firmware costs. bench/run.py runs two lengths of the same segment, so their
difference is the cost of that much virtual time past the warm-up.

Prints JSON: run_s, virtual_s, slept_s, hz (the sample rate at the end: the
power policy's), steps, dropped.
"""
import asyncio
import json
import sys

FIRMWARE, CONFIG, WALK, KIND, SECONDS, STORE = sys.argv[1:7]
sys.path.insert(0, FIRMWARE)

import main  # noqa: E402
from boards import sim  # noqa: E402
from edge.motor import Motor  # noqa: E402
from edge.store import Store  # noqa: E402
from insole.device import Device  # noqa: E402
from sim import day  # noqa: E402
from sim.recordings import GaitpdbReader  # noqa: E402


def cpu_us():
    """Microseconds this process has run on a CPU."""
    with open("/proc/self/schedstat") as f:
        return int(f.read().split()[0]) // 1000


async def run():
    with open(CONFIG) as f:
        cfg = json.load(f)
    blocks = day.render_blocks(GaitpdbReader(WALK, "L"), cfg["fs_hz"], day.make_adc(cfg))
    counts = day.ScriptedDay([[KIND, int(SECONDS)]], blocks, cfg["fs_hz"], len(cfg["sensors"]))
    board = sim.Board(cfg, counts)
    board.host_us = cpu_us
    motor = Motor(board.motor_pwm, sleep=board.idle_ms)
    store = Store(STORE)
    store.recover()
    device = Device(cfg, buzz=motor.play)
    t0 = cpu_us()
    tasks = [asyncio.create_task(motor.run()), asyncio.create_task(main.sampling(board, device, store))]
    await board.finished.wait()
    run_us = cpu_us() - t0 - board.sim_us
    for t in tasks:
        t.cancel()
    return {"run_s": run_us / 1e6, "virtual_s": board.now_ms / 1000, "slept_s": board.slept_ms / 1000,
            "hz": board.sampler.hz, "steps": device.pipeline.gait.steps, "dropped": board.sampler.dropped}


print(json.dumps(asyncio.run(run())))
